"""`natural_history`: plants, animals and fungi of a region (动植菌物)."""

from repository.profiles.fields import Field, Kind, terms

KINGDOMS = terms(("植物", "Plants"), ("动物", "Animals"), ("真菌", "Fungi"))
PROTECTION_LEVELS = terms(
    ("国家一级", "National class I"),
    ("国家二级", "National class II"),
    ("省级", "Provincial"),
    ("无", "None"),
)

FIELDS = (
    Field("title", "中文名", "Chinese name", required=True, dc="title", example="人参"),
    Field(
        "scientific_name",
        "学名",
        "Scientific name",
        required=True,
        dc="title",
        hint_zh="拉丁学名，如 Panax ginseng C. A. Mey.",
        hint_en="Latin binomial with authority, e.g. Panax ginseng C. A. Mey.",
        example="Panax ginseng C. A. Mey.",
    ),
    Field(
        "kingdom",
        "类群",
        "Group",
        Kind.VOCABULARY,
        required=True,
        vocabulary=KINGDOMS,
        dc="subject",
        facet=True,
    ),
    Field("family", "科", "Family", dc="subject", facet=True, example="五加科 Araliaceae"),
    Field("genus", "属", "Genus", facet=True, example="人参属 Panax"),
    Field("aliases", "别名", "Other names", repeatable=True, dc="title", example="棒槌"),
    Field("habitat", "生境", "Habitat", Kind.LONG_TEXT),
    Field("distribution", "分布", "Distribution", Kind.LONG_TEXT, dc="coverage"),
    Field(
        "elevation_m",
        "海拔（米）",
        "Elevation (m)",
        Kind.NUMBER_RANGE,
        searchable=False,
        example="800-1800",
        aliases=("海拔", "海拔(米)"),
    ),
    Field("locality", "拍摄/采集地点", "Locality", dc="coverage", facet=True),
    Field("latitude", "纬度", "Latitude", Kind.LATITUDE, searchable=False, example="42.0475"),
    Field("longitude", "经度", "Longitude", Kind.LONGITUDE, searchable=False, example="128.0556"),
    Field("photographer", "拍摄者", "Photographer", repeatable=True, dc="creator", facet=True),
    Field("date", "拍摄日期", "Date photographed", Kind.DATE, dc="date", example="2011-06-18"),
    Field(
        "protection_level",
        "保护级别",
        "Protection level",
        Kind.VOCABULARY,
        vocabulary=PROTECTION_LEVELS,
        facet=True,
    ),
    Field("description", "描述", "Description", Kind.LONG_TEXT, dc="description"),
)
