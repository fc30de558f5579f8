"""Exports that run as a task: what was asked for, how far it got, and the file it made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repository.extensions import db
from repository.models.base import JSONType, UTCDateTime, enum_column, new_public_id, utcnow
from repository.models.jobs import JobState, LeasedJob


class ExportJob(LeasedJob, db.Model):
    """A large export: the selection (``source`` and its ``arguments``), the format, and once
    done the stored file (by its SHA-256 in the file store)."""

    __tablename__ = "export_job"
    __table_args__ = (
        Index("ix_export_job_state_lease", "state", "lease_expires_at"),
        Index("ix_export_job_key", "key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    #: the same selection in the same format gives the same key, so a repeated request can
    #: wait for the job already under way instead of starting another
    key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(40))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    format: Mapped[str] = mapped_column(String(10))
    #: the public address record links in the file start with (the requester's, or BASE_URL)
    base_url: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    total_records: Mapped[int] = mapped_column(Integer, default=0)
    written_records: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
