"""Deciding the text encoding (and the delimiter) of an uploaded CSV file from its bytes.

Encodings are decided without guessing: a byte-order mark is trusted; otherwise the file is
UTF-8 if every line decodes as UTF-8, else GB18030 (the superset of GBK that Chinese Excel's
"CSV" writes) if every line decodes as that and none looks like UTF-8 Chinese text. A file that
is neither, or that mixes the two (rows pasted from another file), is refused with the row and
column of the first offending cell. Statistical detectors were not used: on short, mostly
Chinese files their guesses vary, while a strict decode is either right or says where it failed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.imports.problems import Problem, TableUnreadable, column_letter, shorten
from repository.messages import Message

_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030 (GBK)"}


def delimiter_of(header_line: str) -> str:
    """Commas as Excel writes them; tabs ("Unicode text") or semicolons if the header has those."""
    for candidate in (",", "\t", ";"):
        if candidate in header_line:
            return candidate
    return ","


def decide_encoding(path: Path, chosen: str | None) -> tuple[str, int]:
    """The encoding to read ``path`` with, and its number of lines (for progress)."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if chosen and not codecs.lookup(chosen).name.startswith("utf-16"):
            raise TableUnreadable([Problem(_BOM_CONTRADICTS.format(chosen=chosen, found="UTF-16"))])
        return "utf-16", _count_utf16_lines(path)
    has_bom = head.startswith(codecs.BOM_UTF8)
    if chosen:
        name = codecs.lookup(chosen).name
        if has_bom and name not in ("utf-8", "utf-8-sig"):
            raise TableUnreadable([Problem(_BOM_CONTRADICTS.format(chosen=chosen, found="UTF-8"))])
        return _check_chosen(path, "utf-8-sig" if name == "utf-8" else name)
    scan = _scan_lines(path)
    if scan.nul is not None:
        raise TableUnreadable([Problem(_NUL_BYTE.format(row=scan.nul), row=scan.nul)])
    if scan.not_utf8 is None:
        return ("utf-8-sig" if has_bom else "utf-8"), scan.lines
    if scan.neither is not None:
        raise TableUnreadable(
            _locate(
                path, lambda raw: _decodes(raw, "utf-8") or _decodes(raw, "gb18030"), _UNREADABLE
            )
        )
    if has_bom or scan.looks_utf8 is not None:
        raise TableUnreadable(_mixed_encoding_problems(path, scan))
    return "gb18030", scan.lines


@dataclass
class _Scan:
    lines: int = 0
    not_utf8: int | None = None  # first line that is not UTF-8
    looks_utf8: int | None = None  # first line that is UTF-8 with characters past U+07FF
    neither: int | None = None  # first line that is neither UTF-8 nor GB18030
    nul: int | None = None  # first line with a NUL byte (UTF-16 without a mark, a binary file)


def _scan_lines(path: Path) -> _Scan:
    """One pass over the bytes, line by line (in both encodings a newline byte is a newline)."""
    scan = _Scan()
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            scan.lines = number
            if scan.nul is None and b"\0" in line:
                scan.nul = number
            if line.isascii():
                continue
            if _decodes(line, "utf-8"):
                if scan.looks_utf8 is None and any(byte >= 0xE0 for byte in line):
                    scan.looks_utf8 = number
                continue
            scan.not_utf8 = scan.not_utf8 or number
            if scan.neither is None and not _decodes(line, "gb18030"):
                scan.neither = number
    return scan


def _check_chosen(path: Path, encoding: str) -> tuple[str, int]:
    """A chosen encoding must decode every line, and must not be GB18030 for a UTF-8 file."""
    try:
        sample = "a,b\n".encode(encoding).removeprefix(codecs.BOM_UTF8)
        ascii_compatible = sample == b"a,b\n"
    except (UnicodeError, LookupError):
        ascii_compatible = False
    if not ascii_compatible:
        return encoding, 0  # UTF-16 without a mark and the like: decode errors surface as read
    lines = 0
    failed = False
    with path.open("rb") as stream:
        for line in stream:
            lines += 1
            if not line.isascii() and not _decodes(line, encoding):
                failed = True
                break
    if failed:
        detected = _detected_name(path)
        # Row and column are filled in by _locate.
        message = _NOT_IN_CHOSEN.format(
            chosen=encoding, detected=detected, row="{row}", column="{column}"
        )
        raise TableUnreadable(_locate(path, lambda raw: _decodes(raw, encoding), message))
    if codecs.lookup(encoding).name != "utf-8":
        scan = _scan_lines(path)
        if scan.not_utf8 is None and scan.looks_utf8 is not None:
            raise TableUnreadable([Problem(_LOOKS_UTF8.format(chosen=encoding))])
    return encoding, lines


