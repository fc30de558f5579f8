"""Rebuilding the index from the database, and comparing the two."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Collection, Record, RecordStatus, Tombstone
from repository.models.base import utcnow
from search.backends import SearchBackend
from search.documents import Document, build_document, micros
from search.outbox import (
    OutboxState,
    drain_outbox,
    index_changes,
    outbox_state,
    records_for_index,
)

REINDEX_BATCH = 500


def _public_records():
    return (
        select(Record.id)
        .join(Collection, Record.collection_id == Collection.id)
        .where(Record.status == RecordStatus.PUBLISHED, Collection.published.is_(True))
    )


def published_documents(
    progress: Callable[[int], None] | None = None, batch_size: int = REINDEX_BATCH
) -> Iterator[Document]:
    """Every public record's document, read in batches so memory stays flat."""
    last_id = 0
    done = 0
    while True:
        ids = list(
            db.session.scalars(
                _public_records().where(Record.id > last_id).order_by(Record.id).limit(batch_size)
            )
        )
        if not ids:
            return
        records = records_for_index(ids)
        for record_id in ids:
            yield build_document(records[record_id])
        last_id = ids[-1]
        done += len(ids)
        db.session.expunge_all()
        if progress:
            progress(done)


def reindex(backend: SearchBackend, progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database and switch searches to it in one step.

    Changes committed while it runs reached the old index; they are applied again to the new one
    afterwards (versions make that safe), so nothing is lost in the swap.
    """
    started = utcnow()
    count = backend.rebuild(published_documents(progress))
    changed = records_for_index(
        list(db.session.scalars(select(Record.id).where(Record.updated_at >= started)))
    )
    records: dict[str, Record | None] = {r.public_id: r for r in changed.values()}
    removed_at: dict[str, int] = {}
    for tombstone in db.session.scalars(select(Tombstone).where(Tombstone.created_at >= started)):
        records.setdefault(tombstone.record_public_id, None)
        removed_at[tombstone.record_public_id] = micros(tombstone.created_at)
    documents, deletions = index_changes(records, removed_at)
    if documents or deletions:
        backend.apply(documents, deletions, refresh=True)
    db.session.commit()
    return count


@dataclass(frozen=True)
class IndexReport:
    backend: str
    index: str
    indexed: int
    published: int
    outbox: OutboxState
    missing: tuple[str, ...] = ()  # public in the database, absent from the index
    extra: tuple[str, ...] = ()  # in the index, not public any more

    @property
    def in_sync(self) -> bool:
        return (
            self.indexed == self.published
            and not self.outbox.pending
            and not self.missing
            and not self.extra
        )


def index_report(backend: SearchBackend, kind: str, *, compare_ids: bool = False) -> IndexReport:
    status = backend.status()
    published = db.session.scalar(select(func.count()).select_from(_public_records().subquery()))
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    if compare_ids:
        public_ids = set(
            db.session.scalars(
                select(Record.public_id).where(Record.id.in_(_public_records().scalar_subquery()))
            )
        )
        indexed_ids = backend.ids()
        missing = tuple(sorted(public_ids - indexed_ids))
        extra = tuple(sorted(indexed_ids - public_ids))
    return IndexReport(
        kind, status.name, status.documents, published or 0, outbox_state(), missing, extra
    )


def bring_up_to_date(backend: SearchBackend) -> int:
    """Apply what waits in the outbox, and rebuild when the index still differs from the
    database (a new instance, an index lost with its engine). Returns the documents indexed."""
    backend.ensure_index()
    drain_outbox(backend, refresh=True)
    report = index_report(backend, "")
    if report.indexed != report.published:
        return reindex(backend)
    return backend.status().documents
