"""The marshmallow schema of a profile, derived from its field declarations.

Forms, the JSON API and batch rows all validate through this one schema, so a rule is written
once. Every error is a bilingual ``Message`` that names the field by its label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, pre_load, validates_schema
from marshmallow import fields as mf

from repository.messages import Message
from repository.profiles.dates import DateNotUnderstood, parse_date
from repository.profiles.fields import Field, Kind

if TYPE_CHECKING:
    from repository.profiles import Profile

MAX_LENGTH = {Kind.LONG_TEXT: 20_000, Kind.RIGHTS: 500, Kind.IDENTIFIER: 200}
DEFAULT_MAX_LENGTH = 500
REPEAT_SEPARATOR = re.compile(r"\s*[;；]\s*|\n+")
_ELEVATION = re.compile(
    r"^(约|~)?\s*(-?\d+(?:\.\d+)?)(?:\s*(?:-|–|—|~|～|至)\s*(-?\d+(?:\.\d+)?))?$"
)
_URI = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def split_repeatable(value: Any) -> list[str]:
    """A repeatable value from a list or a cell separated by ``;``, ``；`` or new lines."""
    items = value if isinstance(value, list | tuple) else REPEAT_SEPARATOR.split(str(value))
    seen: dict[str, None] = {}
    for item in items:
        text = normalize_text(item) if isinstance(item, str) else item
        if text not in ("", None):
            seen.setdefault(text, None)
    return list(seen)


def normalize_text(value: str) -> str:
    """Trim, unify line ends and fold full-width spaces, keeping everything else as written."""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").strip()


class ProfileField(mf.Field):
    """A marshmallow field that checks one declared profile field, single or repeatable."""

    def __init__(self, declaration: Field) -> None:
        self.declaration = declaration
        label = f"{declaration.label_en} ({declaration.key})"
        super().__init__(
            required=declaration.required,
            error_messages={
                "required": Message(f"{label} is required", f"「{declaration.label_zh}」为必填项"),
                "null": Message(f"{label} is required", f"「{declaration.label_zh}」为必填项"),
            },
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if self.declaration.repeatable:
            return [self._clean(item) for item in split_repeatable(value)]
        if isinstance(value, list | tuple):
            raise self._error("takes one value, not a list", "只能填写一个值")
        return self._clean(value)

    def _clean(self, value: Any) -> Any:
        kind = self.declaration.kind
        cleaner = CLEANERS.get(kind, _clean_text)
        return cleaner(self, value)

    def _error(self, en: str, zh: str, **params: Any) -> ValidationError:
        d = self.declaration
        message = Message(f"{d.label_en} ({d.key}): {en}", f"「{d.label_zh}」{zh}")
        return ValidationError(message.format(**params))

    # The cleaners below each take the raw value of one item and return the stored value.

    def text(self, value: Any) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self._error("must be text", "应为文本")
        text = normalize_text(str(value))
        limit = MAX_LENGTH.get(self.declaration.kind, DEFAULT_MAX_LENGTH)
        if len(text) > limit:
            raise self._error(
                "is {length} characters long; at most {limit} are allowed",
                "长度为 {length} 个字符，最多允许 {limit} 个",
                length=len(text),
                limit=limit,
            )
        allowed = "\n\t" if self.declaration.kind is Kind.LONG_TEXT else ""
        bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in allowed), None)
        if bad is not None:
            raise self._error(
                "contains the control character U+{code:04X}; remove it",
                "含有控制字符 U+{code:04X}，请删除",
                code=ord(bad),
            )
        if self.declaration.kind is not Kind.LONG_TEXT and "\n" in text:
            raise self._error("must be on one line", "应为单行文本")
        return text


def _clean_text(field: ProfileField, value: Any) -> str:
    return field.text(value)


def _clean_vocabulary(field: ProfileField, value: Any) -> str:
    text = field.text(value)
    for term in field.declaration.vocabulary:
        if text in (term.value, term.label_en) or text.lower() == term.label_en.lower():
            return term.value
    allowed = "、".join(term.value for term in field.declaration.vocabulary)
    raise field._error(
        "{value!r} is not one of the allowed values: {allowed}",
        "「{value}」不在可选值中，可选值为：{allowed}",
        value=text,
        allowed=allowed,
    )


def _clean_year(field: ProfileField, value: Any) -> int:
    text = field.text(value).removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        raise field._error(
            "{value!r} is not a year (write four digits, e.g. 2008)",
            "「{value}」不是年份（请填写四位数字，如 2008）",
            value=str(value),
        )
    return int(text)


def _clean_date(field: ProfileField, value: Any) -> str:
    text = field.text(value)
    try:
        parse_date(text)
    except DateNotUnderstood as error:
        d = field.declaration
        message = Message(
            f"{d.label_en} ({d.key}): {error.message}", f"「{d.label_zh}」{error.message.zh}"
        )
        raise ValidationError(message) from None
    return text


def _clean_number_range(field: ProfileField, value: Any) -> str:
    text = field.text(value)
    match = _ELEVATION.match(text.replace("米", "").replace("m", "").strip())
    if not match:
        raise field._error(
            "{value!r} is not a number or a range such as 800-1800",
            "「{value}」不是数字或范围（如 800-1800）",
            value=text,
        )
    low, high = match.group(2), match.group(3)
    if high is not None and float(high) < float(low):
        raise field._error(
            "the range {value} ends below its start", "范围 {value} 的上限低于下限", value=text
        )
    return text


def _coordinate(limit: int) -> Callable[[ProfileField, Any], float]:
    def clean(field: ProfileField, value: Any) -> float:
        text = field.text(value).rstrip("°")
        try:
            number = float(text)
        except ValueError:
            raise field._error(
                "{value!r} is not a decimal number of degrees (e.g. 42.0475)",
                "「{value}」不是十进制度数（如 42.0475）",
                value=text,
            ) from None
        if not -limit <= number <= limit:
            raise field._error(
                "{value} is outside -{limit}…{limit}",
                "{value} 超出 -{limit}～{limit} 的范围",
                value=text,
                limit=limit,
            )
        return round(number, 6)

    return clean


def _clean_rights(field: ProfileField, value: Any) -> str:
    text = field.text(value)
    if text.lower().startswith(("http:", "https:")) and not _URI.match(text):
        raise field._error(
            "{value!r} is not a valid web address", "「{value}」不是有效网址", value=text
        )
    return text


def _clean_images(field: ProfileField, value: Any) -> str:
    return field.text(value).replace("\\", "/")


CLEANERS: dict[Kind, Callable[[ProfileField, Any], Any]] = {
    Kind.VOCABULARY: _clean_vocabulary,
    Kind.YEAR: _clean_year,
    Kind.DATE: _clean_date,
    Kind.NUMBER_RANGE: _clean_number_range,
    Kind.LATITUDE: _coordinate(90),
    Kind.LONGITUDE: _coordinate(180),
    Kind.RIGHTS: _clean_rights,
    Kind.IMAGES: _clean_images,
}


def build_schema(profile: Profile) -> type[Schema]:
    """A marshmallow schema class for one profile."""
    declared = {field.key: ProfileField(field) for field in profile.fields}
    known = frozenset(declared)

    class RecordMetadataSchema(Schema):
        @pre_load
        def drop_empty_and_unknown(self, data: Any, **kwargs: Any) -> dict[str, Any]:
            if not isinstance(data, dict):
                raise ValidationError(Message("metadata must be an object", "元数据应为对象"))
            unknown = [key for key in data if key not in known]
            if unknown:
                raise ValidationError(
                    {key: [_unknown_field_message(key, profile)] for key in unknown}
                )
            return {key: value for key, value in data.items() if not _is_empty(value)}

        @validates_schema
        def coordinates_come_in_pairs(self, data: dict[str, Any], **kwargs: Any) -> None:
            if "latitude" in known and ("latitude" in data) != ("longitude" in data):
                missing = "longitude" if "latitude" in data else "latitude"
                raise ValidationError(
                    {
                        missing: [
                            Message("latitude and longitude go together", "纬度和经度需同时填写")
                        ]
                    }
                )

    name = f"{profile.name.title().replace('_', '')}MetadataSchema"
    return type(name, (RecordMetadataSchema,), dict(declared))


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return all(_is_empty(item) for item in value)
    return False


def _unknown_field_message(key: str, profile: Profile) -> Message:
    known = ", ".join(field.key for field in profile.fields)
    return Message(
        f"{key!r} is not a field of the {profile.name} profile (fields: {known})",
        f"「{key}」不是 {profile.label_zh} 模板的字段（可用字段：{known}）",
    )


def flatten_errors(messages: dict[str, Any]) -> dict[str, list[Message]]:
    """marshmallow nests errors of repeatable items by index; readers want one list per field."""
    flat: dict[str, list[Message]] = {}
    for key, value in messages.items():
        flat[key] = list(_leaves(value))
    return flat


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
