"""How a profile's metadata is checked and cleaned, compiled once from its field declarations.

Forms, the JSON API and batch rows all validate through these rules, so a rule is written once.
Each declared field becomes a ``FieldRule`` whose cleaner is chosen by the field's kind when the
profile is first used; checking a record is then a loop over plain functions, which keeps a
10,000-row import from spending its time in per-field machinery. Every error is a bilingual
``Message`` that names the field by its label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

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
_YEAR = re.compile(r"\d{4}")
# Unicode category Cc: C0 controls, DEL and C1 controls. Paragraphs keep tabs and line ends.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_PARAGRAPHS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

Errors = dict[str, list[Message]]


class FieldInvalid(Exception):
    """One field's value is wrong; ``message`` says what and names the field."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


def split_repeatable(value: Any) -> list[str]:
    """A repeatable value from a list or a cell separated by ``;``, ``；`` or new lines.

    List items must be text or numbers; ``FieldRule.load`` refuses lists and objects inside.
    """
    items = value if isinstance(value, list | tuple) else REPEAT_SEPARATOR.split(str(value))
    seen: dict[str, None] = {}
    for item in items:
        text = normalize_text(item) if isinstance(item, str) else item
        if text not in ("", None):
            seen.setdefault(text, None)
    return list(seen)


