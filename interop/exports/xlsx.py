"""A workbook written as a stream: rows go out as they come, whatever the number of rows.

openpyxl builds a workbook in memory (or in a temporary file) and saves it at the end; an
export of 100,000 records should instead start arriving at once and keep the server's memory
flat. An XLSX file is a ZIP of a few XML parts, and Python's ``zipfile`` can write a ZIP to a
stream that cannot seek (each entry's sizes follow its data), so this module writes the parts
itself and hands out the bytes as each row is written.

Every cell is an inline string (``t="inlineStr"``) with the text number format (``@``): a
spreadsheet shows ``=SUM(A1)`` as those characters and never evaluates it, and a number stays
exactly as written (no ``1.0`` for ``1``, no dropped leading zeros).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Characters XML 1.0 does not allow (profile validation keeps them out; this makes sure).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TEXT_STYLE = 1  # the cell format with number format 49, "@" (text)

_CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
    f'Type="{_DOCUMENT}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOCUMENT}/styles" Target="styles.xml"/></Relationships>'
)
_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>'
)


def _workbook(sheet_name: str) -> str:
    return (
        _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
        f'<sheet name="{escape(sheet_name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )


def column_letters(count: int) -> list[str]:
    """A, B, … Z, AA, AB, …: the letters of the first ``count`` columns."""
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


class _Sink:
    """A write-only file for ``zipfile`` that hands out what was written since last asked.

    It has no ``seek`` or ``tell``, so ``zipfile`` writes each entry's sizes after its data.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _row(number: int, letters: list[str], values: Iterable[str], style: int) -> str:
    cells = []
    for letter, value in zip(letters, values, strict=False):
        if value == "":
            continue
        text = escape(_NOT_XML.sub("", value))
        cells.append(
            f'<c r="{letter}{number}" s="{style}" t="inlineStr">'
            f'<is><t xml:space="preserve">{text}</t></is></c>'
        )
    return f'<row r="{number}">{"".join(cells)}</row>'


def stream_xlsx(
    header: list[str], rows: Iterable[list[str]], *, sheet_name: str = "records"
) -> Iterator[bytes]:
    """The bytes of a one-sheet workbook: the header row (bold, frozen), then the rows."""
    sink = _Sink()
    letters = column_letters(len(header))
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet_name[:31]))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        yield sink.take()
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                (
                    _XML + f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    "</sheetView></sheetViews><sheetData>"
                    + _row(1, letters, header, TEXT_STYLE + 1)
                ).encode()
            )
            for number, values in enumerate(rows, start=2):
                sheet.write(_row(number, letters, values, TEXT_STYLE).encode())
                if number % 200 == 0:
                    yield sink.take()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.take()
