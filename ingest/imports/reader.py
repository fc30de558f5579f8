"""Reading a spreadsheet row by row: CSV in the encodings Chinese Excel writes, or XLSX.

The format is decided by the file's bytes, not its name. Rows are streamed, never loaded whole,
and numbered as the spreadsheet shows them (the header is row 1), so every report points at the
row a cataloguer sees in Excel.

A CSV file's encoding and delimiter are decided by ``ingest.imports.encoding``.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ingest.imports.encoding import decide_encoding, delimiter_of
from ingest.imports.problems import Problem, TableUnreadable, column_letter
from repository.messages import Message

CSV, XLSX = "csv", "xlsx"


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
        delimiter = delimiter_of(first_line)
        records = _csv_records(text, delimiter)
        headers = _headers_or_fail(next(records, (1, None))[1])
        yield Table(CSV, encoding, headers, max(0, lines - 1), _data_rows(records))


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
