"""`ich`: intangible cultural heritage (非物质文化遗产), after China's national list."""

from repository.profiles.fields import Field, Kind, terms

CATEGORIES = terms(
    ("民间文学", "Folk literature"),
    ("传统音乐", "Traditional music"),
    ("传统舞蹈", "Traditional dance"),
    ("传统戏剧", "Traditional drama"),
    ("曲艺", "Quyi (storytelling and ballad singing)"),
    ("传统体育、游艺与杂技", "Traditional sports, games and acrobatics"),
    ("传统美术", "Traditional fine arts"),
    ("传统技艺", "Traditional craftsmanship"),
    ("传统医药", "Traditional medicine"),
    ("民俗", "Folk customs"),
)
LEVELS = terms(
    ("人类非物质文化遗产代表作", "UNESCO Representative List"),
    ("国家级", "National"),
    ("省级", "Provincial"),
    ("市级", "Municipal"),
    ("县级", "County"),
)

FIELDS = (
    Field("title", "项目名称", "Item name", required=True, dc="title", example="朝鲜族农乐舞"),
    Field(
        "category",
        "类别",
        "Category",
        Kind.VOCABULARY,
        required=True,
        vocabulary=CATEGORIES,
        dc="type",
        facet=True,
    ),
    Field("level", "级别", "Level", Kind.VOCABULARY, required=True, vocabulary=LEVELS, facet=True),
    Field("batch_year", "公布年份", "Year listed", Kind.YEAR, facet=True, example="2006"),
    Field(
        "region",
        "申报地区",
        "Region",
        repeatable=True,
        dc="coverage",
        facet=True,
        example="吉林省延边朝鲜族自治州",
    ),
    Field("protection_unit", "保护单位", "Safeguarding unit"),
    Field("inheritors", "代表性传承人", "Representative inheritors", repeatable=True, dc="creator"),
    Field("ethnic_group", "民族", "Ethnic group", repeatable=True, dc="subject", facet=True),
    Field("description", "项目简介", "Description", Kind.LONG_TEXT, dc="description"),
    Field("subject", "主题词", "Subject", repeatable=True, dc="subject", facet=True),
    Field(
        "date",
        "日期",
        "Date",
        Kind.DATE,
        dc="date",
        hint_zh="记录（照片、录音）的日期",
        hint_en="Date of the documentation (photo, recording)",
        example="2019-09-12",
    ),
)
