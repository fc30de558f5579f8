"""Reading a spreadsheet row by row: CSV in the encodings Chinese Excel writes, or XLSX.

The format is decided by the file's bytes, not its name. Rows are streamed, never loaded whole,
and numbered as the spreadsheet shows them (the header is row 1), so every report points at the
row a cataloguer sees in Excel.

CSV encodings are decided without guessing: a byte-order mark is trusted; otherwise the file is
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
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ingest.imports.problems import Problem, TableUnreadable, column_letter, shorten
from repository.messages import Message

CSV, XLSX = "csv", "xlsx"

_AUTO_ENCODINGS = ("utf-8", "gb18030")
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030 (GBK)"}


@dataclass(frozen=True)
class SourceRow:
    """One non-blank data row: its number as the spreadsheet shows it and its cells as text."""

    number: int
    cells: list[str]


@dataclass
class Table:
    format: str
    encoding: str | None
    headers: list[str]
    estimated_rows: int  # an upper bound for progress bars; the exact count comes from reading
    rows: Iterator[SourceRow]


def sniff_format(path: Path) -> str:
    """``csv`` or ``xlsx`` from the first bytes; other spreadsheets are refused by name."""
    with Path(path).open("rb") as stream:
        head = stream.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableUnreadable([Problem(_OLD_EXCEL)])
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise TableUnreadable([Problem(_DAMAGED_XLSX)]) from None
        if "xl/workbook.xml" in names:
            return XLSX
        if "content.xml" in names:
            raise TableUnreadable([Problem(_OPENDOCUMENT)])
        raise TableUnreadable([Problem(_NOT_A_TABLE)])
    return CSV


@contextmanager
def open_table(
    path: Path, *, encoding: str | None = None, found: str | None = None
) -> Iterator[Table]:
    """The table in ``path`` with its header row read; its rows stream while the block runs.

    Blank rows are skipped, and so is a hint row: a row 2 whose first cell starts with ``#``.
    Raises TableUnreadable, also while rows are being read (an unbalanced quote further down).
    ``found``: the encoding an earlier reading of this very file decided on (``Table.encoding``),
    used without reading the file through again to decide (a chunk of a large import).
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise TableUnreadable([Problem(_EMPTY)])
    if sniff_format(path) == XLSX:
        with _open_xlsx(path) as table:
            yield table
    else:
        with _open_csv(path, encoding, found) as table:
            yield table


def _data_rows(numbered: Iterator[tuple[int, list[str]]]) -> Iterator[SourceRow]:
    for number, cells in numbered:
        if not any(cell.strip() for cell in cells):
            continue
        if number == 2 and cells and cells[0].lstrip().startswith("#"):
            continue  # the template's hint row
        yield SourceRow(number, cells)


def _headers_or_fail(first: list[str] | None) -> list[str]:
    if first is None or not any(cell.strip() for cell in first):
        raise TableUnreadable([Problem(_EMPTY if first is None else _NO_HEADER, row=1)])
    return first


# CSV ---------------------------------------------------------------------------------------------


@contextmanager
def _open_csv(path: Path, chosen: str | None, found: str | None = None) -> Iterator[Table]:
    encoding, lines = (found, 0) if found else decide_encoding(path, chosen)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        first_line = text.readline()
        text.seek(0)
        delimiter = _delimiter(first_line)
        records = _csv_records(text, delimiter)
        headers = _headers_or_fail(next(records, (1, None))[1])
        yield Table(CSV, encoding, headers, max(0, lines - 1), _data_rows(records))


def _delimiter(header_line: str) -> str:
    """Commas as Excel writes them; tabs ("Unicode text") or semicolons if the header has those."""
    for candidate in (",", "\t", ";"):
        if candidate in header_line:
            return candidate
    return ","


