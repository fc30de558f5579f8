"""Scanning existing records for duplicates: keys and flags for records saved before detection
existed, or after the rules changed. Runs from ``huiku duplicates scan`` or as a task."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from ingest.duplicates.flagging import flag_in_transaction
from repository.errors import NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, DuplicateCandidate, DuplicateState, Record
from repository.tasks import task
from repository.transactions import unit_of_work

BATCH = 500


def scan_records(
    slug: str | None = None, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Store match keys for every record (of one collection) and flag pairs, a batch per
    transaction; safe to run again, or twice at once. Returns (records scanned, open pairs)."""
    query = select(Record.id).order_by(Record.id)
    if slug:
        collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
        if collection is None:
            raise NotFound(Message("no collection {slug}").format(slug=slug))
        query = query.where(Record.collection_id == collection.id)
    last_id, scanned = 0, 0
    while True:
        ids = list(db.session.scalars(query.where(Record.id > last_id).limit(BATCH)))
        if not ids:
            break
        with unit_of_work():
            for record in db.session.scalars(select(Record).where(Record.id.in_(ids))):
                flag_in_transaction(record)
        last_id, scanned = ids[-1], scanned + len(ids)
        if progress:
            progress(scanned)
    waiting = db.session.scalar(
        select(func.count(DuplicateCandidate.id)).where(
            DuplicateCandidate.state == DuplicateState.OPEN
        )
    )
    return scanned, waiting


@task()
def scan_duplicates(slug: str | None = None) -> tuple[int, int]:
    return scan_records(slug)
