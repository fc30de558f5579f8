"""Review of edits to published records, and bulk actions over many records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.extensions import db
from repository.models.base import JSONType, UTCDateTime, enum_column, new_public_id, utcnow
from repository.models.jobs import JobState, LeasedJob

if TYPE_CHECKING:
    from repository.models.accounts import User
    from repository.models.records import Record


class PendingEditState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PendingEdit(db.Model):
    """An edit of a published record waiting for a reviewer.

    The record row keeps the published metadata, so every public reader (search, IIIF, OAI-PMH,
    exports) goes on reading the published version without knowing that an edit waits. Approval
    applies ``metadata`` through the records service, which writes the revision and the outbox.
    """

    __tablename__ = "pending_edit"
    __table_args__ = (Index("ix_pending_edit_record_state", "record_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    state: Mapped[PendingEditState] = mapped_column(
        enum_column(PendingEditState, 10), default=PendingEditState.PENDING, index=True
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    #: the published metadata the edit was made against, for the reviewer's side-by-side view
    base_metadata: Mapped[dict[str, Any]] = mapped_column(JSONType)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(Text, default="")

    record: Mapped[Record] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class BulkAction(enum.StrEnum):
    SUBMIT = "submit"
    PUBLISH = "publish"
    RETURN = "return"
    WITHDRAW = "withdraw"
    DELETE = "delete"


class BulkActionJob(LeasedJob, db.Model):
    """One lifecycle step over many records, run by a task with a lease like imports.

    ``selection`` names the records: ``{"ids": [...]}`` (public ids ticked on a page) or
    ``{"filter": {...}}`` (everything matching the workspace's filter when the job runs).
    ``cursor`` is the last record id done, so a run taken up after a worker died resumes.
    """

    __tablename__ = "bulk_action_job"
    __table_args__ = (Index("ix_bulk_action_job_state_lease", "state", "lease_expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[BulkAction] = mapped_column(enum_column(BulkAction, 10))
    comment: Mapped[str] = mapped_column(Text, default="")
    selection: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    total_records: Mapped[int] = mapped_column(Integer, default=0)
    processed_records: Mapped[int] = mapped_column(Integer, default=0)
    #: outcome → how many: done, refused (not allowed), skipped (the status does not allow it)
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def finished(self) -> bool:
        return self.state in JobState.final()
