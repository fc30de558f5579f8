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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

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
#: Harvested records matched in one go (bounds the statements' parameters).
PAGE_CHUNK = 1000


def harvested_keys(harvested: HarvestedRecord) -> MatchKeys:
    return match_keys(get_profile("generic"), harvested.metadata_ or {})


def rematch_harvested(harvested: HarvestedRecord, *, queue_self: bool = True) -> None:
    """Store the harvested record's keys and find the contributed record it describes, if any
    (a deleted one matches nothing); queue the index work a changed match needs (the harvested
    record's own only with ``queue_self``: a harvest queues it anyway)."""
    rematch_page([harvested], queue_self=queue_self)


def rematch_page(records: Sequence[HarvestedRecord], *, queue_self: bool = True) -> None:
    """``rematch_harvested`` for a page of records (flushed: they have ids) in a few
    statements whatever their number, so a harvest costs little more per record than reading
    it: their keys are replaced by one DELETE and one INSERT, and all of them are looked up in
    ``duplicate_key`` at once."""
    for start in range(0, len(records), PAGE_CHUNK):
        chunk = records[start : start + PAGE_CHUNK]
        keys = {record.id: None if record.deleted else harvested_keys(record) for record in chunk}
        _replace_keys(keys)
        found = _best_contributed(keys)
        _set_matches(chunk, found, queue_self=queue_self)


def new_matches(metadata: Sequence[Mapping[str, Any]]) -> list[tuple[MatchKeys, int | None]]:
    """The keys and the matched contributed record (or None) of records about to be stored
    for the first time, in one look-up: a new record is inserted with its match."""
    keys = [match_keys(get_profile("generic"), each or {}) for each in metadata]
    found: dict[int, int] = {}
    for start in range(0, len(keys), PAGE_CHUNK):
        chunk = keys[start : start + PAGE_CHUNK]
        found.update(
            (start + n, record_id)
            for n, record_id in _best_contributed(dict(enumerate(chunk))).items()
        )
    return [(each, found.get(n)) for n, each in enumerate(keys)]


def keep_new_matches(stored: Sequence[tuple[int, MatchKeys, int | None]]) -> None:
    """After new records (id, keys, match) were inserted: their keys, in one INSERT, and the
    contributed records they match queued for the index (their documents gain an origin)."""
    _insert_keys({harvested_id: keys for harvested_id, keys, _match in stored})
    queue_contributed(match for _id, _keys, match in stored if match is not None)


def _replace_keys(keys: dict[int, MatchKeys | None]) -> None:
    """The records' ``harvested_key`` rows, replaced by their keys (None: no rows)."""
    db.session.execute(delete(HarvestedKey).where(HarvestedKey.harvested_id.in_(list(keys))))
    _insert_keys(keys)


def _insert_keys(keys: Mapping[int, MatchKeys | None]) -> None:
    rows = [
        {"harvested_id": harvested_id, "kind": kind, "key": key}
        for harvested_id, record_keys in keys.items()
        if record_keys is not None
        for kind, key in sorted(_key_pairs(record_keys))
    ]
    if rows:
        db.session.execute(insert(HarvestedKey), rows)


def _key_pairs(keys: MatchKeys) -> set[tuple[str, str]]:
    pairs = {("name", n) for n in keys.names} | {("place", p) for p in keys.places}
    if keys.taxon:
        pairs.add(("taxon", keys.taxon))
    return pairs


def match_contributed(record: Record, keys: MatchKeys) -> None:
    """After a contributed record's keys were saved: harvested records it now describes take it
    as their match, and those that matched it and no longer do look for another."""
    wanted = sorted(keys.names | ({keys.taxon} if keys.taxon else set()))
    candidate_ids: set[int] = set()
    with db.session.no_autoflush:  # a flush per saved record would slow a batch
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


def _looked_up(keys: MatchKeys) -> set[str]:
    """The keys a match is found by: names and the scientific name (places only confirm)."""
    return set(keys.names) | ({keys.taxon} if keys.taxon else set())