def _detected_name(path: Path) -> str:
    try:
        encoding, _ = decide_encoding(path, None)
    except TableUnreadable:
        return Message("neither UTF-8 nor GB18030")
    return _ENCODING_NAMES.get(encoding, encoding)


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _count_utf16_lines(path: Path) -> int:
    with path.open(encoding="utf-16", errors="replace", newline="") as text:
        return sum(1 for _ in text)


def _mixed_encoding_problems(path: Path, scan: _Scan) -> list[Problem]:
    """Name a UTF-8 cell and a GB18030 cell by row and column, so the pasted rows can be found."""
    utf8 = _locate(path, lambda raw: not _looks_utf8(raw), None, limit=1)
    other = _locate(path, lambda raw: _decodes(raw, "utf-8"), None, limit=1)
    utf8_row = utf8[0].row if utf8 else (scan.looks_utf8 or 1)
    other_row = other[0].row if other else scan.not_utf8
    message = _MIXED.format(utf8_row=utf8_row, other_row=other_row)
    if not other:
        return [Problem(message, row=other_row or 0)]
    found = other[0]
    return [Problem(message, found.row, found.column, "", found.value, found.cell)]


def _looks_utf8(raw: bytes) -> bool:
    return _decodes(raw, "utf-8") and any(byte >= 0xE0 for byte in raw)


def _locate(
    path: Path,
    acceptable: Callable[[bytes], bool],
    message: Message | None,
    *,
    limit: int = 3,
) -> list[Problem]:
    """Cells whose bytes are not ``acceptable``, found by reading the file as Latin-1.

    In UTF-8 and GB18030 alike the bytes of quotes, commas and newlines never occur inside a
    character, so the Latin-1 reading has the same rows and cells as the real one.
    """
    found: list[Problem] = []
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
        delimiter = delimiter_of(text.readline())
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        headers: list[str] = []
        try:
            for number, cells in enumerate(reader, start=1):
                if number == 1:
                    headers = cells
                for index, cell in enumerate(cells):
                    data = cell.encode("latin-1")
                    if data.isascii() or acceptable(data):
                        continue
                    header = headers[index] if index < len(headers) else ""
                    header = header.encode("latin-1").decode("utf-8", "replace")
                    shown = shorten(data.decode("utf-8", "replace"), 40)
                    text_message = (message or Message.pair("", "")).format(
                        row=number, column=header or column_letter(index)
                    )
                    found.append(
                        Problem(
                            text_message,
                            row=number,
                            column=header,
                            value=shown,
                            cell=f"{column_letter(index)}{number}",
                        )
                    )
                    if len(found) >= limit:
                        return found
        except csv.Error:
            pass  # a structural error is reported by the real reading
    return found


# Messages ----------------------------------------------------------------------------------------

_NUL_BYTE = Message(
    "Row {row} contains a NUL byte: this is not a text CSV file in UTF-8 or GBK (UTF-16 without "
    "a byte-order mark, or a binary file renamed to .csv?). Save it from Excel as “CSV UTF-8”."
)
_UNREADABLE = Message(
    "Row {row}, column {column}: the text is neither UTF-8 nor GB18030/GBK, the encodings Excel "
    "uses for Chinese. Save the file from Excel as “CSV UTF-8”, or choose its encoding."
)
_NOT_IN_CHOSEN = Message(
    "Row {row}, column {column}: the text cannot be read as {chosen}, the encoding chosen; "
    "the file looks like {detected}. Choose that encoding or let Huiku detect it."
)
_LOOKS_UTF8 = Message(
    "The file is UTF-8, but {chosen} was chosen: the Chinese text would come out garbled. "
    "Choose UTF-8 or let Huiku detect the encoding."
)
_BOM_CONTRADICTS = Message(
    "The file starts with a {found} byte-order mark, but {chosen} was chosen; "
    "choose {found} or let Huiku detect the encoding."
)
_MIXED = Message(
    "The file mixes text encodings: row {utf8_row} is UTF-8 but row {other_row} is GB18030/GBK "
    "(probably rows pasted from another file). Open it in Excel and save the whole file again "
    "as “CSV UTF-8”."
)
