"""The row-level report of an import: one entry per row outcome and per problem found.

Entries are plain dicts (they live in ``IngestJob.report``) with at least ``row`` (as the
spreadsheet numbers it, header = 1; 0 for the file as a whole), ``cell``, ``column`` (the header
as written), ``field`` (profile key), ``value``, ``local_id``, ``outcome`` (created, updated,
unchanged or failed), ``level`` (error, note or info), ``message_en``/``message_zh``,
``fix_en``/``fix_zh`` and ``record_id`` (the record's public id, when there is one).

While a job runs, entries are appended to a JSON-lines file beside the job's files, in row
order; the offset committed with each batch says how much of it is true, so a resumed job cuts
off what a crash left behind. The finished report is copied into the job row once.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, literal, update
from sqlalchemy.dialects.postgresql import JSONB

from ingest.imports.problems import Problem
from repository.extensions import db
from repository.messages import Message
from repository.models import IngestJob

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
    "created": Message("created", "新建"),
    "updated": Message("updated", "更新"),
    "unchanged": Message("unchanged", "未变"),
    "failed": Message("failed", "失败"),
}


#: What a row that was written did to its record.
DONE = {
    "created": Message("record {record} created", "已新建记录 {record}"),
    "updated": Message("record {record} updated", "已更新记录 {record}"),
    "unchanged": Message("record {record} unchanged", "记录 {record} 无变化"),
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
        "message_en": str.__str__(problem.message),
        "message_zh": problem.message.zh,
        "fix_en": str.__str__(fix) if fix else "",
        "fix_zh": fix.zh if fix else "",
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
        "message_en": str.__str__(message),
        "message_zh": message.zh,
        "fix_en": "",
        "fix_zh": "",
    }


class ReportFile:
    """The report of a running job: JSON lines, appended a batch at a time, in row order.

    Only the first ``report_bytes`` (committed with the batch they belong to) are what the
    database agrees with; a resumed job cuts off what a crash left behind them.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def truncate(self, length: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.truncate(length)

    def append(self, entries: Iterable[dict[str, Any]]) -> int:
        """Write the entries to disk; returns the file's new length, to commit with them."""
        data = b"".join(_line(entry) + b"\n" for entry in entries)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            if data:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return handle.tell()

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for raw in handle:
                if raw.strip():
                    yield json.loads(raw)

    def json_array(self, *, failed_only: bool = False) -> str:
        """The entries as the text of one JSON array (only the problems, with ``failed_only``)."""
        parts = []
        if self.path.exists():
            with self.path.open("rb") as handle:
                for raw in handle:
                    raw = raw.strip()
                    if raw and (not failed_only or json.loads(raw)["outcome"] == "failed"):
                        parts.append(raw)
        return (b"[" + b",".join(parts) + b"]").decode("utf-8")


def _line(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False).encode("utf-8")


def store_report(job: IngestJob, text: str) -> None:
    """Put the report (the text of a JSON array) into the job row, in the caller's transaction.

    The text goes to the database as it is, rather than as a list of dicts for SQLAlchemy to
    serialise: a few megabytes of text instead of tens of megabytes of Python objects.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        value = cast(literal(text, Text()), JSONB())
    elif dialect == "sqlite":
        value = literal(text, Text())  # SQLite keeps JSON as text
    else:
        job.report = json.loads(text)
        return
    table = IngestJob.__table__
    statement = update(table).where(table.c.id == job.id).values(report=value)
    # Not cached: a cached statement would keep this report's text alive.
    db.session.execute(statement, execution_options={"compiled_cache": None})
    db.session.expire(job, ["report"])


def report_rows(job: IngestJob) -> list[list[Any]]:
    """The report as table rows, headers first, for the CSV and XLSX downloads."""
    rows: list[list[Any]] = [[header for _key, header in REPORT_COLUMNS]]
    for entry in job.report or []:
        row = []
        for key, _header in REPORT_COLUMNS:
            value = entry.get(key)
            if key == "outcome" and value in OUTCOME_WORDS:
                word = OUTCOME_WORDS[value]
                value = f"{word.zh} {str.__str__(word)}"
            row.append("" if value is None else value)
        rows.append(row)
    return rows


def report_as_csv(job: IngestJob) -> bytes:
    """The report as CSV in UTF-8 with a byte-order mark, so Excel shows the Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[_defused(value) for value in row] for row in report_rows(job)])
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
