"""Recordings arriving with a record: verified with ffprobe, stored by content, then attached.

The record form, the JSON API and the batch import hand over files by name; those whose name
is a recording's (``probe.is_recording_name``) come here, the rest stay images. As with
images, every file is checked before anything is kept, so one bad file rejects the whole save
and says which file and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from flask import current_app
from sqlalchemy import select

from repository.errors import FilesRejected
from repository.extensions import db
from repository.images import file_store
from repository.images.receiving import copy_limited, staging_folder
from repository.images.storage import StoredOriginal
from repository.images.storage_errors import FileTooLarge, StorageUnavailable, size_limit_message
from repository.media.models import Recording
from repository.media.probe import ProbedMedia, RecordingRejected, is_recording_name, probe
from repository.messages import Message
from repository.models import Record

log = logging.getLogger(__name__)

STORING = Message("storing the recordings")

Upload = TypeVar("Upload")


class RecordingsRejected(FilesRejected):
    """One or more recordings failed verification."""


@dataclass(frozen=True)
class RecordingUpload:
    stream: BinaryIO | Path
    filename: str
    label: str = ""


@dataclass(frozen=True)
class StoredRecording:
    original: StoredOriginal
    filename: str
    label: str
    probed: ProbedMedia


def split_recordings(uploads: Sequence[Upload]) -> tuple[list[Upload], list[Upload]]:
    """The uploads that are images, and those that are recordings, each in their order."""
    images = [u for u in uploads if not is_recording_name(u.filename)]  # type: ignore[attr-defined]
    sounds = [u for u in uploads if is_recording_name(u.filename)]  # type: ignore[attr-defined]
    return images, sounds


@contextmanager
def stored_recordings(uploads: Sequence[RecordingUpload]) -> Iterator[list[StoredRecording]]:
    """Verify every upload, then keep their originals for the block to attach.

    Raises RecordingsRejected naming every bad file before anything is kept. If the block
    fails (its transaction rolled back), originals this save added are removed again, unless
    a committed recording of another save has the same bytes.
    """
    if not uploads:
        yield []
        return
    store = file_store()
    created: list[str] = []
    with staging_folder(store) as staging:
        try:
            checked = _verify_all(uploads, staging)
            stored = []
            for upload, path, probed in checked:
                try:
                    original = store.put_original(path)
                except OSError as error:
                    raise StorageUnavailable(STORING, error) from error
                if original.created:
                    created.append(original.sha256)
                label = (upload.label.strip() or Path(upload.filename).stem)[:300]
                stored.append(StoredRecording(original, upload.filename[:300], label, probed))
            yield stored
        except BaseException:
            _remove_unreferenced(created)
            raise


def _verify_all(
    uploads: Sequence[RecordingUpload], staging: Path
) -> list[tuple[RecordingUpload, Path, ProbedMedia]]:
    config = current_app.config
    limit = int(config["MAX_RECORDING_BYTES"])
    checked, problems = [], []
    for number, upload in enumerate(uploads):
        target = staging / f"{number:04d}{Path(upload.filename).suffix.lower()}"
        try:
            copy_limited(upload.stream, upload.filename, target, limit)
            checked.append((upload, target, probe(target, upload.filename, config)))
        except (RecordingRejected, FileTooLarge) as error:
            problems.append(error.message)
    if problems:
        raise RecordingsRejected(problems)
    return checked


def verify_recording_file(path: Path, filename: str) -> ProbedMedia:
    """Check a recording already on disk as an upload is checked (the size limit, then
    ffprobe); the batch import uses it for recordings named in a spreadsheet.

    Raises RecordingRejected or FileTooLarge, whose ``message`` names the file.
    """
    limit = int(current_app.config["MAX_RECORDING_BYTES"])
    if path.stat().st_size > limit:
        raise FileTooLarge(size_limit_message(limit, filename), limit)
    return probe(path, filename, current_app.config)


def attach_recordings(record: Record, stored: Iterable[StoredRecording]) -> list[Recording]:
    """Append stored recordings after the record's images and recordings (inside the caller's
    transaction), their derivatives pending."""
    taken = [a.position for a in record.assets] + [r.position for r in record.recordings]
    position = max(taken, default=-1) + 1
    added = []
    for item in stored:
        probed = item.probed
        recording = Recording(
            record=record,
            position=position,
            label=item.label,
            original_filename=item.filename,
            sha256=item.original.sha256,
            kind=probed.kind,
            container=probed.container,
            mime_type=probed.mime_type,
            video_codec=probed.video_codec,
            audio_codec=probed.audio_codec,
            size_bytes=item.original.size,
            duration=probed.duration,
            width=probed.width,
            height=probed.height,
            rotation=probed.rotation,
        )
        db.session.add(recording)
        added.append(recording)
        position += 1
    return added


@dataclass(frozen=True)
class RecordingChange:
    """What the edit form says about a recording the record already has; or, with ``image``,
    where it puts one of the record's images, so the two kinds are ordered together."""

    recording_id: str
    label: str
    remove: bool = False
    position: int | None = None  # 0-based, in the sequence images and recordings share
    image: bool = False


