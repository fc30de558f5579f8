"""Records of two libraries that probably describe the same thing, and the keys that find them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.extensions import db
from repository.models.base import JSONType, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from repository.models.accounts import User
    from repository.models.collections import Collection
    from repository.models.records import Record


class DuplicateState(enum.StrEnum):
    OPEN = "open"
    MERGED = "merged"
    KEPT_BOTH = "kept_both"


class DuplicateKey(db.Model):
    """A normalised name or scientific name of a record.

    Candidates are found by looking these up in an index, never by comparing records pairwise.
    """

    __tablename__ = "duplicate_key"
    # The library is part of the key so that a look-up skips the saving library's own records,
    # however many of them share a name.
    __table_args__ = (Index("ix_duplicate_key_lookup", "collection_id", "key", "library_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not a foreign key: keys are derived data, deleted with their record by ``delete_record``.
    record_id: Mapped[int] = mapped_column(index=True)
    # Copies of the record's, beside the key for the index; the record's foreign keys hold.
    collection_id: Mapped[int]
    library_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # name | taxon (for reading; lookups use key)
    key: Mapped[str] = mapped_column(String(200))


class DuplicateCandidate(db.Model):
    """Two records of different libraries that may be one thing, stored once (lower id first)."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        UniqueConstraint("record_low_id", "record_high_id", name="uq_duplicate_candidate_pair"),
        CheckConstraint("record_low_id < record_high_id", name="ordered_pair"),
        Index("ix_duplicate_candidate_collection_state", "collection_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"))
    record_low_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    record_high_id: Mapped[int] = mapped_column(
        ForeignKey("record.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[DuplicateState] = mapped_column(
        enum_column(DuplicateState), default=DuplicateState.OPEN
    )
    # Which keys matched: name, scientific_name, place; different_place when the places disagree.
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Digest of what both records were matched on, so "kept both" holds until one of them changes.
    signature: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    # The public id of the record merged away, so its old address can lead to the survivor.
    merged_public_id: Mapped[str | None] = mapped_column(String(16), index=True)

    collection: Mapped[Collection] = relationship()
    record_low: Mapped[Record] = relationship(foreign_keys=[record_low_id])
    record_high: Mapped[Record] = relationship(foreign_keys=[record_high_id])
    survivor: Mapped[Record | None] = relationship(foreign_keys=[survivor_id])
    decided_by: Mapped[User | None] = relationship()

    @property
    def records(self) -> tuple[Record, Record]:
        return self.record_low, self.record_high

    def other(self, record: Record) -> Record:
        return self.record_high if record.id == self.record_low_id else self.record_low

    def __repr__(self) -> str:
        return f"<DuplicateCandidate {self.record_low_id}/{self.record_high_id} {self.state.value}>"
