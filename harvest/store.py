"""Storing a page of harvested records: an upsert by (source, identifier), in the page's
transaction.

Storing the same page twice (a run taken up after a crash goes on from the last page it knows
was stored, and may meet records again) changes nothing and counts nothing: a record whose
content did not change is not counted as updated. Within one page, an identifier given twice is
stored once, as its last occurrence says. A record that cannot be mapped is counted failed and
named in the run's errors; the others of the page are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from harvest.mapping import Mapped, MappingFailed
from harvest.runs import add_error
from ingest.duplicates.harvested import keep_new_matches, new_matches, queue_index, rematch_page
from repository.extensions import db
from repository.messages import Message
from repository.models.base import utcnow
from repository.models.harvest import (
    HarvestedRecord,
    HarvestRun,
    HarvestSource,
    SourceKind,
    new_harvested_id,
)

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
    notes: list[Message] = field(default_factory=list)  # problems of the page, kept in the errors


def store_page(source: HarvestSource, run: HarvestRun, page: Page) -> None:
    for note in page.notes:
        add_error(run, page.where, note)
    latest: dict[str, Item] = {}
    for item in page.items:
        if item.identifier in latest:
            add_error(
                run,
                item.identifier,
                _REPEATED,
            )
            del latest[item.identifier]
        latest[item.identifier] = item
    too_long = [key for key in latest if len(key) > IDENTIFIER_LENGTH or not key.strip()]
    for key in too_long:
        run.failed += 1
        add_error(run, key[:200] or page.where, _BAD_IDENTIFIER)
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
    source_id = source.id
    fresh: list[dict[str, Any]] = []  # new: inserted in one statement, with their match
    changed: list[HarvestedRecord] = []  # updated: matched again, indexed again
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
            reason = (
                error.message
                if isinstance(error, MappingFailed)
                else Message.verbatim(repr(error)[:300])
            )
            add_error(run, identifier, reason)
            if record is not None:  # kept as it was, not taken for gone from the source
                seen.append(record.id)
            continue
        for warning in mapped.warnings:
            add_error(run, identifier, warning)
        if record is None:
            fresh.append(_new_row(source_id, identifier, mapped, item.datestamp, now))
            run.created += 1
        elif record.deleted or _differs(record, mapped, item.datestamp):
            _apply(record, mapped, item.datestamp, now)
            changed.append(record)
            run.updated += 1
        else:
            seen.append(record.id)
    run.deleted += len(gone)
    if seen:
        db.session.execute(
            update(HarvestedRecord)
            .where(HarvestedRecord.id.in_(seen))
            .values(harvested_at=now)
            .execution_options(synchronize_session=False)
        )
    _matched_and_queued(changed, gone, _inserted(fresh))


def _new_row(
    source_id: int, identifier: str, mapped: Mapped, datestamp: str, now: datetime
) -> dict[str, Any]:
    """A new record's row: what ``_apply`` sets, for an INSERT of the page's new records."""
    return {
        "public_id": new_harvested_id(),
        "source_id": source_id,
        "identifier": identifier,
        "deleted": False,
        "datestamp": datestamp[:64],
        "metadata_": mapped.metadata,
        "title": mapped.title,
        "year_start": mapped.year_start,
        "year_end": mapped.year_end,
        "original_url": mapped.original_url,
        "thumbnail_url": mapped.thumbnail_url,
        "manifest_url": mapped.manifest_url,
        "updated_at": now,
        "harvested_at": now,
    }


def _inserted(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert the page's new records, each with the contributed record it matches, and their
    keys; their (id, public id)."""
    if not rows:
        return []
    matches = new_matches([row["metadata_"] for row in rows])
    for row, (_keys, match) in zip(rows, matches, strict=True):
        row["matched_record_id"] = match
    stored = db.session.execute(
        insert(HarvestedRecord).returning(
            HarvestedRecord.id, HarvestedRecord.public_id, sort_by_parameter_order=True
        ),
        rows,
    ).all()
    keep_new_matches(
        [(row.id, keys, match) for row, (keys, match) in zip(stored, matches, strict=True)]
    )
    return [(row.id, row.public_id) for row in stored]


def _matched_and_queued(
    changed: list[HarvestedRecord],
    gone: list[HarvestedRecord],
    inserted: Sequence[tuple[int, str]] = (),
) -> None:
    """Store the changed records, match them all at once (a deleted record matches nothing)
    and queue them, and the new ones, for the index in one INSERT."""
    db.session.flush()
    rematch_page([*changed, *gone], queue_self=False)
    queue_index(
        [(record_id, public_id, "upsert") for record_id, public_id in inserted]
        + [(r.id, r.public_id, "upsert") for r in changed]
        + [(r.id, r.public_id, "delete") for r in gone]
    )


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


_REPEATED = Message("the identifier appears more than once in one answer; the last one was stored")
_BAD_IDENTIFIER = Message("an empty or over-long identifier; not stored")
