"""The row-level report of an import: one entry per row outcome and per problem found.

Entries are plain dicts (they live in ``IngestJob.report``) with at least ``row`` (as the
spreadsheet numbers it, header = 1; 0 for the file as a whole), ``cell``, ``column`` (the header
as written), ``field`` (profile key), ``value``, ``local_id``, ``outcome`` (created, updated,
unchanged or failed), ``level`` (error, note or info), ``message_en``/``message_zh``,
``fix_en``/``fix_zh`` and ``record_id`` (the record's public id, when there is one).

While a job runs, entries are appended to a JSON-lines file beside the job's files; the offset
committed with each batch says how much of it is true, so a resumed job cuts off what a crash
left behind. The finished report is copied into the job row once.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, literal, update
from sqlalchemy.dialects.postgresql import JSONB

from ingest.batch.problems import Problem
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


def created_line(row: int, local_id: str, record_id: str) -> bytes:
    """The report line of a row that creates record ``record_id``, exactly as ``line_of``
    writes its entry; made where the row is checked, so the write only appends it."""
    head, after_row, after_record, rest = _created_template()
    record = json.dumps(record_id, ensure_ascii=False).encode("utf-8")
    return b"".join(
        (
            head,
            str(row).encode(),
            after_row,
            record,
            after_record,
            json.dumps(local_id, ensure_ascii=False).encode("utf-8"),
            rest.replace(_MARK_IN_TEXT, record[1:-1]),
        )
    )


_ROW_MARK, _MARK = -424242, "\x01mark\x01"
_MARK_IN_TEXT = json.dumps(_MARK).encode()[1:-1]


@cache
def _created_template() -> tuple[bytes, bytes, bytes, bytes]:
    """``line_of`` of a created row's entry, cut where the row's own values go: its row, its
    record id and its local id, in that order; the messages name the record again."""
    message = DONE["created"].format(record=_MARK)
    entry = outcome_entry(_ROW_MARK, "created", _MARK, message, record_id=_MARK)
    head, rest = line_of(entry).raw.split(str(_ROW_MARK).encode(), 1)
    after_row, rest = rest.split(json.dumps(_MARK).encode(), 1)
    after_record, rest = rest.split(json.dumps(_MARK).encode(), 1)
    return head, after_row, after_record, rest


class Line(NamedTuple):
    """What sorting and counting need of a report entry; the entry itself stays as JSON, in
    ``raw`` or (read from the report file) at ``offset`` in it."""

    row: int
    order: int
    outcome: str
    level: str
    record_id: str | None
    raw: bytes | None
    offset: int = 0
    length: int = 0


def line_of(entry: dict[str, Any], order: int = 0) -> Line:
    raw = json.dumps(entry, ensure_ascii=False).encode("utf-8")
    return Line(entry["row"], order, entry["outcome"], entry["level"], entry.get("record_id"), raw)


class ReportFile:
    """Append-only JSON lines; only the first ``report_bytes`` (committed with the batch they
    belong to) are what the database agrees with."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def truncate(self, length: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.truncate(length)

    def append(self, entries: Iterable[dict[str, Any] | bytes], *, durable: bool = True) -> int:
        """Write entries (dicts, or lines already made by ``line_of``; flushed to disk when
        ``durable``) and return the file's new length, to be committed with their batch."""
        data = b"".join(
            (entry if isinstance(entry, bytes) else line_of(entry).raw) + b"\n" for entry in entries
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            if data:
                handle.write(data)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            return handle.tell()

    def sync(self) -> int:
        """Flush what was appended without ``durable`` to disk; returns the file's length."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            os.fsync(handle.fileno())
            return handle.tell()

    def lines(self) -> Iterator[Line]:
        """The entries one at a time, as positions in the file rather than dicts."""
        if not self.path.exists():
            return
        offset = 0
        with self.path.open("rb") as handle:
            for order, raw in enumerate(handle):
                if raw.strip():
                    row, outcome, level, record_id = _head(raw)
                    yield Line(
                        row, order, outcome, level, record_id, None, offset, len(raw.rstrip(b"\n"))
                    )
                offset += len(raw)

    def json_array(self, lines: Sequence[Line]) -> str:
        """The entries of ``lines``, in that order, as the text of one JSON array."""
        text = bytearray(b"[")
        with self.path.open("rb") if self.path.exists() else io.BytesIO() as handle:
            for number, line in enumerate(lines):
                if number:
                    text += b","
                if line.raw is not None:
                    text += line.raw
                else:
                    handle.seek(line.offset)
                    text += handle.read(line.length)
        text += b"]"
        return text.decode("utf-8")


# Entries are written with these four keys first, so reading a long report back needs only
# its heads, not a JSON parse of every entry.
_HEAD = re.compile(
    rb'\{"row": (-?\d+), "outcome": "(\w+)", "level": "(\w+)", "record_id": (?:null|"(\w+)")'
)


def _head(raw: bytes) -> tuple[int, str, str, str | None]:
    """Row, outcome, level and record id of one written entry."""
    match = _HEAD.match(raw)
    if match is None:  # written in another key order
        entry = json.loads(raw)
        return entry["row"], entry["outcome"], entry["level"], entry.get("record_id")
    row, outcome, level, record_id = match.groups()
    return (
        int(row),
        outcome.decode(),
        level.decode(),
        record_id.decode() if record_id is not None else None,
    )


def final_lines(lines: Iterable[Line]) -> list[Line]:
    """Entries in row order; a row that failed keeps only its problems (and notes)."""
    ordered = sorted(lines, key=lambda line: (line.row, line.order))
    failed_rows = {line.row for line in ordered if line.outcome == "failed"}
    return [
        line
        for line in ordered
        if line.outcome == "failed" or line.row not in failed_rows or line.row == 0
    ]


def count_outcomes(lines: Iterable[Line]) -> dict[str, int]:
    """Rows per outcome (a row with several problems counts once)."""
    by_row: dict[int, str] = {}
    for line in lines:
        if line.row <= 0 or line.level == "note":
            continue
        if line.outcome == "failed" or line.row not in by_row:
            by_row[line.row] = line.outcome
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in by_row.values():
        counts[outcome] += 1
    return counts


def store_report(job: IngestJob, text: str) -> None:
    """Put the report (the text of a JSON array) into the job row, in the caller's transaction.

    The text goes to the database as it is, rather than as a list of dicts for SQLAlchemy to
    serialise: for 10,000 rows that is a few megabytes of text instead of tens of megabytes of
    Python objects, so the report is the only thing in an import that grows with its rows.
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
