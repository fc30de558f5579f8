"""Other repositories harvested into the one-stop search: their sources, runs and records.

Harvested records are kept apart from contributed ones. They are read-only copies of another
repository's description, mapped to the generic profile; they are searched beside Huiku's own
records but never served again as Huiku's (OAI-PMH, sitemaps, exports, IIIF).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.extensions import db
from repository.messages import Message
from repository.models.base import JSONType, UTCDateTime, enum_column, new_public_id, utcnow
from repository.models.jobs import JobState, LeasedJob, stored_message

if TYPE_CHECKING:
    from repository.models.accounts import Library, User
    from repository.models.records import Record

#: Harvested records' public ids carry this prefix, which no contributed record's id can hold,
#: so the two kinds never share an address or an index document id.
HARVESTED_ID_PREFIX = "h-"


def new_harvested_id() -> str:
    return HARVESTED_ID_PREFIX + new_public_id()


class SourceKind(enum.StrEnum):
    OAI = "oai"  # an OAI-PMH endpoint (base URL, optional set, metadata prefix)
    IIIF_COLLECTION = "iiif_collection"  # a IIIF Presentation Collection of manifests
    IIIF_DISCOVERY = "iiif_discovery"  # a IIIF Change Discovery stream (OrderedCollection)


class SourceCheck(enum.StrEnum):
    """What the last check of the source's address found (checked by a task on save)."""

    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"


class HarvestSource(db.Model):
    """Another repository whose records a member library brings into the one-stop search."""

    __tablename__ = "harvest_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind))
    base_url: Mapped[str] = mapped_column(String(2000))
    set_spec: Mapped[str] = mapped_column(String(200), default="")
    metadata_prefix: Mapped[str] = mapped_column(String(40), default="oai_dc")
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    #: Hours between scheduled incremental runs; 0 harvests only when asked.
    interval_hours: Mapped[int] = mapped_column(Integer, default=24)
    enabled: Mapped[bool] = mapped_column(default=True)
    check_state: Mapped[SourceCheck] = mapped_column(
        enum_column(SourceCheck), default=SourceCheck.PENDING
    )
    #: What the check found, in English; ``check_message_json`` shows it in the reader's language.
    check_message: Mapped[str] = mapped_column(Text, default="")
    check_message_json: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Where the next incremental run starts: the highest OAI datestamp harvested (sent as
    #: ``from``), or the end time of the newest Change Discovery activity taken in.
    cursor: Mapped[str] = mapped_column(String(64), default="")
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    library: Mapped[Library] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def check_text(self) -> Message:
        return stored_message(self.check_message, self.check_message_json)

    def set_check_message(self, message: Message | None) -> None:
        self.check_message = str.__str__(message) if message else ""
        self.check_message_json = message.to_json() if message else None

    def __repr__(self) -> str:
        return f"<HarvestSource {self.slug} {self.kind.value}>"


class HarvestRun(LeasedJob, db.Model):
    """One harvest of a source, full or incremental, resumable from ``resume_from``."""

    __tablename__ = "harvest_run"
    __table_args__ = (
        Index("ix_harvest_run_state_lease", "state", "lease_expires_at"),
        Index("ix_harvest_run_source_created", "source_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    full: Mapped[bool] = mapped_column(default=False)
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    #: The cursor the run started from ("" for a full harvest).
    from_cursor: Mapped[str] = mapped_column(String(64), default="")
    #: Where to go on after a crash or an outage: the last resumption token or page URL whose
    #: records were all stored.
    resume_from: Mapped[str] = mapped_column(Text, default="")
    #: The highest datestamp (or activity time) seen; the source's cursor once the run ends.
    highest_seen: Mapped[str] = mapped_column(String(64), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    #: The run's problems, newest last, capped: [{"where": ..., "message": ...}], the message as
    #: ``Message.to_json`` wrote it (rows from before hold its English text).
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: How the run ended, in English; ``message_json`` shows it in the reader's language.
    message: Mapped[str] = mapped_column(Text, default="")
    message_json: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    source: Mapped[HarvestSource] = relationship()

    @property
    def message_text(self) -> Message:
        return stored_message(self.message, self.message_json)

    def set_message(self, message: Message | None) -> None:
        self.message = str.__str__(message) if message else ""
        self.message_json = message.to_json() if message else None

    def give_up(self, message: Message) -> None:
        self.set_message(message)

    @property
    def error_list(self) -> list[dict[str, Any]]:
        """The errors, each ``{"where", "message"}`` with a ``Message`` whichever way it was
        stored."""
        return [
            {
                "where": error.get("where", ""),
                "message": (
                    Message.from_json(error["message"])
                    if isinstance(error.get("message"), dict)
                    else Message.verbatim(str(error.get("message") or ""))
                ),
            }
            for error in self.errors or []
        ]

    def __repr__(self) -> str:
        return f"<HarvestRun {self.public_id} {self.state.value}>"


class HarvestedRecord(db.Model):
    """A record of another repository as last harvested, mapped to the generic profile."""

    __tablename__ = "harvested_record"
    __table_args__ = (
        UniqueConstraint("source_id", "identifier", name="uq_harvested_record_source_identifier"),
        Index("ix_harvested_record_source_updated", "source_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_harvested_id)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    #: The OAI identifier, or the manifest's id for IIIF sources.
    identifier: Mapped[str] = mapped_column(String(500))
    #: The datestamp (or activity time) as the source gave it.
    datestamp: Mapped[str] = mapped_column(String(64), default="")
    #: Deleted or withdrawn at the source: kept so the next run and the index know, never shown.
    deleted: Mapped[bool] = mapped_column(default=False)
    #: Metadata in the generic profile's keys (title, creator, subject, description, ...).
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    title: Mapped[str] = mapped_column(String(500), default="")
    year_start: Mapped[int | None] = mapped_column(Integer)
    year_end: Mapped[int | None] = mapped_column(Integer)
    #: The page of the record at its source, for readers to follow.
    original_url: Mapped[str] = mapped_column(String(2000), default="")
    thumbnail_url: Mapped[str] = mapped_column(String(2000), default="")
    manifest_url: Mapped[str] = mapped_column(String(2000), default="")
    #: A contributed record describing the same thing (the duplicate checker's rules): while it
    #: is public, its index document carries this record's origin and this one is not indexed.
    matched_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("record.id", ondelete="SET NULL"), index=True
    )
    #: The draft a reviewer made of this record in a collection (the source is kept there).
    adopted_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("record.id", ondelete="SET NULL"), index=True
    )
    harvested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    source: Mapped[HarvestSource] = relationship()
    matched_record: Mapped[Record | None] = relationship(foreign_keys=[matched_record_id])
    adopted_record: Mapped[Record | None] = relationship(foreign_keys=[adopted_record_id])

    @property
    def is_public(self) -> bool:
        """Shown in search and on its page: not deleted at the source, and its source enabled."""
        return not self.deleted and self.source.enabled

    def __repr__(self) -> str:
        return f"<HarvestedRecord {self.public_id} {self.identifier}>"


class HarvestedKey(db.Model):
    """A normalised name, scientific name or place of a harvested record, for matching it
    against contributed records' ``duplicate_key`` rows by look-up."""

    __tablename__ = "harvested_key"
    __table_args__ = (Index("ix_harvested_key_lookup", "key", "harvested_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    harvested_id: Mapped[int] = mapped_column(
        ForeignKey("harvested_record.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # name | taxon | place
    key: Mapped[str] = mapped_column(String(200))
