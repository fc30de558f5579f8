"""The building blocks of a collection profile: fields, their kinds and vocabularies."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Kind(enum.StrEnum):
    """How a field's value is written, validated and displayed."""

    TEXT = "text"  # one line
    LONG_TEXT = "long_text"  # paragraphs
    IDENTIFIER = "identifier"  # the library's own id: one line, no spaces at the ends
    VOCABULARY = "vocabulary"  # one term of a closed list
    YEAR = "year"
    DATE = "date"  # as written, normalised to a year range
    NUMBER_RANGE = "number_range"  # 1200, 800-1800, 约1200
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    RIGHTS = "rights"  # a URI or a short statement
    IMAGES = "images"  # file names in a batch row; stored as assets, not metadata


@dataclass(frozen=True)
class Term:
    """A vocabulary term: the stored value (as cataloguers write it) and its English label."""

    value: str
    label_en: str

    def label(self, locale: str) -> str:
        return self.value if locale.startswith("zh") else self.label_en


@dataclass(frozen=True)
class Field:
    """One field of a profile, declared once and read by every consumer.

    ``dc`` names the Dublin Core element it maps to (oai_dc, exports); ``facet`` makes it a
    search facet; ``searchable`` puts it into full-text search.
    """

    key: str
    label_zh: str
    label_en: str
    kind: Kind = Kind.TEXT
    required: bool = False
    repeatable: bool = False
    vocabulary: tuple[Term, ...] = ()
    dc: str | None = None
    facet: bool = False
    searchable: bool = True
    hint_zh: str = ""
    hint_en: str = ""
    example: str = ""
    aliases: tuple[str, ...] = field(default=())  # further accepted column headers

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en

    def hint(self, locale: str) -> str:
        return self.hint_zh if locale.startswith("zh") else self.hint_en

    @property
    def in_metadata(self) -> bool:
        return self.kind is not Kind.IMAGES

    @property
    def headers(self) -> tuple[str, ...]:
        """Every column header a spreadsheet may use for this field."""
        return (self.key, self.label_zh, self.label_en, *self.aliases)

    def term(self, value: str) -> Term | None:
        return next((t for t in self.vocabulary if t.value == value), None)

    def display_value(self, value: str, locale: str) -> str:
        term = self.term(value) if self.vocabulary else None
        return term.label(locale) if term else value


def terms(*pairs: tuple[str, str]) -> tuple[Term, ...]:
    return tuple(Term(value, label_en) for value, label_en in pairs)


# Fields every profile has, whatever its theme.
LOCAL_ID = Field(
    "local_id",
    "本馆标识",
    "Local identifier",
    Kind.IDENTIFIER,
    required=True,
    dc="identifier",
    searchable=False,
    hint_zh="本馆系统中的唯一标识，重复导入时据此更新记录",
    hint_en="Your library's own identifier; re-imports update the record that has it",
    example="JL-0001",
)
IMAGES = Field(
    "images",
    "图片",
    "Images",
    Kind.IMAGES,
    repeatable=True,
    searchable=False,
    hint_zh="图片文件名，按显示顺序，多个用分号分隔",
    hint_en="Image file names in display order, separated by semicolons",
    example="ginseng-1.jpg; ginseng-2.jpg",
)
RIGHTS = Field(
    "rights",
    "版权/使用许可",
    "Rights",
    Kind.RIGHTS,
    dc="rights",
    searchable=False,
    hint_zh="许可证网址（如 Creative Commons、RightsStatements.org）或简短声明",
    hint_en="A licence URI (Creative Commons, RightsStatements.org) or a short statement",
    example="https://creativecommons.org/licenses/by-nc/4.0/",
    aliases=("版权", "使用许可"),
)
COMMON_FIELDS = (LOCAL_ID, IMAGES, RIGHTS)