def _best_contributed(keys: dict[int, MatchKeys | None]) -> dict[int, int]:
    """For each harvested record (by id), the contributed record its keys describe: a
    published one before others, then the oldest. One look-up for all the keys; as for a single
    record, only the ``MAX_MATCHES`` oldest records sharing a key are compared."""
    present = {hid: record_keys for hid, record_keys in keys.items() if record_keys is not None}
    wanted = {hid: _looked_up(record_keys) for hid, record_keys in present.items()}
    every_key = sorted(set().union(*wanted.values()))
    if not every_key:
        return {}
    collections = list(db.session.scalars(select(Collection.id)))
    if not collections:
        return {}
    pairs = (
        select(DuplicateKey.key, DuplicateKey.record_id)
        .join(Record, Record.id == DuplicateKey.record_id)
        .where(
            DuplicateKey.collection_id.in_(collections),
            DuplicateKey.key.in_(every_key),
            Record.status.in_(MATCHED_STATUSES),
        )
        .distinct()
        .subquery()
    )
    ranked = select(
        pairs.c.key,
        pairs.c.record_id,
        func.row_number().over(partition_by=pairs.c.key, order_by=pairs.c.record_id).label("n"),
    ).subquery()
    sharing: dict[str, set[int]] = {}
    for key, record_id in db.session.execute(
        select(ranked.c.key, ranked.c.record_id).where(ranked.c.n <= MAX_MATCHES)
    ):
        sharing.setdefault(key, set()).add(record_id)
    # The oldest MAX_MATCHES of the records sharing any key are among each key's oldest.
    candidates = {
        hid: sorted(set().union(*(sharing.get(key, set()) for key in looked_up)))[:MAX_MATCHES]
        for hid, looked_up in wanted.items()
    }
    ids = set().union(*candidates.values())
    if not ids:
        return {}
    contributed = {
        record.id: record
        for record in db.session.scalars(
            select(Record).where(Record.id.in_(ids)).options(selectinload(Record.collection))
        )
    }
    their_keys = {
        record.id: match_keys(record.collection.profile, record.metadata_)
        for record in contributed.values()
    }
    found: dict[int, int] = {}
    for hid, record_ids in candidates.items():
        alike = [
            contributed[record_id]
            for record_id in record_ids
            if record_id in contributed
            and reasons_for(present[hid], their_keys[record_id]) is not None
        ]
        alike.sort(key=lambda r: (r.status is not RecordStatus.PUBLISHED, r.id))
        if alike:
            found[hid] = alike[0].id
    return found


def _set_matches(
    records: Sequence[HarvestedRecord], found: dict[int, int], *, queue_self: bool
) -> None:
    """Change the matches and queue both sides (and the sides they left) for the index, in
    one look-up and one INSERT."""
    changed: list[HarvestedRecord] = []
    contributed: set[int] = set()
    for harvested in records:
        record_id = found.get(harvested.id)
        before = harvested.matched_record_id
        if before == record_id:
            continue
        harvested.matched_record_id = record_id
        changed.append(harvested)
        contributed.update(other for other in (before, record_id) if other is not None)
    if queue_self:
        queue_harvested_page([(h, "delete" if h.deleted else "upsert") for h in changed])
    queue_contributed(contributed)


def _set_match(harvested: HarvestedRecord, record_id: int | None) -> None:
    """Change the match and queue both sides (and the side it left) for the index."""
    _set_matches([harvested], {harvested.id: record_id} if record_id else {}, queue_self=True)


def queue_harvested(harvested: HarvestedRecord, action: str) -> None:
    queue_harvested_page([(harvested, action)])


def queue_harvested_page(queued: Sequence[tuple[HarvestedRecord, str]]) -> None:
    """Outbox rows for harvested records (flushed: they have ids), in one INSERT."""
    queue_index([(harvested.id, harvested.public_id, action) for harvested, action in queued])


def queue_contributed(record_ids: Iterable[int]) -> None:
    """Index again the public ones of these contributed records (their documents carry the
    origins of the harvested records they match)."""
    ids = sorted(set(record_ids))
    if not ids:
        return
    rows = db.session.execute(
        select(Record.id, Record.public_id).where(
            Record.id.in_(ids), Record.status == RecordStatus.PUBLISHED
        )
    )
    queue_index([(record_id, public_id, "upsert") for record_id, public_id in rows])


def queue_index(rows: Sequence[tuple[int, str, str]]) -> None:
    """Outbox rows (record id, public id, action), in one INSERT."""
    if not rows:
        return
    db.session.execute(
        insert(IndexTask),
        [
            {"record_id": record_id, "record_public_id": public_id, "action": action}
            for record_id, public_id, action in rows
        ],
    )
    db.session.info[INDEX_TASKS_QUEUED] = True
