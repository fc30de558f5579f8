"""What search and change discovery learn of a record's recordings: whether it has audio,
video or both, as the values of the ``media`` facet ("has audio / has video")."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from repository.extensions import db
from repository.media.models import Recording
from repository.models import Record

#: The facet's values, in the order they are listed.
KINDS = ("audio", "video")
#: How they read on the search page and in the API's facet labels.
KIND_LABELS = {"audio": _l("Has audio"), "video": _l("Has video")}


def media_kind_label(value: str, locale: str) -> str | None:
    """A value of the ``media`` facet in the reader's language; None for an unknown value."""
    label = KIND_LABELS.get(value)
    if label is None:
        return None
    with force_locale(locale):
        return str(label)


def media_kinds(record: Record) -> tuple[str, ...]:
    """``("audio",)``, ``("video",)``, both or none, for one record."""
    found = {recording.kind.value for recording in getattr(record, "recordings", ())}
    return tuple(kind for kind in KINDS if kind in found)


def media_kinds_by_record(record_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The same for many records at once (a reindex reads rows, not records)."""
    found: dict[int, set[str]] = {}
    rows = db.session.execute(
        select(Recording.record_id, Recording.kind)
        .where(Recording.record_id.in_(list(record_ids)))
        .distinct()
    )
    for record_id, kind in rows:
        found.setdefault(record_id, set()).add(kind.value)
    return {rid: tuple(k for k in KINDS if k in kinds) for rid, kinds in found.items()}


def recording_documents(record: Record) -> list[dict]:
    """The recordings as the JSON answer lists them (``ingest.schemas.RecordingSchema``)."""
    from flask import url_for

    return [
        {
            "id": recording.public_id,
            "label": recording.label,
            "kind": recording.kind.value,
            "mime_type": recording.mime_type,
            "duration": recording.duration,
            "width": recording.width,
            "height": recording.height,
            "sha256": recording.sha256,
            "state": recording.derivative_state.value,
            "play": url_for("media.play", recording_id=recording.public_id, _external=True),
        }
        for recording in getattr(record, "recordings", ())
    ]


def first_recording_id(record: Record) -> str | None:
    """The recording whose picture stands for a record without images (search hits)."""
    recordings = list(getattr(record, "recordings", ()))
    return recordings[0].public_id if recordings else None


def first_recording_ids(record_ids: Iterable[int]) -> dict[int, str]:
    """The same for many records at once (a reindex)."""
    first: dict[int, str] = {}
    rows = db.session.execute(
        select(Recording.record_id, Recording.public_id)
        .where(Recording.record_id.in_(list(record_ids)))
        .order_by(Recording.record_id, Recording.position.desc(), Recording.id.desc())
    )
    for record_id, public_id in rows:
        first[record_id] = public_id  # the last row written per record is its first recording
    return first
