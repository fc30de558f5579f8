"""Records, their revisions, files and tombstones."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.extensions import db
from repository.models.base import JSONType, UTCDateTime, enum_column, new_public_id, utcnow

if TYPE_CHECKING:
    from repository.models.accounts import Library, User
    from repository.models.collections import Collection


class RecordStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Record(db.Model):
    """One described object of a collection, contributed by one library."""

    __tablename__ = "record"
    __table_args__ = (
        UniqueConstraint("library_id", "local_id", name="uq_record_library_local_id"),
        # Browse pages and IIIF collection pages: a collection's public records in title order.
        Index("ix_record_collection_status_title", "collection_id", "status", "title_sort", "id"),
        # The workspace (a library's records, newest first) and the review queue, paged by key.
        Index("ix_record_library_updated", "library_id", "updated_at", "id"),
        Index("ix_record_status_collection_updated", "status", "collection_id", "updated_at", "id"),
        Index("ix_record_created_by", "created_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"))
    # Look-ups by library use the unique (library, local id) index.
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    local_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[RecordStatus] = mapped_column(
        enum_column(RecordStatus), default=RecordStatus.DRAFT
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    # Derived from metadata by the profile on every save, for listing, sorting and date filters.
    title: Mapped[str] = mapped_column(String(500), default="")
    title_sort: Mapped[str] = mapped_column(String(500), default="", index=True)
    year_start: Mapped[int | None] = mapped_column(Integer)
    year_end: Mapped[int | None] = mapped_column(Integer)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    collection: Mapped[Collection] = relationship()
    library: Mapped[Library] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    assets: Mapped[list[Asset]] = relationship(
        back_populates="record", order_by="Asset.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[RecordRevision]] = relationship(
        back_populates="record",
        order_by="RecordRevision.number.desc()",
        cascade="all, delete-orphan",
    )
    contributors: Mapped[list[RecordContributor]] = relationship(
        back_populates="record", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.status == RecordStatus.PUBLISHED and self.collection.published

    @property
    def contributing_libraries(self) -> list[Library]:
        """The owning library first, then libraries whose duplicate records were merged into it."""
        others = [c.library for c in self.contributors if c.library_id != self.library_id]
        return [self.library, *others]

    def __repr__(self) -> str:
        return f"<Record {self.public_id} {self.status.value}>"


class RecordCount(db.Model):
    """How many records (and their images) each (collection, library, status, month created,
    contributor) holds, kept in step on every flush by ``repository.services.record_counts``,
    so pages and statistics show exact counts without counting rows."""

    __tablename__ = "record_count"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True
    )
    library_id: Mapped[int] = mapped_column(
        ForeignKey("library.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM of created_at, UTC
    #: The user who created the records; 0 when none was recorded.
    contributor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    images: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RecordContributor(db.Model):
    """A further library credited on a record, after two libraries' records were merged."""

    __tablename__ = "record_contributor"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("record.id", ondelete="CASCADE"), primary_key=True
    )
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(200), default="")

    record: Mapped[Record] = relationship(back_populates="contributors")
    library: Mapped[Library] = relationship()


class RecordRevision(db.Model):
    """Every saved change of a record: who, when, what before and after."""

    __tablename__ = "record_revision"
    __table_args__ = (UniqueConstraint("record_id", "number", name="uq_record_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_before: Mapped[str | None] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))
    metadata_before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    metadata_after: Mapped[dict[str, Any]] = mapped_column(JSONType)
    assets_after: Mapped[list[str]] = mapped_column(JSONType, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: The partner library the author worked for under paired support (结对扶持), else None.
    acting_for_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("library.id", ondelete="SET NULL")
    )

    record: Mapped[Record] = relationship(back_populates="revisions")
    user: Mapped[User | None] = relationship()
    acting_for_library: Mapped[Library | None] = relationship()

    def changed_fields(self, previous: RecordRevision | None = None) -> list[str]:
        """Metadata keys that this revision changed, plus ``images`` when the files changed."""
        before = self.metadata_before or {}
        keys = sorted(set(before) | set(self.metadata_after))
        changed = [key for key in keys if before.get(key) != self.metadata_after.get(key)]
        if previous is not None and previous.assets_after != self.assets_after:
            changed.append("images")
        return changed


class DerivativeState(enum.StrEnum):
    """How far an asset's pyramid and IIIF tiles are: made by a task after the save commits."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class Asset(db.Model):
    """One file of a record, in display order. The original bytes are never modified."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(300), default="")
    original_filename: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    derivative_state: Mapped[DerivativeState] = mapped_column(
        enum_column(DerivativeState, 10), default=DerivativeState.PENDING, index=True
    )
    # Runs of the derivative task that started; when it was last enqueued (for recovery).
    derivative_attempts: Mapped[int] = mapped_column(Integer, default=0)
    derivative_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    record: Mapped[Record] = relationship(back_populates="assets")

    @hybrid_property
    def derivatives_ready(self) -> bool:
        """The pyramid and tiles are built (thumbnails exist from the save on)."""
        return self.derivative_state == DerivativeState.READY

    @derivatives_ready.inplace.expression
    @classmethod
    def _derivatives_ready_expression(cls):
        return cls.derivative_state == DerivativeState.READY


class Tombstone(db.Model):
    """A record that was public and no longer is, so harvesters learn of the deletion."""

    __tablename__ = "tombstone"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_public_id: Mapped[str] = mapped_column(String(16), index=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"))
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    reason: Mapped[str] = mapped_column(String(30))  # withdrawn | deleted | merged | hidden
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    credited: Mapped[list[TombstoneCredit]] = relationship(cascade="all, delete-orphan")

    @classmethod
    def for_record(cls, record: Record, reason: str) -> Tombstone:
        """The notice for ``record``, keeping the libraries credited on it: a deleted record's
        credits go with its row, and each of those libraries' sets must still report it."""
        return cls(
            record_public_id=record.public_id,
            collection_id=record.collection_id,
            library_id=record.library_id,
            reason=reason,
            credited=[TombstoneCredit(library_id=c.library_id) for c in record.contributors],
        )


class TombstoneCredit(db.Model):
    """A further library credited on a record when its tombstone was written."""

    __tablename__ = "tombstone_credit"

    tombstone_id: Mapped[int] = mapped_column(
        ForeignKey("tombstone.id", ondelete="CASCADE"), primary_key=True
    )
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), primary_key=True, index=True)
