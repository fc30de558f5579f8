"""The report of a job: lines kept with the batches they tell of, read in row order."""

import pytest

from ingest.imports.problems import Problem
from ingest.imports.report import (
    add_entries,
    clear_entries,
    entries_to_show,
    iter_entries,
    outcome_entry,
    problem_entry,
)
from repository.extensions import db
from repository.messages import Message, readable
from tests.ingest.imports.conftest import HEADERS, ROWS, csv_bytes


@pytest.fixture
def job(run, write):
    """A finished import of the standard rows, whose report the tests then extend."""
    return run(write("plants.csv", csv_bytes([HEADERS, *ROWS])))


def created(row: int) -> dict:
    """The line as read back, its message in both languages."""
    message = Message.pair("created", "已新建")
    return readable(outcome_entry(row, "created", f"A-{row}", message, record_id="x7"))


def bad_date(row: int) -> dict:
    problem = Problem(Message.pair("bad date", "日期有误"), row=row)
    return readable(problem_entry(problem, local_id=f"A-{row}"))


def test_lines_of_a_batch_that_was_rolled_back_are_not_in_the_report(job):
    before = job.report
    add_entries(job, [created(900)])
    db.session.rollback()  # the batch failed: its records and its lines go together
    assert job.report == before
    add_entries(job, [bad_date(901)])
    db.session.commit()
    assert job.report == [*before, bad_date(901)]


def test_lines_are_read_in_row_order_whenever_they_were_written(job):
    add_entries(job, [created(1000), bad_date(999)])
    db.session.commit()
    rows = [entry["row"] for entry in iter_entries(job)]
    assert rows == sorted(rows)
    assert rows[-2:] == [999, 1000]


def test_the_page_shows_problems_and_notes_first_and_counts_every_line(job):
    routine = len(job.report)
    add_entries(job, [created(700 + n) for n in range(5)] + [bad_date(800)])
    db.session.commit()
    shown, total = entries_to_show(job, 1000)
    assert total == routine + 6
    to_act_on = [entry["outcome"] == "failed" or entry["level"] == "note" for entry in shown]
    assert to_act_on == sorted(to_act_on, reverse=True)  # all of them before the rest
    assert bad_date(800) in shown
    assert len(entries_to_show(job, 2)[0]) == 2


def test_an_abort_import_that_failed_keeps_only_its_problems(job):
    add_entries(job, [created(700), bad_date(701)])
    clear_entries(job, keep_failed=True)
    db.session.commit()
    assert {entry["outcome"] for entry in job.report} == {"failed"}
    assert bad_date(701) in job.report and created(700) not in job.report
    clear_entries(job)
    db.session.commit()
    assert job.report == []
