"""In-app notifications: what a user should look at (submissions, returns, duplicates, jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from repository.extensions import db
from repository.messages import Message
from repository.models.base import JSONType, UTCDateTime, utcnow


class Notification(db.Model):
    """One message to one user, with the page it is about.

    ``message`` is the msgid and parameters (``Message.to_json``), translated when shown;
    ``text_en``/``text_zh`` are the texts as written, all that rows from before it hold.
    """

    __tablename__ = "notification"
    # The header's unread count and the list page, newest first.
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # submitted, returned, duplicate, job, edit
    text_en: Mapped[str] = mapped_column(String(500))
    text_zh: Mapped[str] = mapped_column(String(500))
    message: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def text(self, locale: str) -> str:
        if self.message:
            return Message.from_json(self.message).localized(locale)
        return self.text_zh if locale.startswith("zh") else self.text_en
