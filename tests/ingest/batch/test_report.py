"""The report file of a running job: what is appended is what the finished report says."""

import json

from ingest.batch.problems import Problem
from ingest.batch.report import (
    DONE,
    ReportFile,
    created_line,
    final_lines,
    line_of,
    outcome_entry,
    problem_entry,
)
from repository.messages import Message


def test_the_finished_report_lists_entries_by_row_with_failed_rows_reduced_to_problems(tmp_path):
    report = ReportFile(tmp_path / "report.jsonl")
    created = outcome_entry(3, "created", "A-3", Message("created", "已新建"), record_id="x7k2")
    problem = problem_entry(
        Problem(Message("bad date", "日期有误"), row=2, column="日期"), local_id='A-2 "引号"'
    )
    later_failure = outcome_entry(4, "created", "A-4", Message("created", "已新建"))
    report.append([created, problem, later_failure])
    # An entry written with its keys in another order is read as well.
    other_order = {"level": "error", "outcome": "failed", "row": 4, "message_en": "lost"}
    with report.path.open("ab") as handle:
        handle.write(json.dumps(other_order).encode() + b"\n")
    lines = final_lines(report.lines())
    assert [(line.row, line.outcome, line.record_id) for line in lines] == [
        (2, "failed", None),
        (3, "created", "x7k2"),
        (4, "failed", None),
    ]
    assert json.loads(report.json_array(lines)) == [problem, created, other_order]


def test_a_created_line_made_while_checking_is_the_entry_the_writer_would_have_made():
    for local_id in ["A-1", 'quote " and \\ backslash', "長白山 红松", "\x01mark\x01", "tab\there"]:
        entry = outcome_entry(
            12, "created", local_id, DONE["created"].format(record="x7k2m9"), record_id="x7k2m9"
        )
        made_ahead = created_line(12, local_id, "x7k2m9")
        assert made_ahead == line_of(entry).raw
        assert json.loads(made_ahead) == entry
