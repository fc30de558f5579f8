"""Harvested records that describe the same thing as a contributed record.

The duplicate checker's rules decide (``match_keys`` and ``reasons_for``): a harvested record is
read in the generic profile, a contributed one in its collection's. Both directions use this
module: a harvest matches each stored record against contributed records' ``duplicate_key``
rows, and a contributed record whose keys are saved (``flagging.store_keys``) looks itself up
in harvested records' ``harvested_key`` rows. A match sets ``matched_record_id``; the search
index then shows the two as one hit (the contributed record carrying the harvested origin), so
whenever a match starts, ends or moves, both sides are queued for the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select

from ingest.duplicates.keys import MatchKeys, match_keys, reasons_for
from repository.extensions import db
from repository.models import Collection, DuplicateKey, Record, RecordStatus
from repository.models.harvest import HarvestedKey, HarvestedRecord
from repository.models.jobs import IndexTask
from repository.profiles import get_profile
from repository.transactions import INDEX_TASKS_QUEUED

#: Contributed records a harvested one may match: any that takes part in duplicate checking.
#: The index merges the two only while the contributed record is public.
MATCHED_STATUSES = (RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.PUBLISHED)
MAX_MATCHES = 50


def harvested_keys(harvested: HarvestedRecord) -> MatchKeys:
    return match_keys(get_profile("generic"), harvested.metadata_ or {})


def store_harvested_keys(harvested: HarvestedRecord, keys: MatchKeys | None) -> None:
    """Bring the record's ``harvested_key`` rows in line with its keys (None: no rows)."""
    wanted: set[tuple[str, str]] = set()
    if keys is not None:
        wanted = {("name", n) for n in keys.names} | {("place", p) for p in keys.places}
        if keys.taxon:
            wanted.add(("taxon", keys.taxon))
    stored = {
        (row.kind, row.key): row.id
        for row in db.session.scalars(
            select(HarvestedKey).where(HarvestedKey.harvested_id == harvested.id)
        )
    }
    stale = [row_id for pair, row_id in stored.items() if pair not in wanted]
    if stale:
        db.session.execute(delete(HarvestedKey).where(HarvestedKey.id.in_(stale)))
    for kind, key in sorted(wanted - stored.keys()):
        db.session.add(HarvestedKey(harvested_id=harvested.id, kind=kind, key=key))


def rematch_harvested(harvested: HarvestedRecord, *, queue_self: bool = True) -> None:
    """Store the harvested record's keys and find the contributed record it describes, if any
    (a deleted one matches nothing); queue the index work a changed match needs (the harvested
    record's own only with ``queue_self``: a harvest queues it anyway)."""
    keys = None if harvested.deleted else harvested_keys(harvested)
    store_harvested_keys(harvested, keys)
    found = _best_contributed(keys) if keys is not None else None
    _set_match(harvested, found.id if found is not None else None, queue_self=queue_self)


def match_contributed(record: Record, keys: MatchKeys) -> None:
    """After a contributed record's keys were saved: harvested records it now describes take it
    as their match, and those that matched it and no longer do look for another."""
    wanted = sorted(keys.names | ({keys.taxon} if keys.taxon else set()))
    candidate_ids: set[int] = set()
    if wanted:
        candidate_ids.update(
            db.session.scalars(
                select(HarvestedKey.harvested_id)
                .where(HarvestedKey.key.in_(wanted), HarvestedKey.kind.in_(("name", "taxon")))
                .distinct()
                .limit(MAX_MATCHES)
            )
        )
    candidate_ids.update(
        db.session.scalars(
            select(HarvestedRecord.id).where(HarvestedRecord.matched_record_id == record.id)
        )
    )
    if not candidate_ids:
        return
    takes_part = record.status in MATCHED_STATUSES
    for harvested in db.session.scalars(
        select(HarvestedRecord)
        .where(HarvestedRecord.id.in_(candidate_ids))
        .order_by(HarvestedRecord.id)
    ):
        if harvested.deleted:
            continue
        alike = takes_part and reasons_for(_stored_keys(harvested), keys) is not None
        if alike and harvested.matched_record_id is None:
            _set_match(harvested, record.id)
        elif not alike and harvested.matched_record_id == record.id:
            rematch_harvested(harvested)


