"""The export formats: CSV, XLSX, JSON Lines and Dublin Core XML, each written as a stream.

Each format is a function from the records (an iterator, read from the database batch by
batch) to an iterator of bytes, so an export of any size holds one batch in memory.

CSV and XLSX have the import template's columns (``Profile.columns``) and then two note
columns, ``# collection`` and ``# url``, which the importer ignores (their headers start with
``#``): a library's own export re-imports unchanged. Repeatable values are joined with ``; ``,
the separator the importer splits on. See docs/exports.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from lxml import etree

from interop.exports.xlsx import stream_xlsx
from interop.oai.formats import DC_NS, OAI_DC, OAI_DC_NS, OAI_DC_SCHEMA, XSI_NS
from repository.profiles import Profile

NOTE_COLUMNS = ("# collection", "# url")
REPEAT_JOIN = "; "
#: What makes a spreadsheet read a cell as a formula. (Tab and CR, also on OWASP's list, never
#: start a stored value: every value is trimmed when it is saved.)
FORMULA_STARTS = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")
FORMULA_MARK = "'"


@dataclass(frozen=True)
class ExportedRecord:
    """What an export needs of one published record (read as plain columns, not ORM objects)."""

    public_id: str
    local_id: str
    metadata: dict[str, Any]
    profile: Profile
    collection: str
    library: str
    modified: datetime
    url: str

    def dublin_core(self) -> dict[str, list[str]]:
        """The profile's crosswalk, then the record page as an identifier (as ``oai_dc``)."""
        elements = self.profile.dublin_core(self.metadata)
        elements.setdefault("identifier", []).append(self.url)
        return elements


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    content_type: str
    write: Callable[[Iterable[ExportedRecord], tuple[str, ...]], Iterator[bytes]]


def cell_text(value: Any) -> str:
    """A metadata value as one spreadsheet cell: lists joined with ``; ``."""
    if value is None:
        return ""
    if isinstance(value, list):
        return REPEAT_JOIN.join(cell_text(item) for item in value)
    return str(value)


def neutralised(text: str) -> str:
    """``text`` with ``'`` in front when a spreadsheet would run it as a formula.

    A plain number (``-12.5``) is left alone: it is read as the same number. A value that
    already starts with ``'`` and a formula character gets a second mark, because the importer
    removes one (``clean_cell``), so every value comes back as it was.
    """
    if text.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(text) is None:
        return FORMULA_MARK + text
    return kept_marked(text)


def kept_marked(text: str) -> str:
    """A value that starts with ``'`` marks before a formula character, marked once more so
    the importer's removal of one mark leaves it whole (XLSX needs only this)."""
    if text[:1] == FORMULA_MARK and text.lstrip(FORMULA_MARK).startswith(FORMULA_STARTS):
        return FORMULA_MARK + text
    return text


def spreadsheet_rows(
    records: Iterable[ExportedRecord], columns: tuple[str, ...], protect: Callable[[str], str]
) -> Iterator[list[str]]:
    for record in records:
        metadata = record.metadata
        row = [protect(cell_text(metadata.get(key))) for key in columns]
        row.append(record.collection)
        row.append(record.url)
        yield row


class _Lines:
    """A text buffer the csv writer fills and the stream empties."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def take(self) -> bytes:
        data = self.buffer.getvalue().encode("utf-8")
        self.buffer.seek(0)
        self.buffer.truncate()
        return data


def write_csv(records: Iterable[ExportedRecord], columns: tuple[str, ...]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel then reads the Chinese right), CRLF line ends."""
    lines = _Lines()
    writer = csv.writer(lines.buffer, lineterminator="\r\n")
    writer.writerow([*columns, *NOTE_COLUMNS])
    yield "\ufeff".encode() + lines.take()
    for number, row in enumerate(spreadsheet_rows(records, columns, neutralised), start=1):
        writer.writerow(row)
        if number % 200 == 0:
            yield lines.take()
    yield lines.take()


def write_xlsx(records: Iterable[ExportedRecord], columns: tuple[str, ...]) -> Iterator[bytes]:
    rows = spreadsheet_rows(records, columns, kept_marked)
    return stream_xlsx([*columns, *NOTE_COLUMNS], rows)


def record_object(record: ExportedRecord) -> dict[str, Any]:
    return {
        "id": record.public_id,
        "url": record.url,
        "collection": record.collection,
        "profile": record.profile.name,
        "library": record.library,
        "local_id": record.local_id,
        "metadata": record.metadata,
        "dublin_core": record.dublin_core(),
        "modified": record.modified.isoformat(),
    }


def write_jsonl(records: Iterable[ExportedRecord], columns: tuple[str, ...]) -> Iterator[bytes]:
    """One JSON object per line, as ``/records/<id>.json`` has them (without images)."""
    batch: list[str] = []
    for record in records:
        batch.append(json.dumps(record_object(record), ensure_ascii=False))
        if len(batch) == 200:
            yield ("\n".join(batch) + "\n").encode()
            batch = []
    if batch:
        yield ("\n".join(batch) + "\n").encode()


def dc_element(record: ExportedRecord) -> etree._Element:
    """One record as ``oai_dc:dc``, the element OAI-PMH serves, from the same crosswalk."""
    root = OAI_DC.dc()
    for element, values in record.dublin_core().items():
        for value in values:
            etree.SubElement(root, f"{{{DC_NS}}}{element}").text = value
    return root


def write_dublin_core(
    records: Iterable[ExportedRecord], columns: tuple[str, ...]
) -> Iterator[bytes]:
    """``<records>`` holding one ``oai_dc:dc`` per record, each valid against oai_dc.xsd."""
    location = quoteattr(f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<records xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}" '
        f"xsi:schemaLocation={location}>\n"
    ).encode()
    batch: list[bytes] = []
    for record in records:
        batch.append(etree.tostring(dc_element(record), encoding="UTF-8") + b"\n")
        if len(batch) == 200:
            yield b"".join(batch)
            batch = []
    batch.append(b"</records>\n")
    yield b"".join(batch)


FORMATS = {
    "csv": Format("csv", "csv", "text/csv; charset=utf-8", write_csv),
    "xlsx": Format(
        "xlsx",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        write_xlsx,
    ),
    "jsonl": Format("jsonl", "jsonl", "application/jsonl; charset=utf-8", write_jsonl),
    "dc": Format("dc", "xml", "application/xml; charset=utf-8", write_dublin_core),
}
