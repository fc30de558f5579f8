"""Record counts kept as rows, so pages never count the records table.

``record_count`` holds how many records each (collection, library, status) has. A session
hook adjusts it in the same flush, hence the same transaction, as every record the ORM
inserts, deletes, publishes, withdraws, merges or moves, whichever service does it: the counts
are exact as soon as the change commits and vanish with it on a rollback. Pages (home,
collection pages, IIIF collections) and the statistics pages read these few rows.

Rows written around the ORM (Core bulk inserts, SQL by hand) are not seen; ``recount()``
rebuilds the table from the records after such work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, event, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from repository.extensions import db
from repository.models import Collection, Record, RecordStatus
from repository.models.records import RecordCount

Key = tuple[int, int, str]  # collection id, library id, status
_KEY_COLUMNS = ("collection_id", "library_id", "status")


def published_counts() -> dict[int, int]:
    """Collection id → its published records (collections without any are absent)."""
    rows = db.session.execute(
        select(RecordCount.collection_id, func.sum(RecordCount.records))
        .where(RecordCount.status == RecordStatus.PUBLISHED.value)
        .group_by(RecordCount.collection_id)
    )
    return {collection_id: int(n) for collection_id, n in rows}


def published_count(collection_id: int) -> int:
    n = db.session.scalar(
        select(func.sum(RecordCount.records)).where(
            RecordCount.collection_id == collection_id,
            RecordCount.status == RecordStatus.PUBLISHED.value,
        )
    )
    return int(n or 0)


def public_collection_counts() -> list[tuple[Collection, int]]:
    """Published collections with their public records, in a stable order."""
    counts = published_counts()
    collections = db.session.scalars(
        select(Collection).where(Collection.published).order_by(Collection.id)
    )
    return [(collection, counts.get(collection.id, 0)) for collection in collections]


def libraries_with_published_records() -> set[int]:
    """Ids of libraries owning a published record in a published collection."""
    return set(
        db.session.scalars(
            select(RecordCount.library_id)
            .join(Collection, Collection.id == RecordCount.collection_id)
            .where(
                Collection.published,
                RecordCount.status == RecordStatus.PUBLISHED.value,
                RecordCount.records > 0,
            )
            .distinct()
        )
    )


def recount() -> None:
    """Rebuild every count from the records (after bulk loads that bypass the ORM)."""
    db.session.execute(delete(RecordCount))
    db.session.execute(
        insert(RecordCount).from_select(
            ["collection_id", "library_id", "status", "records"],
            select(Record.collection_id, Record.library_id, Record.status, func.count()).group_by(
                Record.collection_id, Record.library_id, Record.status
            ),
        )
    )


def _value(state, name: str, *, before: bool):
    history = state.attrs[name].history
    values = (history.deleted if before else history.added) or history.unchanged
    if values:
        return values[0]
    if name == "status":  # a new record whose status was left to the column default
        return RecordStatus.DRAFT
    return state.committed_state.get(name)


def _key(state, *, before: bool) -> Key | None:
    collection_id = _value(state, "collection_id", before=before)
    library_id = _value(state, "library_id", before=before)
    status = _value(state, "status", before=before)
    if collection_id is None or library_id is None or status is None:
        return None
    return collection_id, library_id, RecordStatus(status).value


def _changes(session: Session) -> Counter[Key]:
    delta: Counter[Key] = Counter()
    for record in _records(session.new):  # their values as they are: nothing came before
        key = (record.collection_id, record.library_id, record.status or RecordStatus.DRAFT)
        if None not in key:
            delta[key[0], key[1], RecordStatus(key[2]).value] += 1
    for record in _records(session.deleted):
        if (key := _key(inspect(record), before=True)) is not None:
            delta[key] -= 1
    for record in _records(session.dirty):
        state = inspect(record)
        if not any(state.attrs[n].history.has_changes() for n in _KEY_COLUMNS):
            continue
        before, after = _key(state, before=True), _key(state, before=False)
        if before != after:
            if before is not None:
                delta[before] -= 1
            if after is not None:
                delta[after] += 1
    return delta


def _records(objects: Iterable[object]) -> Iterable[Record]:
    return (obj for obj in objects if isinstance(obj, Record))


def _keep_old_value(_record, value, _old, _initiator):
    return value


# The value a record had is needed to know which count it leaves: load it, if expired, when
# a new one is set (``active_history``), and before a record is deleted.
for _name in _KEY_COLUMNS:
    event.listen(getattr(Record, _name), "set", _keep_old_value, active_history=True, retval=True)


@event.listens_for(Session, "before_flush")
def _load_deleted_keys(session: Session, _context, _instances) -> None:
    for record in _records(session.deleted):
        for name in _KEY_COLUMNS:
            getattr(record, name)


@event.listens_for(Session, "after_flush")
def _apply_changes(session: Session, _context) -> None:
    # After the flush the foreign keys of new records are set, while new/dirty/deleted and
    # the attribute histories still describe what this flush changed.
    delta = _changes(session)
    changes = sorted((key, n) for key, n in delta.items() if n)  # one lock order for all
    if not changes:
        return
    connection = session.connection()
    upsert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(connection.dialect.name)
    table = RecordCount.__table__
    for (collection_id, library_id, status), n in changes:
        values = {
            "collection_id": collection_id,
            "library_id": library_id,
            "status": status,
            "records": n,
        }
        if upsert is None:  # pragma: no cover - Huiku runs on PostgreSQL or SQLite
            raise RuntimeError(f"record counts: no upsert for {connection.dialect.name}")
        statement = upsert(table).values(values)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["collection_id", "library_id", "status"],
                set_={"records": table.c.records + statement.excluded.records},
            )
        )
