"""Flagging records of other libraries that probably describe the same thing as a saved record.

Each record's names and scientific name are stored as normalised keys in ``duplicate_key``; a
save looks its own keys up in that table's index (collection, key, library), so the cost of a
save grows neither with the size of the collection nor with how many of the saving library's
own records share a name. Only the few records found that way are read and compared on place
and scientific name. An import does the same for a batch of new records at a time: their keys
go in one INSERT and are looked up in a few queries, and only the records that share a key with
another library's record are compared one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import ARRAY, String, bindparam, delete, func, or_, select

from ingest.duplicates.harvested import match_contributed, match_new_contributed
from ingest.duplicates.keys import MatchKeys, match_keys, pair_signature, reasons_for
from repository.bulk import insert_values
from repository.extensions import db
from repository.messages import Message
from repository.models import (
    Collection,
    DuplicateCandidate,
    DuplicateKey,
    DuplicateState,
    Record,
    RecordStatus,
)
from repository.models.base import utcnow
from repository.services import notifications
from repository.transactions import unit_of_work

logger = logging.getLogger(__name__)

#: Records compared at all. Another library's draft takes part so that two drafts submitted
#: later are still paired, but such a pair stays out of sight until both are submitted.
MATCHED_STATUSES = (RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.PUBLISHED)
#: Records a reviewer sees and merges: waiting for review or public.
REVIEWABLE_STATUSES = (RecordStatus.SUBMITTED, RecordStatus.PUBLISHED)
#: At most this many records are compared per save, so one very common name stays cheap.
MAX_MATCHES = 50
#: Keys looked up in one query when a batch of new records is flagged.
LOOKUP_KEYS = 500


def flag_possible_duplicates(record: Record) -> list[DuplicateCandidate]:
    """Pair the record with other libraries' records that look like the same thing.

    Never raises: a failure is logged and the record's own save stands. Inside a caller's unit
    of work it runs in a savepoint of that transaction; otherwise it commits its own.
    Returns the open pairs whose other record is under review or public (never another
    library's draft, which is private to that library).
    """
    try:
        name = record.public_id
    except Exception:  # an expired instance of a failed transaction
        name = "?"
    try:
        with unit_of_work() as session, session.begin_nested():
            candidates = flag_in_transaction(record)
    except Exception:
        logger.exception("flagging possible duplicates of record %s failed", name)
        return []
    return candidates


def flag_in_transaction(
    record: Record, *, notify: bool = True, created_with: MatchKeys | None = None
) -> list[DuplicateCandidate]:
    """The flagging itself, in the caller's transaction; errors propagate.

    New pairs are announced to the collection's reviewers (once per call; a batch of new
    records announces its total itself, ``notify=False``). ``created_with``: the keys of a
    record this transaction created and stored them for, which has no row to lock, no keys to
    bring in line and no pairs yet.
    """
    if created_with is None:
        if not _still_there(record):
            return []
        keys = match_keys(record.collection.profile, record.metadata_)
        store_keys(record, keys)
    else:
        keys = created_with
    if record.status not in MATCHED_STATUSES:
        return []
    existing = {} if created_with is not None else _pairs_of(record)
    now = utcnow()
    flagged: list[DuplicateCandidate] = []
    new_pairs = 0
    for other, reasons, other_keys in _matches(record, keys):
        pair = sorted(((record, keys), (other, other_keys)), key=lambda item: item[0].id)
        signature = pair_signature(pair[0][1], pair[1][1])
        candidate = existing.pop(other.id, None)
        if candidate is None:
            candidate = DuplicateCandidate(
                collection_id=record.collection_id,
                record_low_id=pair[0][0].id,
                record_high_id=pair[1][0].id,
                state=DuplicateState.OPEN,
                reasons=reasons,
                signature=signature,
                created_at=now,
                updated_at=now,
            )
            db.session.add(candidate)
            if other.status in REVIEWABLE_STATUSES:
                new_pairs += 1
        elif candidate.state is DuplicateState.KEPT_BOTH and candidate.signature != signature:
            # One of the two changed what it is matched on since a reviewer kept both: ask again.
            candidate.state = DuplicateState.OPEN
            candidate.decided_at = None
            candidate.decided_by_id = None
        elif candidate.state is not DuplicateState.OPEN:
            continue
        if candidate.reasons != reasons or candidate.signature != signature:
            candidate.reasons = reasons
            candidate.signature = signature
            candidate.updated_at = now
        if other.status in REVIEWABLE_STATUSES:
            flagged.append(candidate)
    for candidate in existing.values():
        if candidate.state is DuplicateState.OPEN:  # no longer alike
            db.session.delete(candidate)
    db.session.flush()
    if notify and new_pairs:
        announce_new_pairs(record.collection, new_pairs)
    return flagged


def _pairs_of(record: Record) -> dict[int, DuplicateCandidate]:
    """The record's pairs, by the other record's id."""
    return {
        _other_id(candidate, record): candidate
        for candidate in db.session.scalars(
            select(DuplicateCandidate).where(
                or_(
                    DuplicateCandidate.record_low_id == record.id,
                    DuplicateCandidate.record_high_id == record.id,
                )
            )
        )
    }


def announce_new_pairs(collection: Collection, count: int) -> None:
    notifications.notify_reviewers(
        collection,
        "duplicate",
        Message("New possible duplicates across libraries in {collection}: {n}").format(
            n=count, collection=collection.title_zh
        ),
        "/workspace/duplicates/",
    )


def store_keys(record: Record, keys: MatchKeys) -> None:
    """Bring the record's rows in ``duplicate_key`` in line with its metadata."""
    wanted = _key_pairs(keys)
    stored = {
        (row.kind, row.key): row
        for row in db.session.scalars(
            select(DuplicateKey).where(DuplicateKey.record_id == record.id)
        )
    }
    stale = [row.id for key, row in stored.items() if key not in wanted]
    if stale:
        db.session.execute(delete(DuplicateKey).where(DuplicateKey.id.in_(stale)))
    for kind, key in sorted(wanted - stored.keys()):
        db.session.add(
            DuplicateKey(
                record_id=record.id,
                collection_id=record.collection_id,
                library_id=record.library_id,
                kind=kind,
                key=key,
            )
        )
    match_contributed(record, keys)  # harvested records describing the same thing


