"""Themed collections (专题库), each described by one collection profile."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.extensions import db
from repository.models.base import UTCDateTime, utcnow
from repository.profiles import Profile, get_profile

if TYPE_CHECKING:
    from repository.models.accounts import Library, User

collection_reviewers = Table(
    "collection_reviewer",
    db.metadata,
    Column("collection_id", ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class Collection(db.Model):
    __tablename__ = "collection"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    profile_name: Mapped[str] = mapped_column("profile", String(40))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    coordinating_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    default_rights: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[bool] = mapped_column(default=True)
    #: edits of published records wait for a reviewer; the published version stays public
    edits_need_review: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    coordinating_library: Mapped[Library | None] = relationship()
    reviewers: Mapped[list[User]] = relationship(
        secondary=collection_reviewers, back_populates="reviewed_collections"
    )

    @property
    def profile(self) -> Profile:
        return get_profile(self.profile_name)

    def title(self, locale: str) -> str:
        return self.title_zh if locale.startswith("zh") or not self.title_en else self.title_en

    def description(self, locale: str) -> str:
        if locale.startswith("zh") or not self.description_en:
            return self.description_zh
        return self.description_en

    def __repr__(self) -> str:
        return f"<Collection {self.slug}>"
