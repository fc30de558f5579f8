"""Audio and video recordings of a record: their own rows beside the record's images.

A recording shares its record's order with the images (``position`` counts in the same
sequence, ``Asset.position``), so a record mixing photographs and recordings shows and
describes them in the order they were catalogued. Images keep their own table untouched: every
image path (tiles, the Image API, thumbnails) stays as it was, and nothing there meets a file
it cannot decode.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from repository.extensions import db
from repository.models import DerivativeState, Record
from repository.models.base import UTCDateTime, enum_column, new_public_id, utcnow


class MediaKind(enum.StrEnum):
    AUDIO = "audio"
    VIDEO = "video"


class Recording(db.Model):
    """One audio or video file of a record. The original bytes are never modified; what a
    browser plays is ``play_name`` in the derivative folder, or the original itself."""

    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(300), default="")
    original_filename: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[MediaKind] = mapped_column(enum_column(MediaKind, 10))
    #: What ffprobe found: the container's short name (``mp4``, ``webm`` …) and the MIME type.
    container: Mapped[str] = mapped_column(String(20))
    mime_type: Mapped[str] = mapped_column(String(50))
    video_codec: Mapped[str | None] = mapped_column(String(30))
    audio_codec: Mapped[str | None] = mapped_column(String(30))
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # recordings may reach gigabytes
    duration: Mapped[float] = mapped_column(Float)
    #: Displayed size of a video (after its rotation flag is applied); none for audio.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    derivative_state: Mapped[DerivativeState] = mapped_column(
        enum_column(DerivativeState, 10), default=DerivativeState.PENDING, index=True
    )
    derivative_attempts: Mapped[int] = mapped_column(Integer, default=0)
    derivative_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    record: Mapped[Record] = relationship(
        backref=backref("recordings", order_by="Recording.position", cascade="all, delete-orphan")
    )

    @property
    def is_video(self) -> bool:
        return self.kind is MediaKind.VIDEO

    @property
    def ready(self) -> bool:
        return self.derivative_state is DerivativeState.READY

    def __repr__(self) -> str:
        return f"<Recording {self.public_id} {self.kind.value} {self.duration:.1f}s>"