def flag_new_records(
    collection_id: int, library_id: int, created: Sequence[tuple[int, MatchKeys]]
) -> dict[int, list[DuplicateCandidate]]:
    """Flag a batch of records just created by one library, given their ids and match keys.

    Like ``flag_possible_duplicates`` it never raises and runs in a savepoint of the caller's
    transaction. A new record has no pairs yet, so a record whose keys no other library uses is
    finished once its keys are stored.
    """
    if not created:
        return {}
    try:
        with unit_of_work() as session, session.begin_nested():
            return _flag_new_in_transaction(collection_id, library_id, created)
    except Exception:
        logger.exception("flagging possible duplicates of %d new records failed", len(created))
        return {}


def _flag_new_in_transaction(
    collection_id: int, library_id: int, created: Sequence[tuple[int, MatchKeys]]
) -> dict[int, list[DuplicateCandidate]]:
    rows: list[tuple[int, str, str]] = []
    keys_of: dict[int, set[str]] = {}
    for record_id, keys in created:
        pairs = _key_pairs(keys)
        keys_of[record_id] = {key for _kind, key in pairs}
        rows.extend((record_id, kind, key) for kind, key in pairs)
    if not rows:
        return {}
    insert_values(
        DuplicateKey.__table__,
        ("record_id", "kind", "key"),
        rows,
        same={"collection_id": collection_id, "library_id": library_id},
    )
    match_new_contributed(created)
    shared = _keys_of_other_libraries(
        collection_id, library_id, sorted({key for _record_id, _kind, key in rows})
    )
    alike = sorted(record_id for record_id, keys in keys_of.items() if keys & shared)
    if not alike:
        return {}
    keys_by_id = dict(created)
    flagged = {}
    for record in db.session.scalars(select(Record).where(Record.id.in_(alike))):
        flagged[record.id] = flag_in_transaction(
            record, notify=False, created_with=keys_by_id[record.id]
        )
    found = sum(len(pairs) for pairs in flagged.values())
    if found:
        announce_new_pairs(db.session.get(Collection, collection_id), found)
    return flagged


