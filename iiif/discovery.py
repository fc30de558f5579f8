"""IIIF Change Discovery API 1.0 (level 2): what happened to which manifest, and when.

The activities are not stored anywhere of their own; they are read from what the lifecycle
already writes in the same transaction as each change:

* a ``RecordRevision`` that leaves a record published (in a published collection) is a
  ``Create`` when the record was not published before it (publishing) and an ``Update`` when
  it was (an edit of a public record);
* a ``Tombstone`` (withdrawn, deleted, merged away) is a ``Delete``, unless the record was
  already gone (a withdrawn record deleted later leaves a second tombstone).

They are ordered oldest first (by time, then creates/updates before deletes of the same
instant, then row), as the specification requires; a harvester reads the last page first and
walks ``prev`` until it reaches activities older than its previous visit. New activities are
only ever appended, so earlier pages keep their content; the one exception is deleting a
record, which takes its revisions (and so its older activities) with it. That shifts older
pages a little, but a harvester walking back from the end still meets every activity newer
than its last visit, the ``Delete`` included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from iiif.presentation_http import DISCOVERY_CONTEXT, absolute_url
from repository.errors import NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Record, RecordRevision, RecordStatus, Tombstone

DEFAULT_PAGE_SIZE = 100
_PUBLISHED = RecordStatus.PUBLISHED.value


@dataclass(frozen=True)
class Activity:
    type: str  # Create | Update | Delete
    record_public_id: str
    end_time: datetime

    def as_json(self) -> dict:
        return {
            "type": self.type,
            "object": {
                "id": absolute_url("iiif_presentation.manifest", public_id=self.record_public_id),
                "type": "Manifest",
            },
            "endTime": _xsd_datetime(self.end_time),
        }


def page_size() -> int:
    return max(1, int(current_app.config.get("IIIF_DISCOVERY_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def changes_collection() -> dict:
    """The entry point: how many activities there are and where the first and last pages are."""
    total = _count()
    pages = _page_count(total)
    return {
        "@context": DISCOVERY_CONTEXT,
        "id": absolute_url("iiif_presentation.changes"),
        "type": "OrderedCollection",
        "totalItems": total,
        "first": _page_reference(1),
        "last": _page_reference(pages),
    }


def changes_page(number: int) -> dict:
    """One page of activities; numbers run from 1 (oldest) to the last (newest)."""
    total = _count()
    pages = _page_count(total)
    if not 1 <= number <= pages:
        raise NotFound(Message("no page {page}").format(page=number))
    size = page_size()
    page = {
        "@context": DISCOVERY_CONTEXT,
        "id": absolute_url("iiif_presentation.changes_page", number=number),
        "type": "OrderedCollectionPage",
        "startIndex": (number - 1) * size,
        "partOf": {"id": absolute_url("iiif_presentation.changes"), "type": "OrderedCollection"},
    }
    if number > 1:
        page["prev"] = _page_reference(number - 1)
    if number < pages:
        page["next"] = _page_reference(number + 1)
    page["orderedItems"] = [
        activity.as_json() for activity in activities((number - 1) * size, size)
    ]
    return page


def activities(offset: int, limit: int) -> list[Activity]:
    stream = _stream()
    rows = db.session.execute(
        select(stream.c.type, stream.c.record_public_id, stream.c.end_time)
        .order_by(stream.c.end_time, stream.c.source, stream.c.row_id)
        .offset(offset)
        .limit(limit)
    )
    return [Activity(type_, public_id, _aware(end)) for type_, public_id, end in rows]


def _stream():
    creates_public = and_(
        RecordRevision.status_after == _PUBLISHED,
        or_(RecordRevision.status_before.is_(None), RecordRevision.status_before != _PUBLISHED),
    )
    revisions = (
        select(
            RecordRevision.created_at.label("end_time"),
            literal(0).label("source"),
            RecordRevision.id.label("row_id"),
            case((creates_public, "Create"), else_="Update").label("type"),
            Record.public_id.label("record_public_id"),
        )
        .join(Record, Record.id == RecordRevision.record_id)
        .join(Collection, Collection.id == Record.collection_id)
        .where(RecordRevision.status_after == _PUBLISHED, Collection.published)
    )
    # A record deleted after it was withdrawn leaves a second tombstone; it was gone already.
    earlier = aliased(Tombstone)
    republished = (
        select(RecordRevision.id)
        .join(Record, Record.id == RecordRevision.record_id)
        .where(
            Record.public_id == Tombstone.record_public_id,
            creates_public,
            RecordRevision.created_at > earlier.created_at,
        )
    )
    already_gone = (
        select(earlier.id)
        .where(
            earlier.record_public_id == Tombstone.record_public_id,
            earlier.id < Tombstone.id,
            ~republished.exists(),
        )
        .exists()
    )
    deletions = select(
        Tombstone.created_at.label("end_time"),
        literal(1).label("source"),
        Tombstone.id.label("row_id"),
        literal("Delete").label("type"),
        Tombstone.record_public_id.label("record_public_id"),
    ).where(~already_gone)
    return union_all(revisions, deletions).subquery("activity")


def _count() -> int:
    stream = _stream()
    return db.session.scalar(select(func.count()).select_from(stream)) or 0


def _page_count(total: int) -> int:
    return max(1, -(-total // page_size()))


def _page_reference(number: int) -> dict:
    return {
        "id": absolute_url("iiif_presentation.changes_page", number=number),
        "type": "OrderedCollectionPage",
    }


def _aware(value: datetime | str) -> datetime:
    """Union columns lose the model's type on some databases; timestamps are stored in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _xsd_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
