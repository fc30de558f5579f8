"""`generic`: Dublin Core, for documents, photographs and anything without a themed profile."""

from repository.profiles.fields import Field, Kind

FIELDS = (
    Field("title", "题名", "Title", required=True, dc="title", example="吉林通志"),
    Field("alternative", "其他题名", "Alternative title", repeatable=True, dc="title"),
    Field("creator", "创建者", "Creator", repeatable=True, dc="creator", facet=True),
    Field("contributor", "其他责任者", "Contributor", repeatable=True, dc="contributor"),
    Field("subject", "主题", "Subject", repeatable=True, dc="subject", facet=True),
    Field("description", "描述", "Description", Kind.LONG_TEXT, dc="description"),
    Field(
        "date",
        "日期",
        "Date",
        Kind.DATE,
        dc="date",
        hint_zh="按原样填写，如 1908、1930年代、民国、光绪十七年",
        hint_en="As found: 1908, 1930s, 民国, 光绪十七年",
        example="光绪十七年",
    ),
    Field("type", "类型", "Type", dc="type", facet=True, example="图书"),
    Field("format", "格式", "Format", dc="format", searchable=False),
    Field("source", "来源", "Source", dc="source"),
    Field("language", "语种", "Language", dc="language", facet=True, searchable=False),
    Field("relation", "关联", "Relation", repeatable=True, dc="relation", searchable=False),
    Field("coverage", "时空范围", "Coverage", repeatable=True, dc="coverage", facet=True),
    Field("publisher", "出版者", "Publisher", dc="publisher"),
)
