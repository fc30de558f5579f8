"""From spreadsheet cells to validated metadata: columns to fields, then the profile schema.

Headers may be the field key, the Chinese or the English label (``Profile.field_for_header``);
a column whose header starts with ``#`` is a note column and ignored. Cells are cleaned the way
cataloguers' spreadsheets need: non-breaking and zero-width spaces removed, full-width digits
and punctuation folded where the field holds numbers, dates or identifiers. Everything else is
the profile's own validation, so a batch row is held to the same rules as the web form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ingest.imports.problems import Problem, TableUnreadable, column_letter, shorten
from repository.messages import Message
from repository.profiles import Field, Kind, MetadataInvalid, Profile, split_repeatable
from repository.profiles.dates import ACCEPTED_FORMS
from repository.profiles.validation import DEFAULT_MAX_LENGTH, MAX_LENGTH, normalize_text

# Kinds whose values are numbers, dates or codes: full-width forms (２０１１－０６) fold to ASCII.
_FOLDED_KINDS = frozenset(
    {Kind.IDENTIFIER, Kind.YEAR, Kind.DATE, Kind.NUMBER_RANGE, Kind.LATITUDE, Kind.LONGITUDE}
)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
#: What a value starts with when an export neutralised it as a formula (after the ``'`` marks).
_FORMULA_STARTS = frozenset("=+-@")


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: Field | None  # None for a note column (header starting with #) or an empty header

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class Columns:
    """What each column of a file means."""

    columns: tuple[Column, ...]
    by_field: Mapping[str, Column]

    def header_for(self, key: str, profile: Profile) -> str:
        column = self.by_field.get(key)
        return column.header if column else profile.field(key).label_zh

    @cached_property
    def fields_at(self) -> tuple[tuple[int, str, bool], ...]:
        """(index, field key, folds full-width forms) of each column that holds a field."""
        return tuple(
            (column.index, column.field.key, column.field.kind in _FOLDED_KINDS)
            for column in self.columns
            if column.field is not None
        )

    @cached_property
    def unheaded_at(self) -> tuple[int, ...]:
        """Indexes of the columns without a header, where a value is a mistake."""
        return tuple(column.index for column in self.columns if not column.header)


def map_columns(profile: Profile, headers: list[str]) -> Columns:
    """Match the header row to the profile; unknown, repeated or missing columns stop the import."""
    columns: list[Column] = []
    by_field: dict[str, Column] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(headers):
        header = clean_cell(raw)
        if not header or header.startswith("#"):
            columns.append(Column(index, header, None))
            continue
        declared = profile.field_for_header(header)
        cell = f"{column_letter(index)}1"
        if declared is None:
            problems.append(
                Problem(
                    _UNKNOWN_COLUMN.format(header=header, known=_known_headers(profile)),
                    row=1,
                    column=header,
                    value=header,
                    cell=cell,
                    fix=_UNKNOWN_COLUMN_FIX,
                )
            )
            columns.append(Column(index, header, None))
            continue
        if declared.key in by_field:
            first = by_field[declared.key]
            problems.append(
                Problem(
                    _REPEATED_COLUMN.format(
                        header=header, first=first.header, first_cell=f"{first.letter}1"
                    ),
                    row=1,
                    column=header,
                    field=declared.key,
                    value=header,
                    cell=cell,
                )
            )
            columns.append(Column(index, header, None))
            continue
        column = Column(index, header, declared)
        columns.append(column)
        by_field[declared.key] = column
    for declared in profile.fields:
        if declared.required and declared.key not in by_field:
            problems.append(
                Problem(
                    _MISSING_COLUMN.format(key=declared.key, zh=declared.label_zh),
                    row=1,
                    column=declared.label_zh,
                    field=declared.key,
                )
            )
    if problems:
        raise TableUnreadable(problems)
    return Columns(tuple(columns), by_field)


@dataclass
class CheckedRow:
    """A row after validation: clean metadata and image names, or the problems found."""

    number: int
    local_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    image_names: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_row(
    profile: Profile, columns: Columns, number: int, cells: list[str], default_rights: str = ""
) -> CheckedRow:
    """Validate one row against the profile (images are checked later, against the files)."""
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    count = len(cells)
    for index, key, folds in columns.fields_at:
        if index < count and cells[index]:
            value = _cleaned(cells[index], folds)
            if value:
                data[key] = value
    # A value in a column with no header, or beyond the header row's last column.
    stray = [i for i in columns.unheaded_at if i < count] + list(range(len(columns.columns), count))
    for index in stray:
        value = clean_cell(cells[index])
        if value:
            cell = f"{column_letter(index)}{number}"
            problems.append(
                Problem(
                    _VALUE_WITHOUT_HEADER.format(cell=cell),
                    row=number,
                    column=column_letter(index),
                    value=shorten(value),
                    cell=cell,
                    fix=_VALUE_WITHOUT_HEADER_FIX,
                )
            )
    image_cell = data.pop("images", "")
    if "rights" not in data and default_rights:
        data["rights"] = default_rights
    local_id = str(data.get("local_id", ""))
    try:
        metadata = profile.validate(data)
    except MetadataInvalid as error:
        metadata = {}
        for key, messages in error.errors.items():
            known = key in {f.key for f in profile.fields}
            declared = profile.field(key) if known else None
            column = columns.by_field.get(key)
            for message in messages:
                problems.append(
                    Problem(
                        _as_message(message),
                        row=number,
                        column=columns.header_for(key, profile) if known else "",
                        field=key if known else "",
                        value=shorten(_cell_value(cells, column)),
                        cell=f"{column.letter}{number}" if column else "",
                        fix=how_to_fix(declared) if declared else None,
                    )
                )
    return CheckedRow(
        number=number,
        local_id=str(metadata.get("local_id", local_id)),
        metadata=metadata,
        image_names=[unicodedata.normalize("NFC", n) for n in split_repeatable(image_cell)],
        problems=problems,
    )


def _cleaned(raw: str, folds: bool) -> str:
    value = clean_cell(raw)
    return unicodedata.normalize("NFKC", value).strip() if folds else value


def _cell_value(cells: list[str], column: Column | None) -> str:
    """A field's cell as cleaned for checking, to show beside its problem."""
    if column is None or column.field is None or column.index >= len(cells):
        return ""
    return _cleaned(cells[column.index], column.field.kind in _FOLDED_KINDS)