def normalize_text(value: str) -> str:
    """Trim, unify line ends and fold full-width spaces, keeping everything else as written."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "\u3000" in value:
        value = value.replace("\u3000", " ")
    return value.strip()


class FieldRule:
    """The check of one declared field, single or repeatable."""

    def __init__(self, declaration: Field) -> None:
        self.declaration = declaration
        self.key = declaration.key
        self.required = declaration.required
        self.repeatable = declaration.repeatable
        self.limit = MAX_LENGTH.get(declaration.kind, DEFAULT_MAX_LENGTH)
        paragraphs = declaration.kind is Kind.LONG_TEXT
        self.control = _CONTROL_IN_PARAGRAPHS if paragraphs else _CONTROL
        self.one_line = not paragraphs
        self.clean_item: Callable[[FieldRule, Any], Any] = CLEANERS.get(
            declaration.kind, _clean_text
        )
        # Vocabulary terms by stored value and English label (exactly, then in any case).
        self.terms_exact: dict[str, int] = {}
        self.terms_folded: dict[str, int] = {}
        for index, term in enumerate(declaration.vocabulary):
            self.terms_exact.setdefault(term.value, index)
            self.terms_exact.setdefault(term.label_en, index)
            self.terms_folded.setdefault(term.label_en.lower(), index)
        self.missing = Message("{label} ({key}) is required").format(
            label=Message.pair(declaration.label_en, declaration.label_zh), key=declaration.key
        )
        if self.clean_item is _clean_text and not self.repeatable:
            self.load = self._load_line_of_text  # most fields of most rows: see there

    def _load_line_of_text(self, value: Any) -> Any:
        """``load`` of a single text field, answering the common case (plain text, already
        trimmed of nothing unusual, within bounds) without the general path's calls."""
        if value.__class__ is str and "\r" not in value and "\u3000" not in value:
            text = value.strip()
            if len(text) <= self.limit and self.control.search(text) is None:
                return text
        return FieldRule.load(self, value)

    def load(self, value: Any) -> Any:
        """The stored value; ``FieldInvalid`` when it is wrong."""
        if self.repeatable:
            if isinstance(value, list | tuple):
                if not all(item is None or _is_scalar(item) for item in value):
                    raise self.error(
                        Message("each value must be text, not a list or an object"),
                    )
            elif not _is_scalar(value):
                raise self.error(Message("must be text or a list of texts"))
            return [self.clean_item(self, item) for item in split_repeatable(value)]
        if isinstance(value, list | tuple):
            raise self.error(Message("takes one value, not a list"))
        return self.clean_item(self, value)

    def error(self, problem: Message, **params: Any) -> FieldInvalid:
        return FieldInvalid(labelled(self.declaration, problem.format(**params)))

    def text(self, value: Any) -> str:
        """Any value as one cleaned piece of text, within the field's length and line rules."""
        if isinstance(value, str):
            text = normalize_text(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            text = normalize_text(str(value))
        else:
            raise self.error(Message("must be text"))
        if len(text) > self.limit:
            raise self.error(
                Message("is {length} characters long; at most {limit} are allowed"),
                length=len(text),
                limit=self.limit,
            )
        bad = self.control.search(text)
        if bad is not None:
            if self.one_line and "\n" in text:
                raise self.error(Message("must be on one line"))
            raise self.error(
                Message("contains the control character U+{code:04X}; remove it"),
                code=ord(bad.group()),
            )
        return text


# The cleaners below each take the raw value of one item and return the stored value.


def _clean_text(rule: FieldRule, value: Any) -> str:
    return rule.text(value)


def _clean_vocabulary(rule: FieldRule, value: Any) -> str:
    text = rule.text(value)
    found = [
        index
        for index in (rule.terms_exact.get(text), rule.terms_folded.get(text.lower()))
        if index is not None
    ]
    if found:
        return rule.declaration.vocabulary[min(found)].value
    allowed = "、".join(term.value for term in rule.declaration.vocabulary)
    raise rule.error(
        Message("{value!r} is not one of the allowed values: {allowed}"),
        value=text,
        allowed=allowed,
    )


def _clean_year(rule: FieldRule, value: Any) -> int:
    text = rule.text(value).removesuffix("年")
    if not _YEAR.fullmatch(text):
        raise rule.error(
            Message("{value!r} is not a year (write four digits, e.g. 2008)"),
            value=str(value),
        )
    return int(text)


def _clean_date(rule: FieldRule, value: Any) -> str:
    text = rule.text(value)
    try:
        parse_date(text)
    except DateNotUnderstood as error:
        raise FieldInvalid(labelled(rule.declaration, error.message)) from None
    return text


def _clean_number_range(rule: FieldRule, value: Any) -> str:
    text = rule.text(value)
    match = _ELEVATION.match(text.replace("米", "").replace("m", "").strip())
    if not match:
        raise rule.error(
            Message("{value!r} is not a number or a range such as 800-1800"),
            value=text,
        )
    low, high = match.group(2), match.group(3)
    if high is not None and float(high) < float(low):
        raise rule.error(Message("the range {value} ends below its start"), value=text)
    return text


def _coordinate(limit: int) -> Callable[[FieldRule, Any], float]:
    def clean(rule: FieldRule, value: Any) -> float:
        text = rule.text(value).rstrip("°")
        try:
            number = float(text)
        except ValueError:
            raise rule.error(
                Message("{value!r} is not a decimal number of degrees (e.g. 42.0475)"),
                value=text,
            ) from None
        if not -limit <= number <= limit:
            raise rule.error(
                Message("{value} is outside -{limit}…{limit}"),
                value=text,
                limit=limit,
            )
        return round(number, 6)

    return clean


def _clean_rights(rule: FieldRule, value: Any) -> str:
    text = rule.text(value)
    if text.lower().startswith(("http:", "https:")) and not _URI.match(text):
        raise rule.error(Message("{value!r} is not a valid web address"), value=text)
    return text


def _clean_images(rule: FieldRule, value: Any) -> str:
    return rule.text(value).replace("\\", "/")


CLEANERS: dict[Kind, Callable[[FieldRule, Any], Any]] = {
    Kind.VOCABULARY: _clean_vocabulary,
    Kind.YEAR: _clean_year,
    Kind.DATE: _clean_date,
    Kind.NUMBER_RANGE: _clean_number_range,
    Kind.LATITUDE: _coordinate(90),
    Kind.LONGITUDE: _coordinate(180),
    Kind.RIGHTS: _clean_rights,
    Kind.IMAGES: _clean_images,
}


class MetadataRules:
    """Every field rule of one profile, and the checks that span fields."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.rules = tuple(FieldRule(field) for field in profile.fields)
        self.known = frozenset(rule.key for rule in self.rules)
        self.paired_coordinates = "latitude" in self.known

    def load(self, data: Any) -> tuple[dict[str, Any], Errors]:
        """The cleaned metadata in declaration order, and the errors by field key.

        Empty values count as absent. Unknown keys are reported alone, before anything else.
        """
        if not isinstance(data, Mapping):
            return {}, {"_": [Message("metadata must be an object")]}
        unknown = [key for key in data if key not in self.known]
        if unknown:
            return {}, {key: [_unknown_field_message(key, self.profile)] for key in unknown}
        cleaned: dict[str, Any] = {}
        errors: Errors = {}
        for rule in self.rules:
            value = data.get(rule.key)
            empty = not value.strip() if value.__class__ is str else _is_empty(value)
            if empty:
                if rule.required:
                    errors[rule.key] = [rule.missing]
                continue
            try:
                cleaned[rule.key] = rule.load(value)
            except FieldInvalid as invalid:
                errors[rule.key] = [invalid.message]
        unpaired = ("latitude" in cleaned) != ("longitude" in cleaned)
        if not errors and self.paired_coordinates and unpaired:
            missing = "longitude" if "latitude" in cleaned else "latitude"
            errors[missing] = [Message("latitude and longitude go together")]
        return cleaned, errors


def _is_scalar(value: Any) -> bool:
    """Text or a number: what one item of a field may be (a bool passes, for ``text`` to refuse)."""
    return isinstance(value, str | int | float)


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
    return Message("{key!r} is not a field of the {profile} profile (fields: {known})").format(
        key=key, profile=Message.pair(profile.name, profile.label_zh), known=known
    )


def labelled(declaration: Any, problem: Message) -> Message:
    """``problem`` prefixed with the field's label in the reader's language and its key."""
    return Message("{label} ({key}): {problem}").format(
        label=Message.pair(declaration.label_en, declaration.label_zh),
        key=declaration.key,
        problem=problem,
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
