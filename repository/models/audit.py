"""The audit log: one row per administrative change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.extensions import db
from repository.models.accounts import Library, User
from repository.models.base import JSONType, UTCDateTime, utcnow


class AuditEntry(db.Model):
    """Who did what to which thing, for which library, and what it was before and after.

    ``actor_label`` keeps the actor's e-mail address (or ``command line``) as it was, so the
    entry still reads right after the account changes. ``acting_for_library`` is set when the
    actor worked on behalf of another library.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_library_created", "library_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(254))
    acting_for_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("library.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column()
    target_label: Mapped[str] = mapped_column(String(300), default="")
    library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id", ondelete="SET NULL"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    library: Mapped[Library | None] = relationship(foreign_keys=[library_id])
    acting_for_library: Mapped[Library | None] = relationship(foreign_keys=[acting_for_library_id])