def _csv_records(text: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records numbered as Excel numbers rows (a quoted cell may span several lines)."""
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    number = 0
    while True:
        started_after_line = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger" in str(error):
                problem = _overlong_cell_problem(text, delimiter, number + 1, started_after_line)
            else:
                problem = _csv_problem(str(error), number + 1, started_after_line + 1)
            raise TableUnreadable([problem]) from None
        number += 1
        yield number, cells


def _overlong_cell_problem(
    text: io.TextIOWrapper, delimiter: str, row: int, lines_before: int
) -> Problem:
    """The csv module stops at a cell past its size limit; name that cell, or, when the cell
    is a quote that never closes (which reads on to the end of the file), say that."""
    limit = csv.field_size_limit()
    text.seek(0)
    try:
        headers = next(csv.reader(text, delimiter=delimiter))
    except (csv.Error, StopIteration):
        headers = []
    text.seek(0)
    for _ in range(lines_before):
        text.readline()
    index = _overlong_column(_Chars(text), delimiter, limit)
    if index is None:
        return Problem(_UNCLOSED_QUOTE.format(row=row), row=row)
    header = headers[index] if index < len(headers) and row > 1 else ""
    message = _CELL_TOO_LONG.format(row=row, column=header or column_letter(index), limit=limit)
    return Problem(message, row=row, column=header, cell=f"{column_letter(index)}{row}")


class _Chars:
    """The rest of a text stream, read a chunk at a time."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text, self.buffer, self.at = text, "", 0

    def peek(self) -> str:
        """The next character, or "" at the end."""
        if self.at >= len(self.buffer):
            self.buffer, self.at = self.text.read(1 << 16), 0
        return self.buffer[self.at : self.at + 1]

    def take(self) -> str:
        char = self.peek()
        self.at += len(char)
        return char

    def skip_to(self, pattern: re.Pattern[str]) -> int:
        """Move to the next character matching ``pattern`` (or the end); the count passed."""
        passed = 0
        while self.peek():
            found = pattern.search(self.buffer, self.at)
            end = found.start() if found else len(self.buffer)
            passed, self.at = passed + end - self.at, end
            if found:
                break
        return passed


def _overlong_column(chars: _Chars, delimiter: str, limit: int) -> int | None:
    """The index of the first cell of the record longer than ``limit`` characters, read as the
    csv module reads (Excel's dialect); None when a quoted cell never properly closes."""
    quote, cell_end = re.compile('"'), re.compile(f"[{re.escape(delimiter)}\r\n]")
    column = 0
    while True:
        if chars.peek() == '"':
            chars.take()
            length = 0
            while True:
                length += chars.skip_to(quote)
                if not chars.take():
                    return None  # the end of the file inside the quotes
                if chars.peek() != '"':
                    break  # the closing quote
                chars.take()
                length += 1  # a doubled quote stands for one
            if chars.peek() not in (delimiter, "\r", "\n", ""):
                return None  # text after the "closing" quote: it closed nothing
        else:
            length = chars.skip_to(cell_end)
        if length > limit:
            return column
        if chars.take() != delimiter:
            return None  # the record ended with every cell within the limit
        column += 1


def _csv_problem(error: str, row: int, line: int) -> Problem:
    if "unexpected end of data" in error or "EOF" in error:
        message = _UNCLOSED_QUOTE
    elif "expected after" in error:
        message = _STRAY_QUOTE
    else:
        message = Message("row {row} cannot be read as CSV: {error}")
    return Problem(message.format(row=row, line=line, error=error), row=row)


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
        delimiter = _delimiter(text.readline())
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


# XLSX --------------------------------------------------------------------------------------------


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    import openpyxl

    with warnings.catch_warnings():
        # Workbooks from Excel and WPS carry extensions openpyxl ignores with a warning.
        warnings.simplefilter("ignore", UserWarning)
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # openpyxl reports damage with many exception types
            raise TableUnreadable([Problem(_DAMAGED_XLSX)]) from None
        try:
            sheet = workbook.worksheets[0]
            estimated = (sheet.max_row or 1) - 1
            sheet.reset_dimensions()  # a stale dimension could pad every row to 16,384 columns
            records = _xlsx_records(sheet.iter_rows(values_only=True))
            headers = _headers_or_fail(next(records, (1, None))[1])
            yield Table(XLSX, None, headers, max(0, estimated), _data_rows(records))
        finally:
            workbook.close()


def _xlsx_records(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in enumerate(rows, start=1):
            yield number, [cell_text(value) for value in values]
    except TableUnreadable:
        raise
    except Exception:
        raise TableUnreadable([Problem(_DAMAGED_XLSX)]) from None


def cell_text(value: Any) -> str:
    """A cell's value as the text a cataloguer typed: 2006 not 2006.0, dates as 2011-06-18."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# Messages ----------------------------------------------------------------------------------------

_EMPTY = Message("The file is empty: put the column headers in row 1 and one record per row below.")
_NO_HEADER = Message(
    "Row 1 is empty: it must hold the column headers (download the template to see them)."
)
_OLD_EXCEL = Message(
    "This is an old Excel workbook (.xls), which cannot be read: in Excel choose "
    "“Save As” → “Excel Workbook (.xlsx)” or “CSV UTF-8”."
)
_OPENDOCUMENT = Message(
    "This is an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV and upload that."
)
_NOT_A_TABLE = Message(
    "This is a ZIP archive, not a spreadsheet; upload the table as CSV or .xlsx (a ZIP is for "
    "the images)."
)
_DAMAGED_XLSX = Message(
    "The .xlsx file is damaged or not an Excel workbook; open it in Excel and save it again."
)
_UNCLOSED_QUOTE = Message(
    'Row {row}: a cell starts with a double quote (") that is never closed, so everything after '
    'it would be read as one cell. Close the quote, or write a quote inside a cell as two ("").'
)
_CELL_TOO_LONG = Message(
    "Row {row}, column {column}: the cell is longer than {limit:,} characters, more than any "
    "field may hold; shorten it. (If it should be short, look for a double quote that opens it "
    "and is never closed.)"
)
_STRAY_QUOTE = Message(
    "Row {row}: a quoted cell has text after its closing quote; write a quote inside a cell "
    'as two ("").'
)
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
