"""Texts of the statistics and library pages, in both languages, declared once.

Templates show them with ``|localize``, so they need no entry in the gettext catalog.
"""

from __future__ import annotations

from repository.messages import Message

TEXT: dict[str, Message] = {
    "statistics": Message("Statistics", "统计"),
    "alliance_statistics": Message("Contribution statistics", "贡献统计"),
    "library_statistics": Message("Statistics of {library}", "{library}统计"),
    "public_intro": Message(
        "Published records and their images, by library, collection and month they were "
        "created. The figures are exact at the moment this page was made.",
        "已发布的记录及其图像，按成员馆、专题库及创建月份统计。数字为本页生成时的准确值。",
    ),
    "private_intro": Message(
        "All records of your library, drafts included, and who contributed them. Only "
        "members of the library see this page.",
        "本馆的全部记录（含草稿）及其贡献者。此页仅本馆成员可见。",
    ),
    "from": Message("From month", "起始月份"),
    "to": Message("To month", "结束月份"),
    "apply": Message("Show", "查看"),
    "records": Message("Records", "记录"),
    "images": Message("Images", "图像"),
    "cumulative": Message("Records in all (growth)", "累计记录（增长）"),
    "total": Message("Total", "合计"),
    "name": Message("Name", "名称"),
    "month": Message("Month", "月份"),
    "none": Message("No records in this range.", "此范围内没有记录。"),
    "download": Message("The same figures as", "同样的数据："),
    "growth": Message("Growth over time", "增长趋势"),
    "per_month": Message("Records created per month", "每月新建记录"),
    "libraries": Message("Member libraries", "成员馆"),
    "libraries_intro": Message(
        "The libraries of the alliance that build the special collections together.",
        "共同建设特色馆藏的联盟成员馆。",
    ),
    "region": Message("Region", "地区"),
    "website": Message("Website", "网站"),
    "contributions": Message("Contributions", "贡献"),
    "collection": Message("Collection", "专题库"),
    "coordinates": Message("Coordinates", "牵头建设"),
    "no_contributions": Message("No published records yet.", "尚无已发布的记录。"),
    "published_records": Message("Published records", "已发布记录"),
    "members_statistics": Message(
        "Your library's statistics, drafts and contributors included",
        "本馆统计（含草稿与贡献者）",
    ),
    "all_statistics": Message("Statistics of the whole alliance", "全联盟统计"),
    "library_page": Message("Library page", "成员馆主页"),
    "harvested": Message("Harvested from other repositories"),
    "harvested_intro": Message(
        "Records brought into the one-stop search from other repositories, by source: counted "
        "apart from the records contributed here, whatever the months chosen."
    ),
    "source": Message("Source"),
    "library": Message("Library"),
}