def clean_cell(value: str) -> str:
    """Trim, and drop what copy-and-paste brings along: no-break and zero-width spaces.

    A Huiku CSV export writes ``'`` before a value a spreadsheet would read as a formula
    (``=``, ``+``, ``-``, ``@``), and one more before a value that already starts with such
    marks; one mark is removed here, so the export re-imports unchanged.
    """
    if value.isascii():  # most cells: neither kind of space can be in them
        text = value.strip()
    else:
        text = _INVISIBLE.sub("", value.replace("\u00a0", " ")).strip()
    if text[:1] == "'" and text.lstrip("'")[:1] in _FORMULA_STARTS:
        return text[1:]
    return text


def images_in(cells: list[str], columns: Columns) -> int:
    """How many files a row's ``images`` cell names (its batch and its chunk count them)."""
    column = columns.by_field.get("images")
    if column is None or column.index >= len(cells):
        return 0
    return len(split_repeatable(cells[column.index]))


def local_id_of(cell: str) -> str:
    """A ``local_id`` cell as the row's check cleans it (identifiers fold full-width forms)."""
    return normalize_text(unicodedata.normalize("NFKC", clean_cell(cell)))


def how_to_fix(declared: Field) -> Message:
    """What a valid value of this field looks like, from its declaration."""
    parts: list[Message] = []
    kind = declared.kind
    if declared.vocabulary:
        values = [t.value for t in declared.vocabulary]
        parts.append(
            Message.pair("Use one of: " + ", ".join(values), "请填写以下之一：" + "、".join(values))
        )
    elif kind is Kind.YEAR:
        parts.append(Message("Write a year as four digits"))
    elif kind is Kind.DATE:
        parts.append(Message("Write a date as found, e.g. {forms}").format(forms=ACCEPTED_FORMS))
    elif kind is Kind.LATITUDE:
        parts.append(
            Message("Write decimal degrees from -90 to 90 (north positive), with the longitude")
        )
    elif kind is Kind.LONGITUDE:
        parts.append(
            Message("Write decimal degrees from -180 to 180 (east positive), with the latitude")
        )
    elif kind is Kind.NUMBER_RANGE:
        parts.append(Message("Write a number or a range such as 800-1800"))
    elif kind is Kind.RIGHTS:
        parts.append(Message("Write a licence address (https://…) or a short statement"))
    elif kind is Kind.IDENTIFIER:
        parts.append(Message("Write your library's own identifier, different on every row"))
    else:
        limit = MAX_LENGTH.get(kind, DEFAULT_MAX_LENGTH)
        if kind is Kind.LONG_TEXT:
            text = Message("Write text (paragraphs, at most {limit:,} characters)")
        else:
            text = Message("Write text (one line, at most {limit:,} characters)")
        parts.append(text.format(limit=limit))
    if declared.repeatable:
        parts.append(Message("separate several values with ; or ；"))
    if declared.required:
        parts.append(Message("required"))
    if declared.example:
        parts.append(Message("e.g. {example}").format(example=declared.example))
    return Message("{hint}.").format(hint=Message.join(parts))


def _as_message(message: Any) -> Message:
    return message if isinstance(message, Message) else Message.verbatim(str(message))


def _known_headers(profile: Profile) -> str:
    return ", ".join(f"{f.key} ({f.label_zh})" for f in profile.fields)


_UNKNOWN_COLUMN = Message(
    "Column “{header}” is not a field of this collection. Known columns: {known}."
)
_UNKNOWN_COLUMN_FIX = Message(
    "Rename the column to a field key or label, or start its header with # to keep it as a note."
)
_REPEATED_COLUMN = Message(
    "Column “{header}” means the same field as column “{first}” ({first_cell}); keep only one."
)
_MISSING_COLUMN = Message(
    "The required column {key} ({zh}) is missing; add it (the template has every column)."
)
_VALUE_WITHOUT_HEADER = Message("Cell {cell} has a value but its column has no header.")
_VALUE_WITHOUT_HEADER_FIX = Message("Give the column a header, or clear the cell.")