def match_new_contributed(created: Sequence[tuple[int, MatchKeys]]) -> None:
    """``match_contributed`` for a batch of new records: one look-up for all their keys, and
    only records sharing a key with a harvested record are compared."""
    wanted = sorted(
        {k for _id, keys in created for k in keys.names | ({keys.taxon} if keys.taxon else set())}
    )
    if not wanted:
        return
    shared: set[str] = set()
    for start in range(0, len(wanted), 500):
        shared.update(
            db.session.scalars(
                select(HarvestedKey.key)
                .where(HarvestedKey.key.in_(wanted[start : start + 500]))
                .distinct()
            )
        )
    alike = [record_id for record_id, keys in created if (keys.names | {keys.taxon}) & shared]
    for record_id, keys in created:
        if record_id in alike:
            record = db.session.get(Record, record_id)
            if record is not None:
                match_contributed(record, keys)


def _stored_keys(harvested: HarvestedRecord) -> MatchKeys:
    rows = db.session.execute(
        select(HarvestedKey.kind, HarvestedKey.key).where(HarvestedKey.harvested_id == harvested.id)
    ).all()
    return MatchKeys(
        names=frozenset(key for kind, key in rows if kind == "name"),
        taxon=next((key for kind, key in rows if kind == "taxon"), None),
        places=frozenset(key for kind, key in rows if kind == "place"),
    )


def _best_contributed(keys: MatchKeys) -> Record | None:
    """The contributed record the keys describe: a published one before others, then the
    oldest."""
    wanted = sorted(keys.names | ({keys.taxon} if keys.taxon else set()))
    if not wanted:
        return None
    collections = list(db.session.scalars(select(Collection.id)))
    if not collections:
        return None
    ids = list(
        db.session.scalars(
            select(DuplicateKey.record_id)
            .join(Record, Record.id == DuplicateKey.record_id)
            .where(
                DuplicateKey.collection_id.in_(collections),
                DuplicateKey.key.in_(wanted),
                Record.status.in_(MATCHED_STATUSES),
            )
            .distinct()
            .order_by(DuplicateKey.record_id)
            .limit(MAX_MATCHES)
        )
    )
    if not ids:
        return None
    records = db.session.scalars(select(Record).where(Record.id.in_(ids))).all()
    alike = [
        record
        for record in records
        if reasons_for(keys, match_keys(record.collection.profile, record.metadata_)) is not None
    ]
    alike.sort(key=lambda r: (r.status is not RecordStatus.PUBLISHED, r.id))
    return alike[0] if alike else None


def _set_match(
    harvested: HarvestedRecord, record_id: int | None, *, queue_self: bool = True
) -> None:
    """Change the match and queue both sides (and the side it left) for the index."""
    before = harvested.matched_record_id
    if before == record_id:
        return
    harvested.matched_record_id = record_id
    if queue_self:
        queue_harvested(harvested, "delete" if harvested.deleted else "upsert")
    queue_contributed(record_id for record_id in (before, record_id) if record_id is not None)


def queue_harvested(harvested: HarvestedRecord, action: str) -> None:
    db.session.add(
        IndexTask(record_id=harvested.id, record_public_id=harvested.public_id, action=action)
    )
    db.session.info[INDEX_TASKS_QUEUED] = True


def queue_contributed(record_ids: Iterable[int]) -> None:
    """Index again the public ones of these contributed records (their documents carry the
    origins of the harvested records they match)."""
    ids = list(record_ids)
    if not ids:
        return
    for record_id, public_id in db.session.execute(
        select(Record.id, Record.public_id).where(
            Record.id.in_(ids), Record.status == RecordStatus.PUBLISHED
        )
    ):
        db.session.add(IndexTask(record_id=record_id, record_public_id=public_id, action="upsert"))
        db.session.info[INDEX_TASKS_QUEUED] = True