def _keys_of_other_libraries(collection_id: int, library_id: int, wanted: list[str]) -> set[str]:
    """Which of ``wanted`` other libraries' records of the collection use.

    On PostgreSQL the keys go as one array joined to the index, so each is one index probe
    however large the table grows (an ``IN`` list of bound parameters would be compared with
    every row of a sequential scan). SQLite is given ``IN`` lists of ``LOOKUP_KEYS``.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        keys = bindparam("wanted", wanted, type_=ARRAY(String))
        wanted_keys = func.unnest(keys).table_valued("key").render_derived()
        statement = (
            select(DuplicateKey.key)
            .join(wanted_keys, DuplicateKey.key == wanted_keys.c.key)
            .where(
                DuplicateKey.collection_id == collection_id,
                DuplicateKey.library_id != library_id,
            )
            .distinct()
        )
        return set(db.session.scalars(statement))
    shared: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_KEYS):
        shared.update(
            db.session.scalars(
                select(DuplicateKey.key)
                .where(
                    DuplicateKey.collection_id == collection_id,
                    DuplicateKey.key.in_(wanted[start : start + LOOKUP_KEYS]),
                    DuplicateKey.library_id != library_id,
                )
                .distinct()
            )
        )
    return shared


def _still_there(record: Record) -> bool:
    """Lock the record's row for this transaction, if it is still there.

    Key rows have no foreign key: a save flagged after its own commit must not write keys for
    a record deleted meanwhile, and a delete waits for a flagging already under way, then takes
    its keys along (``records.delete_record`` deletes the record before its keys).
    """
    found = db.session.execute(
        select(Record.id).where(Record.id == record.id).with_for_update()
    ).first()
    return found is not None


def _key_pairs(keys: MatchKeys) -> set[tuple[str, str]]:
    """The (kind, key) rows a record's match keys are stored as."""
    pairs = {("name", name) for name in keys.names}
    if keys.taxon:
        pairs.add(("taxon", keys.taxon))
    return pairs


def _matches(record: Record, keys: MatchKeys) -> list[tuple[Record, list[str], MatchKeys]]:
    """Records of other libraries sharing a key with this one, and why they look alike."""
    # One IN list over (collection, key) lets the index answer it on SQLite and PostgreSQL
    # alike; a name that happens to equal a scientific name is sorted out by reasons_for below.
    wanted = sorted(keys.names | ({keys.taxon} if keys.taxon else set()))
    if not wanted:
        return []
    ids = list(
        db.session.scalars(
            select(DuplicateKey.record_id)
            .join(Record, Record.id == DuplicateKey.record_id)
            .where(
                DuplicateKey.collection_id == record.collection_id,
                DuplicateKey.key.in_(wanted),
                DuplicateKey.library_id != record.library_id,
                Record.status.in_(MATCHED_STATUSES),
            )
            .distinct()
            .order_by(DuplicateKey.record_id)
            .limit(MAX_MATCHES)
        )
    )
    if not ids:
        return []
    profile = record.collection.profile
    found = []
    for other in db.session.scalars(select(Record).where(Record.id.in_(ids)).order_by(Record.id)):
        other_keys = match_keys(profile, other.metadata_)
        reasons = reasons_for(keys, other_keys)
        if reasons is not None:
            found.append((other, reasons, other_keys))
    return found


def _other_id(candidate: DuplicateCandidate, record: Record) -> int:
    if candidate.record_low_id == record.id:
        return candidate.record_high_id
    return candidate.record_low_id
