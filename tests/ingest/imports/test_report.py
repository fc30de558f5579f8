"""The report file of a running job: what a crash left behind the committed length is cut off."""

import json

from ingest.imports.problems import Problem
from ingest.imports.report import ReportFile, outcome_entry, problem_entry
from repository.messages import Message


def test_a_resumed_report_is_what_the_committed_batches_wrote(tmp_path):
    report = ReportFile(tmp_path / "report.jsonl")
    created = outcome_entry(2, "created", "A-2", Message("created", "已新建"), record_id="x7k2")
    problem = problem_entry(
        Problem(Message("bad date", "日期有误"), row=3, column="日期"), local_id='A-3 "引号"'
    )
    committed = report.append([created, problem])
    report.append([outcome_entry(4, "created", "A-4", Message("created", "已新建"))])  # lost
    report.truncate(committed)  # the run after the crash
    later = outcome_entry(4, "unchanged", "A-4", Message("unchanged", "无变化"), record_id="y8")
    report.append([later])
    assert json.loads(report.json_array()) == [created, problem, later]
    assert json.loads(report.json_array(failed_only=True)) == [problem]
    assert list(report.entries()) == [created, problem, later]


def test_an_empty_report_is_an_empty_list(tmp_path):
    assert ReportFile(tmp_path / "none.jsonl").json_array() == "[]"
