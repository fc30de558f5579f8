"""Storing a page of harvested records: an upsert by (source, identifier), in the page's
transaction.

Storing the same page twice (a run taken up after a crash goes on from the last page it knows
was stored, and may meet records again) changes nothing and counts nothing: a record whose
content did not change is not counted as updated. Within one page, an identifier given twice is
stored once, as its last occurrence says. A record that cannot be mapped is counted failed and
named in the run's errors; the others of the page are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from harvest.mapping import Mapped, MappingFailed
from harvest.runs import add_error
from ingest.duplicates.harvested import queue_harvested_page, rematch_page
from repository.extensions import db
from repository.models.base import utcnow
from repository.models.harvest import HarvestedRecord, HarvestRun, HarvestSource, SourceKind

IDENTIFIER_LENGTH = 500
#: A run's message while a Collection walk stopped short of its end (so nothing is deleted).
INCOMPLETE = "incomplete"


@dataclass
class Item:
    """One record as the source gave it: deleted, or with a way to map it."""

    identifier: str
    datestamp: str = ""
    deleted: bool = False
    mapped: Callable[[], Mapped] | None = None


@dataclass
class Page:
    """What one request brought; once stored, the run goes on from ``resume_after``."""

    items: list[Item]
    resume_after: str
    highest: str = ""  # the newest datestamp or activity time on the page
    where: str = ""  # the address the page came from, for errors
    notes: list[str] = field(default_factory=list)  # problems of the page, kept in the errors


def store_page(source: HarvestSource, run: HarvestRun, page: Page) -> None:
    for note in page.notes:
        add_error(run, page.where, note)
    latest: dict[str, Item] = {}
    for item in page.items:
        if item.identifier in latest:
            add_error(
                run,
                item.identifier,
                "the identifier appears more than once in one answer; the last one was stored",
            )
            del latest[item.identifier]
        latest[item.identifier] = item
    too_long = [key for key in latest if len(key) > IDENTIFIER_LENGTH or not key.strip()]
    for key in too_long:
        run.failed += 1
        add_error(run, key[:200] or page.where, "an empty or over-long identifier; not stored")
        del latest[key]
    if not latest:
        return
    existing = {
        record.identifier: record
        for record in db.session.scalars(
            select(HarvestedRecord).where(
                HarvestedRecord.source_id == source.id,
                HarvestedRecord.identifier.in_(list(latest)),
            )
        )
    }
    now = utcnow()
    changed: list[HarvestedRecord] = []  # new or updated: matched again, indexed again
    gone: list[HarvestedRecord] = []  # deleted at the source now
    seen: list[int] = []  # stored before and unchanged: only seen again
    for identifier, item in latest.items():
        record = existing.get(identifier)
        if item.deleted:
            if record is not None and not record.deleted:
                _delete(record, item.datestamp, now)
                gone.append(record)
            elif record is not None:
                seen.append(record.id)
            continue
        try:
            assert item.mapped is not None
            mapped = item.mapped()
        except Exception as error:  # a record the mapping cannot read; the others go on
            run.failed += 1
            reason = str(error) if isinstance(error, MappingFailed) else repr(error)[:300]
            add_error(run, identifier, reason)
            if record is not None:  # kept as it was, not taken for gone from the source
                seen.append(record.id)
            continue
        for warning in mapped.warnings:
            add_error(run, identifier, warning)
        if record is None:
            record = HarvestedRecord(source_id=source.id, identifier=identifier, harvested_at=now)
            db.session.add(record)
            run.created += 1
        elif record.deleted or _differs(record, mapped, item.datestamp):
            run.updated += 1
        else:
            seen.append(record.id)
            continue
        _apply(record, mapped, item.datestamp, now)
        changed.append(record)
    run.deleted += len(gone)
    if seen:
        db.session.execute(
            update(HarvestedRecord)
            .where(HarvestedRecord.id.in_(seen))
            .values(harvested_at=now)
            .execution_options(synchronize_session=False)
        )
    _matched_and_queued(changed, gone)


def _matched_and_queued(changed: list[HarvestedRecord], gone: list[HarvestedRecord]) -> None:
    """Store the records (new ones in batched INSERTs), match them all at once (a deleted
    record matches nothing) and queue them for the index in one INSERT."""
    db.session.flush()
    rematch_page([*changed, *gone], queue_self=False)
    queue_harvested_page([(r, "upsert") for r in changed] + [(r, "delete") for r in gone])


def finish_listing(source: HarvestSource, run: HarvestRun) -> None:
    """After a complete walk of a IIIF Collection, what it no longer lists is deleted."""
    if source.kind is not SourceKind.IIIF_COLLECTION or run.started_at is None:
        return
    if run.message == INCOMPLETE:  # the walk stopped at the cap: what it missed may be there
        return
    run.deleted += mark_unseen_deleted(source, run.started_at)


def mark_unseen_deleted(source: HarvestSource, since: datetime) -> int:
    gone = db.session.scalars(
        select(HarvestedRecord).where(
            HarvestedRecord.source_id == source.id,
            HarvestedRecord.deleted.is_(False),
            HarvestedRecord.harvested_at < since,
        )
    ).all()
    now = utcnow()
    for record in gone:
        _delete(record, record.datestamp, now)
    _matched_and_queued([], list(gone))
    return len(gone)


def _delete(record: HarvestedRecord, datestamp: str, now: datetime) -> None:
    record.deleted = True
    record.datestamp = datestamp or record.datestamp
    record.updated_at = now
    record.harvested_at = now


def _apply(record: HarvestedRecord, mapped: Mapped, datestamp: str, now: datetime) -> None:
    record.deleted = False
    record.datestamp = datestamp[:64]
    record.metadata_ = mapped.metadata
    record.title = mapped.title
    record.year_start = mapped.year_start
    record.year_end = mapped.year_end
    record.original_url = mapped.original_url
    record.thumbnail_url = mapped.thumbnail_url
    record.manifest_url = mapped.manifest_url
    record.updated_at = now
    record.harvested_at = now


def _differs(record: HarvestedRecord, mapped: Mapped, datestamp: str) -> bool:
    return (
        record.metadata_ != mapped.metadata
        or record.title != mapped.title
        or record.original_url != mapped.original_url
        or record.thumbnail_url != mapped.thumbnail_url
        or record.manifest_url != mapped.manifest_url
        or (bool(datestamp) and record.datestamp != datestamp[:64])
    )