def recording_changes(form: Mapping[str, Any], record: Record) -> list[RecordingChange]:
    """The edit form's fields for the record's recordings (templates/media/form_recordings.html),
    and the order numbers it gives the images (``images-<n>-position``)."""
    removed = set(form.getlist("remove_recording")) if hasattr(form, "getlist") else set()
    changes = []
    for recording in record.recordings:
        label = form.get(f"recording_label-{recording.public_id}")
        position = _position(form.get(f"recording_position-{recording.public_id}"))
        if label is not None or position is not None or recording.public_id in removed:
            changes.append(
                RecordingChange(
                    recording.public_id,
                    recording.label if label is None else str(label),
                    recording.public_id in removed,
                    position,
                )
            )
    if changes:
        for key, value in form.items():
            if key.startswith("images-") and key.endswith("-asset_id"):
                place = _position(form.get(key.removesuffix("asset_id") + "position"))
                changes.append(RecordingChange(str(value), "", position=place, image=True))
    return changes


def _position(value: Any) -> int | None:
    """A 1-based order number from the form as a 0-based position; None when not a number
    (a blank or a wrong box keeps the item where it was)."""
    try:
        return max(int(str(value).strip()), 1) - 1
    except (TypeError, ValueError):
        return None


def change_recordings(record: Record, changes: Iterable[RecordingChange]) -> bool:
    """Relabel, reorder and remove recordings (inside the caller's transaction, after the
    images' own changes); whether anything changed. A removed recording's files stay: other
    records may share the bytes."""
    changes = list(changes)
    by_id = {recording.public_id: recording for recording in record.recordings}
    changed = False
    for change in changes:
        recording = by_id.get(change.recording_id)
        if recording is None or change.image:
            continue
        if change.remove:
            if recording in record.recordings:
                record.recordings.remove(recording)
            changed = True
        elif recording.label != change.label.strip()[:300]:
            recording.label, changed = change.label.strip()[:300], True
    return _reorder(record, changes) or changed


def _reorder(record: Record, changes: list[RecordingChange]) -> bool:
    """Number images and recordings in one sequence, by the form's numbers where it gave them
    (an image before a recording given the same number), else where they were."""
    wanted = {(change.image, change.recording_id): change.position for change in changes}
    if all(position is None for position in wanted.values()):
        return False
    items = [(asset, True) for asset in record.assets]
    items += [(recording, False) for recording in record.recordings]

    def key(item: tuple[Any, bool]) -> tuple[int, int, int]:
        row, is_image = item
        position = wanted.get((is_image, row.public_id))
        return (row.position if position is None else position, 0 if is_image else 1, row.position)

    ordered = sorted(items, key=key)
    before = {id(row): row.position for row, _ in items}
    for position, (row, _) in enumerate(ordered):
        row.position = position
    record.assets.sort(key=lambda asset: asset.position)
    record.recordings.sort(key=lambda recording: recording.position)
    return any(before[id(row)] != row.position for row, _ in items)


def _remove_unreferenced(created: list[str]) -> None:
    if not created:
        return
    store = file_store()
    try:
        used = set(
            db.session.scalars(select(Recording.sha256).where(Recording.sha256.in_(created)))
        )
    except Exception:  # the database cannot answer now: keep the files rather than guess
        log.exception("could not check whether new recordings are in use; kept them")
        return
    for sha256 in set(created) - used:
        try:
            store.remove_original(sha256)
        except OSError:
            log.exception("could not remove a recording of a failed save (%s)", sha256)
