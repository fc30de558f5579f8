"""Background work: batch imports and their reports, and the search-index outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from repository.extensions import db
from repository.messages import Message, readable
from repository.models.base import JSONType, UTCDateTime, enum_column, new_public_id, utcnow


def stored_message(text: str, stored: dict[str, Any] | None) -> Message:
    """A message kept as its English text beside its msgid and parameters (``Message.to_json``).

    The JSON is read only while it still says what the text column says: a row written before
    the JSON column (or by code that writes the text alone, such as recovery giving a job up)
    shows its text as it was written.
    """
    if stored and text:
        message = Message.from_json(stored)
        if str.__str__(message) == text:
            return message
    return Message.verbatim(text or "")


class StoredError:
    """``error`` (English, as before) with ``error_json``, the msgid and parameters that show it
    in the reader's language."""

    error: str
    error_json: dict[str, Any] | None

    @property
    def error_message(self) -> Message:
        return stored_message(self.error, self.error_json)

    def set_error(self, message: Message | None) -> None:
        self.error = str.__str__(message) if message else ""
        self.error_json = message.to_json() if message else None

    def give_up(self, message: Message) -> None:
        self.set_error(message)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    VALIDATING = "validating"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def under_way(cls) -> tuple[JobState, ...]:
        return (cls.VALIDATING, cls.RUNNING)

    @classmethod
    def final(cls) -> tuple[JobState, ...]:
        return (cls.SUCCEEDED, cls.FAILED, cls.CANCELLED)


class LeasedJob:
    """Columns of a job run by a task: who holds it, until when, how often it was tried.

    The row is the truth about a job; see ``repository.tasks`` for how leases are kept.
    """

    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_holder: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)

    def give_up(self, message: Message) -> None:
        """Record why the job failed; kinds that keep the message's msgid override this."""
        self.error = str.__str__(message)


class IngestJob(StoredError, LeasedJob, db.Model):
    """A batch import: its files, options, progress and per-row report."""

    __tablename__ = "ingest_job"
    __table_args__ = (Index("ix_ingest_job_state_lease", "state", "lease_expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"))
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    dry_run: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    files: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    error_json: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: 0 while the job's own run does its rows; else the rows went to this many ``ImportChunk``
    #: rows, whose leases keep the job alive (its own lease is then given up)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def report(self) -> list[dict[str, Any]]:
        """The whole report, in row order, each message in both languages whichever shape it
        was stored in (``ingest.imports.report`` reads it in pieces)."""
        return [
            readable(entry)
            for entry in db.session.scalars(
                select(ImportReportEntry.entry)
                .where(ImportReportEntry.job_id == self.id)
                .order_by(ImportReportEntry.row, ImportReportEntry.id)
            )
        ]


class ImportChunk(StoredError, LeasedJob, db.Model):
    """A range of a large import's rows, run by a task of its own beside the other chunks.

    It has the lease columns of a job, so recovery takes up a chunk whose worker died as it
    takes up jobs; ``cursor_row`` is the last row of its last committed batch, and its progress
    and counts add up to the job's.
    """

    __tablename__ = "import_chunk"
    __table_args__ = (
        UniqueConstraint("job_id", "number"),
        Index("ix_import_chunk_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    job_id: Mapped[int] = mapped_column(ForeignKey("ingest_job.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … in file order
    first_row: Mapped[int] = mapped_column(Integer)  # as the spreadsheet numbers rows
    last_row: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)  # data rows in the range
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    cursor_row: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    error_json: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImportReportEntry(db.Model):
    """One line of an import's report: a row's outcome, or a problem found in it.

    Written with the batch it belongs to, in the same transaction, so the report always says
    exactly what the committed batches did, whichever worker ran them.
    """

    __tablename__ = "import_report_entry"
    __table_args__ = (Index("ix_import_report_entry_job_row", "job_id", "row", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("ingest_job.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)  # as the spreadsheet numbers it; 0: the whole file
    outcome: Mapped[str] = mapped_column(String(10))  # created, updated, unchanged, failed
    level: Mapped[str] = mapped_column(String(10))  # error, note, info
    entry: Mapped[dict[str, Any]] = mapped_column(JSONType)


class IndexTask(db.Model):
    """Outbox row: written with the record change, applied to the search engine after commit."""

    __tablename__ = "index_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, index=True)  # no FK: deletes must still be sent
    record_public_id: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(10))  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
