"""Dates as cataloguers write them, read into a year range for sorting, filters and facets.

The text is always stored as written; ``parse_date`` only derives the range. Unreadable or
impossible dates raise ``DateNotUnderstood`` so a typo never silently loses its date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from repository.messages import Message

ACCEPTED_FORMS = (
    "2011-06-18, 2011-06, 2011, 1950s, 20世纪50年代, 清代, 民国, 约1930, 光绪十七年, 1930-1935"
)

# Periods written by name, with the years they cover.
NAMED_PERIODS: dict[str, tuple[int, int]] = {
    "唐": (618, 907),
    "宋": (960, 1279),
    "辽": (907, 1125),
    "金": (1115, 1234),
    "元": (1271, 1368),
    "明": (1368, 1644),
    "清": (1644, 1911),
    "清末": (1840, 1911),
    "晚清": (1840, 1911),
    "民国": (1912, 1949),
    "伪满": (1932, 1945),
    "伪满洲国": (1932, 1945),
    "伪满时期": (1932, 1945),
    "抗战时期": (1931, 1945),
    "新中国成立初期": (1949, 1956),
    "改革开放以来": (1978, dt.date.today().year),
}
_PERIOD_SUFFIXES = ("代", "朝", "时期", "年间")

# Reign eras whose years cataloguers copy from old documents: first year of each era.
REIGN_ERAS: dict[str, tuple[int, int]] = {
    "顺治": (1644, 18),
    "康熙": (1662, 61),
    "雍正": (1723, 13),
    "乾隆": (1736, 60),
    "嘉庆": (1796, 25),
    "道光": (1821, 30),
    "咸丰": (1851, 11),
    "同治": (1862, 13),
    "光绪": (1875, 34),
    "宣统": (1909, 3),
    "民国": (1912, 38),
    "康德": (1934, 12),
}

_CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CHINESE_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}

_APPROXIMATE = re.compile(r"^(约|大约|circa\s*|ca\.?\s*|c\.\s*)", re.IGNORECASE)
_UNCERTAIN = re.compile(r"[?？]$|前后$|左右$")
_RANGE_SEPARATOR = re.compile(r"\s*(?:-|–|—|－|~|～|至|到|/)\s*")


@dataclass(frozen=True)
class YearRange:
    start: int
    end: int
    approximate: bool = False


class DateNotUnderstood(ValueError):
    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=4096)  # a batch repeats its dates: validation and year columns both ask
def parse_date(text: str) -> YearRange:
    """Read a date as written (``2011-06``, ``20世纪50年代``, ``清代``, ``约1930``) into years."""
    value = text.strip()
    if not value:
        raise _not_understood(text)
    approximate = False
    if match := _APPROXIMATE.match(value):
        approximate, value = True, value[match.end() :].strip()
    if match := _UNCERTAIN.search(value):
        approximate, value = True, value[: match.start()].strip()
    found = _single(value) or _range(value)
    if found is None:
        raise _not_understood(text)
    start, end = found
    if approximate and start == end:
        start, end = start - 5, end + 5
    return YearRange(start, end, approximate)


def _single(value: str) -> tuple[int, int] | None:
    for reader in (_calendar_date, _decade, _century, _named_period, _reign_year):
        found = reader(value)
        if found is not None:
            return found
    return None


def _range(value: str) -> tuple[int, int] | None:
    parts = _RANGE_SEPARATOR.split(value)
    if len(parts) != 2 or not all(parts):
        return None
    first, last = _single(parts[0]), _single(parts[1])
    if first is None or last is None:
        # "1930-35": the second year shares the century of the first.
        if first and re.fullmatch(r"\d{2}", parts[1]):
            last_year = first[0] // 100 * 100 + int(parts[1])
            last = (last_year, last_year)
        else:
            return None
    if last[1] < first[0]:
        raise DateNotUnderstood(
            Message("the range {text} ends before it starts").format(text=value)
        )
    return first[0], last[1]


_ISO = re.compile(r"^(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$")
_CHINESE_CALENDAR = re.compile(r"^(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})[日号])?)?$")


def _calendar_date(value: str) -> tuple[int, int] | None:
    match = _ISO.match(value) or _CHINESE_CALENDAR.match(value)
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    _check_calendar(value, year, month, day)
    return year, year


def _check_calendar(text: str, year: int, month: int | None, day: int | None) -> None:
    if year > dt.date.today().year + 1:
        raise DateNotUnderstood(Message("{text} is in the future").format(text=text))
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise DateNotUnderstood(
            Message("{text} is not a real calendar date").format(text=text)
        ) from None


def _decade(value: str) -> tuple[int, int] | None:
    if match := re.fullmatch(r"(\d{3})0\s*(?:s|'s|年代)", value):
        start = int(match.group(1)) * 10
        return start, start + 9
    if match := re.fullmatch(r"(\d{1,2}|[一二]十[一二三四五六七八九]?)世纪(\S{1,3})年代", value):
        century = _number(match.group(1))
        decade = _number(match.group(2))
        if century is None or decade is None or decade % 10 or not 0 <= decade < 100:
            return None
        start = (century - 1) * 100 + decade
        return start, start + 9
    return None


def _century(value: str) -> tuple[int, int] | None:
    match = re.fullmatch(
        r"(\d{1,2}|[一二]?十[一二三四五六七八九]?|[一二三四五六七八九])世纪(初|中叶|中期|末)?",
        value,
    )
    match = match or re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th) century", value, re.IGNORECASE)
    if not match:
        return None
    century = _number(match.group(1))
    if century is None or not 1 <= century <= 21:
        return None
    start = (century - 1) * 100
    part = match.group(2) if match.re.groups > 1 else None
    if part == "初":
        return start, start + 19
    if part in ("中叶", "中期"):
        return start + 40, start + 69
    if part == "末":
        return start + 80, start + 99
    return start, start + 99


def _named_period(value: str) -> tuple[int, int] | None:
    if value in NAMED_PERIODS:
        return NAMED_PERIODS[value]
    for suffix in _PERIOD_SUFFIXES:
        if value.endswith(suffix) and value[: -len(suffix)] in NAMED_PERIODS:
            return NAMED_PERIODS[value[: -len(suffix)]]
    if value.endswith("年间") and value[:-2] in REIGN_ERAS:
        first, length = REIGN_ERAS[value[:-2]]
        return first, first + length - 1
    return None


def _reign_year(value: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\S{2})(元|\d{1,2}|[一二三四五六七八九十]{1,3})年", value)
    if not match or match.group(1) not in REIGN_ERAS:
        return None
    first, length = REIGN_ERAS[match.group(1)]
    number = 1 if match.group(2) == "元" else _number(match.group(2))
    if number is None or not 1 <= number <= length:
        raise DateNotUnderstood(
            Message("{text}: the {era} era had only {length} years").format(
                text=value, era=match.group(1), length=length
            )
        )
    year = first + number - 1
    return year, year


def _number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 99 (十七, 二十, 五十)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        tens_value = _CHINESE_DIGITS.get(tens, None) if tens else 1
        ones_value = _CHINESE_DIGITS.get(ones, None) if ones else 0
        if tens_value is None or ones_value is None:
            return None
        return tens_value * 10 + ones_value
    if len(text) == 1:
        return _CHINESE_DIGITS.get(text)
    return None


def _not_understood(text: str) -> DateNotUnderstood:
    return DateNotUnderstood(
        Message("cannot read the date {text!r}; write it like {forms}").format(
            text=text, forms=ACCEPTED_FORMS
        )
    )
