"""The row-level report of an import: one entry per row outcome and per problem found.

Entries are plain dicts (one ``ImportReportEntry`` row each) with at least ``row`` (as the
spreadsheet numbers it, header = 1; 0 for the file as a whole), ``cell``, ``column`` (the header
as written), ``field`` (profile key), ``value``, ``local_id``, ``outcome`` (created, updated,
unchanged or failed), ``level`` (error, note or info), ``message`` and ``fix`` (stored as
``Message.to_json`` writes them: msgid and parameters, translated when read; rows written before
hold ``message_en``/``message_zh`` and ``fix_en``/``fix_zh`` instead) and ``record_id`` (the
record's public id, when there is one). The readers here give every entry, old or new, its
``message_en``/``message_zh``/``fix_en``/``fix_zh`` texts.

A batch's entries are written in the batch's transaction: the report is always what the
committed batches did, and a job resumed on another machine just goes on adding to it. Pages
and downloads read it in pieces, so no process holds a report of 100,000 lines at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import case, delete, func, or_, select

from ingest.imports.problems import Problem
from repository.bulk import insert_rows
from repository.extensions import db
from repository.messages import Message, pmessage, readable
from repository.models import ImportReportEntry, IngestJob

OUTCOMES = ("created", "updated", "unchanged", "failed")

# Columns of the downloadable report, with their bilingual headers.
REPORT_COLUMNS = (
    ("row", "行 Row"),
    ("cell", "单元格 Cell"),
    ("local_id", "本馆标识 Local ID"),
    ("column", "列 Column"),
    ("value", "值 Value"),
    ("outcome", "结果 Outcome"),
    ("message_zh", "说明"),
    ("fix_zh", "修改方法"),
    ("message_en", "Message"),
    ("fix_en", "How to fix"),
    ("record_id", "记录 Record"),
)

OUTCOME_WORDS = {
    "created": pmessage("import outcome", "created"),
    "updated": Message("updated"),
    "unchanged": Message("unchanged"),
    "failed": Message("failed"),
}


#: What a row that was written did to its record.
DONE = {
    "created": Message("record {record} created"),
    "updated": Message("record {record} updated"),
    "unchanged": Message("record {record} unchanged"),
}


def problem_entry(problem: Problem, *, local_id: str = "") -> dict[str, Any]:
    fix = problem.fix
    return {
        "row": problem.row,
        "outcome": "failed",
        "level": "error",
        "record_id": None,
        "cell": problem.cell,
        "column": problem.column,
        "field": problem.field,
        "value": problem.value,
        "local_id": local_id,
        "message": problem.message.to_json(),
        "fix": fix.to_json() if fix else None,
    }


def outcome_entry(
    row: int,
    outcome: str,
    local_id: str,
    message: Message,
    *,
    record_id: str | None = None,
    level: str = "info",
) -> dict[str, Any]:
    return {
        "row": row,
        "outcome": outcome,
        "level": level,
        "record_id": record_id,
        "cell": "",
        "column": "",
        "field": "",
        "value": "",
        "local_id": local_id,
        "message": message.to_json(),
        "fix": None,
    }


def add_entries(job: IngestJob, entries: Iterable[dict[str, Any]]) -> None:
    """Add lines to the job's report, in the caller's transaction (with the batch they tell of)."""
    insert_rows(
        ImportReportEntry.__table__,
        [
            {
                "job_id": job.id,
                "row": entry.get("row") or 0,
                "outcome": entry["outcome"],
                "level": entry["level"],
                "entry": entry,
            }
            for entry in entries
        ],
    )


def clear_entries(job: IngestJob, *, keep_failed: bool = False) -> None:
    """Forget the report (a check pass about to be followed by the writing one), or with
    ``keep_failed`` all but its problems (an ``abort`` import that found some)."""
    statement = delete(ImportReportEntry).where(ImportReportEntry.job_id == job.id)
    if keep_failed:
        statement = statement.where(ImportReportEntry.outcome != "failed")
    db.session.execute(statement)


def iter_entries(job: IngestJob) -> Iterator[dict[str, Any]]:
    """The report line by line in row order, read a thousand lines at a time."""
    query = (
        select(ImportReportEntry.entry)
        .where(ImportReportEntry.job_id == job.id)
        .order_by(ImportReportEntry.row, ImportReportEntry.id)
    )
    for entry in db.session.scalars(query.execution_options(yield_per=1000)):
        yield readable(entry)


def entries_to_show(job: IngestJob, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Up to ``limit`` lines, the ones to act on (problems, notes) first; and how many there are."""
    to_act_on = or_(ImportReportEntry.outcome == "failed", ImportReportEntry.level == "note")
    query = (
        select(ImportReportEntry.entry)
        .where(ImportReportEntry.job_id == job.id)
        .order_by(case((to_act_on, 0), else_=1), ImportReportEntry.row, ImportReportEntry.id)
        .limit(limit)
    )
    total = db.session.scalar(select(func.count()).where(ImportReportEntry.job_id == job.id))
    return [readable(entry) for entry in db.session.scalars(query)], total or 0


def record_ids_written(job: IngestJob) -> set[str]:
    """Public ids of the records the job created or updated so far."""
    query = select(ImportReportEntry.entry).where(
        ImportReportEntry.job_id == job.id,
        ImportReportEntry.outcome.in_(("created", "updated")),
    )
    return {
        entry["record_id"]
        for entry in db.session.scalars(query.execution_options(yield_per=1000))
        if entry.get("record_id")
    }


def report_rows(job: IngestJob) -> Iterator[list[Any]]:
    """The report as table rows, headers first, for the CSV and XLSX downloads."""
    yield [header for _key, header in REPORT_COLUMNS]
    for entry in iter_entries(job):
        row = []
        for key, _header in REPORT_COLUMNS:
            value = entry.get(key)
            if key == "outcome" and value in OUTCOME_WORDS:
                word = OUTCOME_WORDS[value]
                value = f"{word.zh} {str.__str__(word)}"
            row.append("" if value is None else value)
        yield row


def report_as_csv(job: IngestJob) -> bytes:
    """The report as CSV in UTF-8 with a byte-order mark, so Excel shows the Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_defused(value) for value in row] for row in report_rows(job))
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def report_as_xlsx(job: IngestJob) -> bytes:
    """The report as a workbook: frozen header row, failed rows tinted."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "report 报告"
    failed = PatternFill("solid", fgColor="FDE2E1")
    outcome_column = [key for key, _ in REPORT_COLUMNS].index("outcome")
    for number, row in enumerate(report_rows(job), start=1):
        sheet.append(row)
        for cell in sheet[number]:
            if cell.data_type == "f":  # text that looks like a formula stays text
                cell.data_type = "s"
        if number == 1:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
        elif str(row[outcome_column]).startswith(OUTCOME_WORDS["failed"].zh):
            for cell in sheet[number]:
                cell.fill = failed
    sheet.freeze_panes = "A2"
    for letter, width in zip(
        "ABCDEFGHIJK", (6, 8, 16, 14, 24, 12, 48, 40, 48, 40, 12), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _defused(value: Any) -> Any:
    """Cells Excel would run as formulas get a leading apostrophe (numbers such as -5 do not)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _is_number(value)):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
