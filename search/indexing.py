"""Rebuilding the index from the database, and comparing the two."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from repository.extensions import db
from repository.media.discovery import first_recording_ids, media_kinds_by_record
from repository.media.models import Recording
from repository.models import (
    Asset,
    Collection,
    HarvestedRecord,
    Library,
    Record,
    RecordContributor,
    RecordStatus,
    Tombstone,
)
from repository.models.base import utcnow
from search.backends import SearchBackend
from search.documents import Document, IndexSource, document_from, micros
from search.harvested import (
    harvested_changed_since,
    harvested_changes,
    origins_for,
    public_harvested_documents,
    public_harvested_ids,
)
from search.outbox import (
    OutboxState,
    drain_outbox,
    index_changes,
    outbox_state,
    records_for_index,
)

#: Records read at once: fewer, larger queries; a batch's rows take a few megabytes.
REINDEX_BATCH = 2000


def _public_records():
    return (
        select(Record.id)
        .join(Collection, Record.collection_id == Collection.id)
        .where(Record.status == RecordStatus.PUBLISHED, Collection.published.is_(True))
    )


def published_documents(
    progress: Callable[[int], None] | None = None, batch_size: int = REINDEX_BATCH
) -> Iterator[Document]:
    """Every public record's document, read as plain rows in batches so memory stays flat."""
    last_id = 0
    done = 0
    while True:
        rows = db.session.execute(
            select(
                Record.id,
                Record.public_id,
                Record.local_id,
                Record.metadata_,
                Record.title,
                Record.title_sort,
                Record.year_start,
                Record.year_end,
                Record.published_at,
                Record.updated_at,
                Collection.slug,
                Collection.profile_name,
                Library.code,
            )
            .join(Collection, Record.collection_id == Collection.id)
            .join(Library, Record.library_id == Library.id)
            .where(
                Record.status == RecordStatus.PUBLISHED,
                Collection.published.is_(True),
                Record.id > last_id,
            )
            .order_by(Record.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        first, last = ids[0], ids[-1]
        thumbnails = _first_images(first, last)
        with_recordings = _having(Recording.record_id, first, last)
        media = media_kinds_by_record(with_recordings) if with_recordings else {}
        # recordings stand for records without images
        recordings = first_recording_ids(with_recordings) if with_recordings else {}
        credited = _credited_libraries(first, last)
        copied = _having(HarvestedRecord.matched_record_id, first, last)
        origins = origins_for(copied) if copied else {}
        for (
            record_id,
            public_id,
            local_id,
            metadata,
            title,
            title_sort,
            year_start,
            year_end,
            published_at,
            updated_at,
            collection,
            profile,
            library,
        ) in rows:  # unpacked: quicker than reading each column of a row by name
            yield document_from(
                IndexSource(
                    public_id=public_id,
                    local_id=local_id,
                    collection=collection,
                    profile=profile,
                    libraries=[library, *(c for c in credited.get(record_id, ()) if c != library)],
                    metadata=metadata,
                    title=title,
                    title_sort=title_sort,
                    year_start=year_start,
                    year_end=year_end,
                    published_at=published_at,
                    updated_at=updated_at,
                    thumbnail=thumbnails.get(record_id) or recordings.get(record_id),
                    media=media.get(record_id, ()),
                    origins=origins.get(record_id, ()),
                )
            )
        last_id = ids[-1]
        done += len(ids)
        if progress:
            progress(done)


# The batch's images and credits are read by the range of its record ids: a list of hundreds of
# ids costs more to send than the few rows of records in the range that are not public.


def _having(record_id: InstrumentedAttribute[int], first_id: int, last_id: int) -> list[int]:
    """The records of the range that have any row in ``record_id``'s table: usually few, so
    the lookups by a list of ids are made for those alone, or not at all."""
    return list(
        db.session.scalars(select(record_id).where(record_id.between(first_id, last_id)).distinct())
    )


def _first_images(first_id: int, last_id: int) -> dict[int, str]:
    first: dict[int, str] = {}
    rows = db.session.execute(
        select(Asset.record_id, Asset.public_id)
        .where(Asset.record_id.between(first_id, last_id))
        .order_by(Asset.record_id, Asset.position.desc())
    )
    for record_id, public_id in rows:
        first[record_id] = public_id  # the lowest position comes last and wins
    return first


def _credited_libraries(first_id: int, last_id: int) -> dict[int, list[str]]:
    """Libraries credited on merged records, besides the owner."""
    credited: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(RecordContributor.record_id, Library.code)
        .join(Library, RecordContributor.library_id == Library.id)
        .where(RecordContributor.record_id.between(first_id, last_id))
    )
    for record_id, code in rows:
        credited.setdefault(record_id, []).append(code)
    return credited


def _every_document(progress: Callable[[int], None] | None) -> Iterator[Document]:
    """Contributed records' documents, then the public, unmatched harvested records'."""
    done = 0

    def counted(count: int) -> None:
        nonlocal done
        done = count
        if progress:
            progress(count)

    yield from published_documents(counted)
    yield from public_harvested_documents(progress, done=done)


@contextmanager
def _long_lived_objects_set_aside() -> Iterator[None]:
    """Leave what exists before a rebuild (the pinyin and OpenCC dictionaries, the app) out of
    the collector's passes while it runs: the documents' many short-lived objects set off
    collections that went over those hundreds of thousands of objects again and again, a fifth
    of a rebuild's time. They are handed back, and collected as usual, afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def reindex(backend: SearchBackend, progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database and switch searches to it in one step.

    Changes committed while it runs reached the old index; they are applied again to the new one
    afterwards (versions make that safe), so nothing is lost in the swap.
    """
    started = utcnow()
    with _long_lived_objects_set_aside():
        count = backend.rebuild(_every_document(progress))
    changed = records_for_index(
        list(db.session.scalars(select(Record.id).where(Record.updated_at >= started)))
    )
    records: dict[str, Record | None] = {r.public_id: r for r in changed.values()}
    removed_at: dict[str, int] = {}
    for tombstone in db.session.scalars(select(Tombstone).where(Tombstone.created_at >= started)):
        records.setdefault(tombstone.record_public_id, None)
        removed_at[tombstone.record_public_id] = micros(tombstone.created_at)
    documents, deletions = index_changes(records, removed_at)
    harvested = harvested_changes(harvested_changed_since(started, changed))
    documents += harvested[0]
    deletions += harvested[1]
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
    harvested = public_harvested_ids().subquery()
    published = (published or 0) + (
        db.session.scalar(select(func.count()).select_from(harvested)) or 0
    )
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    if compare_ids:
        public_ids = set(
            db.session.scalars(
                select(Record.public_id).where(Record.id.in_(_public_records().scalar_subquery()))
            )
        )
        public_ids |= set(db.session.scalars(public_harvested_ids()))
        indexed_ids = backend.ids()
        missing = tuple(sorted(public_ids - indexed_ids))
        extra = tuple(sorted(indexed_ids - public_ids))
    return IndexReport(
        kind, status.name, status.documents, published, outbox_state(), missing, extra
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
