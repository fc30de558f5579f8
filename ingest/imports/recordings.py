"""Recordings named in a row's ``images`` cell: verified, stored and attached as the form does.

A name ending in a recording's extension (``repository.media.probe.is_recording_name``: .mp3
.m4a .aac .wav .flac .mp4 .m4v .webm .mov) is a recording; it is checked by
``repository.media.uploads.verify_recording_file`` (the size limit, then ffprobe), the code the
record form's uploads go through, and attached with ``attach_recordings``. A bad recording
fails its row like a bad image; without FFmpeg every row naming a recording fails with the
message that says so, while rows of images import as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from repository.extensions import db
from repository.images.storage import StoredOriginal
from repository.images.storage_errors import FileTooLarge
from repository.media.models import Recording
from repository.media.probe import ProbedMedia, RecordingRejected, is_recording_name
from repository.media.uploads import StoredRecording, attach_recordings, verify_recording_file
from repository.messages import Message
from repository.models import DerivativeState, Record

if TYPE_CHECKING:
    from ingest.imports.image_source import CheckedImage

__all__ = [
    "attach",
    "is_recording_name",
    "recording_limit",
    "records_with_unqueued_recordings",
    "replace",
    "split",
    "verify",
]


def recording_limit() -> int:
    """The largest recording (``MAX_RECORDING_BYTES``; images keep ``MAX_UPLOAD_BYTES``)."""
    return int(current_app.config["MAX_RECORDING_BYTES"])


def verify(path: Path, shown: str) -> ProbedMedia:
    """What ffprobe says the unpacked file is; RecordingProblem (an ImageProblem) if refused."""
    from ingest.imports.image_source import ImageProblem

    try:
        return verify_recording_file(path, shown)
    except RecordingRejected as error:
        fix = NO_FFMPEG_FIX if error.code == "no_ffmpeg" else REJECTED_FIX
        raise ImageProblem(error.message, fix) from None
    except FileTooLarge as error:
        raise ImageProblem(error.message, TOO_LARGE_FIX) from None


def split(files: Sequence[CheckedImage]) -> tuple[list[CheckedImage], list[CheckedImage]]:
    """The images and the recordings a cell named, each in the cell's order."""
    images = [f for f in files if f.probed is None]
    return images, [f for f in files if f.probed is not None]


def attach(record: Record, files: Sequence[CheckedImage], store) -> int:
    """Store and attach the recordings (after the record's images and recordings)."""
    stored = []
    for item in files:
        assert item.path is not None and item.probed is not None
        original: StoredOriginal = store.put_original(
            item.path, recording_limit(), filename=item.name
        )
        name = PurePosixPath(item.source_name)
        stored.append(StoredRecording(original, name.name[:300], name.stem[:300], item.probed))
    attach_recordings(record, stored)
    return len(stored)


def replace(record: Record, files: Sequence[CheckedImage], store) -> tuple[bool, int]:
    """Make the record's recordings exactly these: those it has (same SHA-256) are kept with
    their ids and labels, new ones added, those not named removed."""
    wanted = [item.sha256 for item in files]
    if sorted(r.sha256 for r in record.recordings) == sorted(wanted):
        return False, 0
    kept: dict[str, list] = {}
    for recording in record.recordings:
        kept.setdefault(recording.sha256, []).append(recording)
    new = []
    for item in files:
        if kept.get(item.sha256):
            kept[item.sha256].pop(0)
        else:
            new.append(item)
    for leftovers in kept.values():
        for recording in leftovers:
            record.recordings.remove(recording)
    return True, attach(record, new, store)


def records_with_unqueued_recordings(public_ids: Iterable[str]) -> list[Record]:
    """After a crash between a batch's commit and its enqueueing: the records whose new
    recordings never had their derivative task enqueued."""
    query = (
        select(Record)
        .join(Recording, Recording.record_id == Record.id)
        .where(
            Record.public_id.in_(sorted(public_ids)),
            Recording.derivative_state == DerivativeState.PENDING,
            Recording.derivative_queued_at.is_(None),
        )
        .distinct()
    )
    return list(db.session.scalars(query))


REJECTED_FIX = Message(
    "Replace the file with the whole recording (MP3, M4A/AAC, WAV, FLAC, MP4, WebM or MOV)."
)
TOO_LARGE_FIX = Message(
    "Shorten or compress the recording, or ask an administrator to raise the limit."
)
NO_FFMPEG_FIX = Message(
    "Ask the administrator to install FFmpeg, then import this row again; images need nothing."
)
