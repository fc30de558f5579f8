"""Reading spreadsheets as Chinese libraries save them: encodings, quotes, XLSX cell types."""

from __future__ import annotations

import codecs
import datetime as dt
import zipfile

import pytest

from ingest.imports.problems import TableUnreadable
from ingest.imports.reader import open_table
from tests.ingest.imports.conftest import csv_bytes, xlsx_bytes

ROWS = [
    ["local_id", "title", "aliases"],
    ["CBS-001", "人参", "棒槌；山参"],
    ["CBS-002", "长白松", "美人松"],
]


def read(path, encoding=None):
    with open_table(path, encoding=encoding) as table:
        return table, [(row.number, row.cells) for row in table.rows]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_in_the_encodings_excel_writes_reads_the_same(write, encoding, detected):
    table, rows = read(write("t.csv", csv_bytes(ROWS, encoding)))
    assert table.encoding == detected
    assert table.headers == ["local_id", "title", "aliases"]
    assert rows == [(2, ROWS[1]), (3, ROWS[2])]


def test_gb18030_four_byte_characters_and_utf16_unicode_text(write):
    rare = [["local_id", "title"], ["X-1", "𠀀山䶮"]]  # outside GBK: four bytes in GB18030
    assert read(write("a.csv", csv_bytes(rare, "gb18030")))[1] == [(2, rare[1])]
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    table, rows = read(write("b.txt", csv_bytes(ROWS, "utf-16", delimiter="\t")))
    assert (table.encoding, rows[0]) == ("utf-16", (2, ROWS[1]))


def test_an_encoding_can_be_chosen_and_a_wrong_choice_is_named(write):
    gbk = write("gbk.csv", csv_bytes(ROWS, "gbk"))
    assert read(gbk, "gbk")[1][0] == (2, ROWS[1])
    with pytest.raises(TableUnreadable) as refused:
        read(gbk, "utf-8")
    problem = refused.value.problems[0]
    assert (problem.row, problem.column, problem.cell) == (2, "title", "B2")
    assert "GB18030" in problem.message and "GB18030" in problem.message.zh
    with pytest.raises(TableUnreadable, match="cannot be read as gb18030") as undecodable:
        read(write("utf8.csv", csv_bytes(ROWS, "utf-8")), "gb18030")
    assert undecodable.value.problems[0].cell == "C2"
    # UTF-8 bytes that happen to decode as GB18030 too would come out garbled.
    decodable = write("utf8-2.csv", csv_bytes([["local_id", "title"], ["A-1", "中文"]], "utf-8"))
    with pytest.raises(TableUnreadable, match="garbled"):
        read(decodable, "gb18030")


def test_rows_pasted_in_another_encoding_are_found_by_row_and_column(write):
    data = csv_bytes(ROWS[:2], "utf-8") + csv_bytes([["CBS-003", "红松", "果松"]], "gbk")
    with pytest.raises(TableUnreadable) as refused:
        read(write("mixed.csv", data))
    problem = refused.value.problems[0]
    assert (problem.row, problem.cell) == (3, "B3")
    assert "row 2 is UTF-8 but row 3 is GB18030" in problem.message
    assert "第 2 行是 UTF-8" in problem.message.zh
    # A UTF-8 byte-order mark followed by GBK text is mixed too.
    with pytest.raises(TableUnreadable):
        read(write("bom.csv", codecs.BOM_UTF8 + csv_bytes(ROWS, "gbk")))


def test_bytes_that_are_no_chinese_encoding_are_refused_by_cell(write):
    data = csv_bytes(ROWS[:2], "utf-8") + "CBS-003,caf\xe9,x\r\n".encode("latin-1")
    with pytest.raises(TableUnreadable) as refused:
        read(write("latin1.csv", data))
    problem = refused.value.problems[0]
    assert (problem.row, problem.column, problem.cell) == (3, "title", "B3")
    assert "neither UTF-8 nor GB18030" in problem.message


@pytest.mark.parametrize(
    ("text", "row", "complaint"),
    [
        ('local_id,title\r\nA-1,ok\r\nA-2,"never closed\r\nA-3,x\r\n', 3, "never closed"),
        ('local_id,title\r\nA-1,"quoted" then text\r\n', 2, "after its closing quote"),
        ("local_id,title\r\nA-1,nul\x00byte\r\n", 2, "NUL byte"),
        ("local_id,title\r\n".encode("utf-16-le").decode("latin-1"), 1, "UTF-16 without"),
    ],
)
def test_broken_quoting_names_the_row(write, text, row, complaint):
    path = write("q.csv", text.encode())
    with pytest.raises(TableUnreadable) as refused:
        read(path)
    problem = refused.value.problems[0]
    assert problem.row == row
    assert complaint in problem.message
    assert problem.message.zh.startswith(f"第 {row} 行")


def test_rows_are_numbered_as_excel_shows_them(write):
    text = (
        "local_id,title,description\r\n"
        "# 本馆标识 Local identifier,中文名,描述\r\n"  # the template's hint row
        'A-1,人参,"two\r\nlines"\r\n'
        ",,\r\n"  # a blank row
        "A-2,红松,one line\r\n"
        "# not a hint: only row 2 may be,x,y\r\n"
    )
    table, rows = read(write("n.csv", text.encode()))
    assert [number for number, _ in rows] == [3, 5, 6]
    assert rows[0][1][2] == "two\r\nlines"
    assert table.estimated_rows >= 3


def test_semicolon_separated_files_are_read(write):
    text = 'local_id;title;aliases\r\nA-1;人参;"棒槌; 山参"\r\n'
    assert read(write("s.csv", text.encode()))[1] == [(2, ["A-1", "人参", "棒槌; 山参"])]


def test_empty_files_and_files_without_headers_are_refused(write):
    with pytest.raises(TableUnreadable, match="The file is empty"):
        read(write("empty.csv", b""))
    with pytest.raises(TableUnreadable, match="Row 1 is empty"):
        read(write("blank.csv", b",,\r\nA-1,x,y\r\n"))


def test_xlsx_cells_come_back_as_the_text_that_was_typed(write):
    rows = [
        ["local_id", "title", "batch_year", "latitude", "date", "description"],
        [1001, "朝鲜族农乐舞", 2006, 42.05, dt.datetime(2011, 6, 18), None],
        [],
        ["A-2", "长鼓舞", 2008.0, -7.5, dt.date(2019, 9, 12), "多行\n文字"],
    ]
    table, read_rows = read(write("t.xlsx", xlsx_bytes(rows)))
    assert table.format == "xlsx" and table.headers == rows[0]
    assert read_rows == [
        (2, ["1001", "朝鲜族农乐舞", "2006", "42.05", "2011-06-18"]),
        (4, ["A-2", "长鼓舞", "2008", "-7.5", "2019-09-12", "多行\n文字"]),
    ]


def test_other_spreadsheet_formats_are_refused_with_what_to_do(write):
    with pytest.raises(TableUnreadable, match=r"old Excel workbook \(\.xls\)"):
        read(write("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512))
    ods = write("t.ods", b"")
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(TableUnreadable, match="OpenDocument"):
        read(ods)
    images = write("photos.csv", b"")
    with zipfile.ZipFile(images, "w") as archive:
        archive.writestr("a.jpg", b"x")
    with pytest.raises(TableUnreadable, match="ZIP archive, not a spreadsheet"):
        read(images)
    damaged = xlsx_bytes(ROWS)
    with pytest.raises(TableUnreadable, match="damaged"):
        read(write("cut.xlsx", damaged[: len(damaged) // 2]))
