"""A cell past the CSV reader's 131,072-character limit is named by row and column, not taken
for a quote that never closes; a quote that really never closes is still called that."""

from __future__ import annotations

import csv

import pytest

from ingest.imports.problems import TableUnreadable
from ingest.imports.reader import open_table
from repository.models import JobState
from tests.ingest.imports.conftest import problems, record_count

LIMIT = csv.field_size_limit()
HEADER = "local_id,title,scientific_name,kingdom,description\r\n"
GOOD = "A-1,人参,Panax ginseng,植物,ok\r\n"


def read(path):
    with open_table(path) as table:
        return list(table.rows)


def refusal(path) -> object:
    with pytest.raises(TableUnreadable) as refused:
        read(path)
    [problem] = refused.value.problems
    return problem


@pytest.mark.parametrize(
    "cell",
    [
        '"' + "长" * (LIMIT + 1) + '"',  # quoted, as Excel writes a long cell
        "x" * (LIMIT + 1),  # unquoted
        '"' + 'say ""hi"" ' * (LIMIT // 8) + '"',  # quoted, with doubled quotes inside
    ],
    ids=["quoted", "unquoted", "doubled quotes"],
)
def test_an_overlong_cell_is_named_by_row_and_column(write, cell):
    # Row 3 follows a cell spanning two lines, so rows are counted as Excel shows them.
    text = (
        HEADER + 'A-1,人参,P,植物,"two\r\nlines"\r\n' + f"A-2,红松,P,植物,{cell}\r\nA-3,x,y,z,w\r\n"
    )
    problem = refusal(write("long.csv", text.encode()))
    assert (problem.row, problem.column, problem.cell) == (3, "description", "E3")
    assert "Row 3, column description: the cell is longer than 131,072 characters" in (
        problem.message
    )
    assert problem.message.zh.startswith("第 3 行「description」列：单元格超过 131072 个字符")
    assert "never closed" not in problem.message.split("(")[0]


def test_an_overlong_cell_in_a_semicolon_file_or_the_header_is_named(write):
    text = "local_id;title\r\nA-1;" + "y" * (LIMIT + 5) + "\r\n"
    assert refusal(write("semi.csv", text.encode())).cell == "B2"
    header = "local_id," + "h" * (LIMIT + 1) + "\r\nA-1,x\r\n"
    problem = refusal(write("header.csv", header.encode()))
    assert (problem.row, problem.cell) == (1, "B1")


def test_a_cell_of_exactly_the_limit_is_read(write):
    cell = '"' + "z" * (LIMIT - 2) + '""' + '"'  # the doubled quote counts once: LIMIT - 1
    rows = read(write("edge.csv", (HEADER + f"A-1,t,s,k,{cell}\r\n").encode()))
    assert len(rows[0].cells[4]) == LIMIT - 1
    rows = read(write("limit.csv", (HEADER + "A-1,t,s,k," + "z" * LIMIT + "\r\n").encode()))
    assert len(rows[0].cells[4]) == LIMIT


def test_a_quote_that_never_closes_in_a_long_file_is_still_called_that(write):
    # The open quote swallows the rest of the file, past the limit: the old message is the
    # true one here, also when a later quote seems to close it but text follows.
    rest = "A-9,x,y,z,w\r\n" * (LIMIT // 10)
    for tail in ("", 'A-10,"quoted" then text,y,z,w\r\n'):
        text = HEADER + GOOD + 'A-2,"open,P,植物,w\r\n' + rest + tail
        problem = refusal(write("open.csv", text.encode()))
        assert problem.row == 3
        assert "never closed" in problem.message and "longer than" not in problem.message


def test_an_import_with_an_overlong_cell_fails_naming_it(run, write):
    text = HEADER + GOOD + "A-2,红松,P,植物," + "长" * (LIMIT + 1) + "\r\n"
    job = run(write("long.csv", text.encode()))
    assert job.state is JobState.FAILED
    assert "Row 3, column description: the cell is longer than 131,072 characters" in job.error
    assert record_count() == 0


def test_a_long_cell_within_the_limit_is_read_and_refused_by_its_field(run, write):
    text = HEADER + GOOD + "A-2,红松,P,植物," + "长" * 100_000 + "\r\n"
    job = run(write("long.csv", text.encode()))
    [failed] = problems(job)
    assert (failed["row"], failed["column"]) == (3, "description")
    assert "100000 characters long" in failed["message_en"]
    assert job.counts["created"] == 1
