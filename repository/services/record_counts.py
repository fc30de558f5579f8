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
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import delete, event, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE
from sqlalchemy.sql.elements import ColumnElement

from repository.extensions import db
from repository.models import (
    Asset,
    Collection,
    Record,
    RecordStatus,
)
from repository.models.base import utcnow
from repository.models.records import RecordCount

Key = tuple[int, int, str, str, int]  # collection, library, status, month, contributor
T = TypeVar("T")
#: Record attributes that decide which count a record is in (besides its month of creation).
_KEY_COLUMNS = ("collection_id", "library_id", "status", "created_by_id")
_COUNT_KEY = ("collection_id", "library_id", "status", "month", "contributor_id")
_ASSET_RECORDS = "huiku.stats.asset_records"  # session.info: asset → the record it leaves


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
    images = select(Asset.record_id, func.count().label("n")).group_by(Asset.record_id).subquery()
    month = month_of(Record.created_at)
    contributor = func.coalesce(Record.created_by_id, 0)
    db.session.execute(delete(RecordCount))
    db.session.execute(
        insert(RecordCount).from_select(
            [*_COUNT_KEY, "records", "images"],
            select(
                Record.collection_id,
                Record.library_id,
                Record.status,
                month,
                contributor,
                func.count(),
                func.coalesce(func.sum(images.c.n), 0),
            )
            .outerjoin(images, images.c.record_id == Record.id)
            .group_by(Record.collection_id, Record.library_id, Record.status, month, contributor),
        )
    )


def month_of(column: ColumnElement) -> ColumnElement[str]:
    """``YYYY-MM`` of a timestamp column in UTC, in the database's own dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _month(value: datetime | None) -> str:
    """The month a record counts in: when it was created, in UTC."""
    return (value or utcnow()).astimezone(UTC).strftime("%Y-%m")


def _value(state, name: str, *, before: bool):
    # One attribute's history; ``state.attrs`` would build the states of all of them.
    history = state.get_history(name, PASSIVE_NO_INITIALIZE)
    values = (history.deleted if before else history.added) or history.unchanged
    if values:
        return values[0]
    if name == "status" and not before:  # a new record whose status was left to the default
        return RecordStatus.DRAFT
    return state.dict.get(name, state.committed_state.get(name))


def _key(state, *, before: bool) -> Key | None:
    collection_id = _value(state, "collection_id", before=before)
    library_id = _value(state, "library_id", before=before)
    status = _value(state, "status", before=before)
    if collection_id is None or library_id is None or status is None:
        return None
    month = _month(state.dict.get("created_at"))
    contributor = _value(state, "created_by_id", before=before) or 0
    return collection_id, library_id, RecordStatus(status).value, month, contributor


def _row_key(row) -> Key:
    return (
        row.collection_id,
        row.library_id,
        RecordStatus(row.status).value,
        _month(row.created_at),
        row.created_by_id or 0,
    )


class _Delta:
    """Records and images to add to (or take from) each key."""

    def __init__(self) -> None:
        self.records: Counter[Key] = Counter()
        self.images: Counter[Key] = Counter()

    def add(self, key: Key | None, records: int = 0, images: int = 0) -> None:
        if key is not None:
            self.records[key] += records
            self.images[key] += images

    def changes(self) -> list[tuple[Key, int, int]]:
        keys = sorted(set(self.records) | set(self.images))  # one lock order for all
        found = [(key, self.records[key], self.images[key]) for key in keys]
        return [(key, records, images) for key, records, images in found if records or images]


def _changes(session: Session, connection) -> _Delta:
    delta = _Delta()
    # Records this flush inserted, deleted or moved to another key: (before, after) keys.
    moved: dict[int, tuple[Key | None, Key | None]] = {}
    for record in _of(session.new, Record):
        moved[record.id] = (None, _key(inspect(record), before=False))
    for record in _of(session.deleted, Record):
        moved[record.id] = (_key(inspect(record), before=True), None)
    changed: set[int] = set()
    for record in _of(session.dirty, Record):
        state = inspect(record)
        if not any(state.get_history(n, PASSIVE_NO_INITIALIZE).has_changes() for n in _KEY_COLUMNS):
            continue
        before, after = _key(state, before=True), _key(state, before=False)
        if before != after:
            moved[record.id] = (before, after)
            changed.add(record.id)
    for before, after in moved.values():
        delta.add(before, records=-1)
        delta.add(after, records=1)
    # Images: +1/-1 on the record each asset joins or leaves in this flush.
    old_records = session.info.get(_ASSET_RECORDS, {})
    images: Counter[int] = Counter()
    for asset in _of(session.new, Asset):
        images[asset.record_id] += 1
    for asset in _of(session.deleted, Asset):
        images[old_records.get(id(asset), asset.record_id)] -= 1
    for asset in _of(session.dirty, Asset):
        old = old_records.get(id(asset), asset.record_id)
        if old != asset.record_id:
            images[old] -= 1
            images[asset.record_id] += 1
    # A record that changed key takes all its images along: those it had, those it has.
    if changed:
        now = dict(
            connection.execute(
                select(Asset.record_id, func.count())
                .where(Asset.record_id.in_(changed))
                .group_by(Asset.record_id)
            ).all()
        )
        for record_id in changed:
            before, after = moved[record_id]
            delta.add(before, images=-(now.get(record_id, 0) - images.pop(record_id, 0)))
            delta.add(after, images=now.get(record_id, 0))
    keys = {record_id: after or before for record_id, (before, after) in moved.items()}
    unknown = [r for r, n in images.items() if n and r is not None and r not in keys]
    if unknown:
        rows = connection.execute(
            select(
                Record.id,
                Record.collection_id,
                Record.library_id,
                Record.status,
                Record.created_at,
                Record.created_by_id,
            ).where(Record.id.in_(unknown))
        )
        keys.update((row.id, _row_key(row)) for row in rows)
    for record_id, n in images.items():
        if n:
            delta.add(keys.get(record_id), images=n)
    return delta


def _of(objects: Iterable[object], kind: type[T]) -> Iterable[T]:
    return (obj for obj in objects if isinstance(obj, kind))


def _keep_old_value(_record, value, _old, _initiator):
    return value


# The value a record had is needed to know which count it leaves: load it, if expired, when
# a new one is set (``active_history``), and before a record is deleted.
for _name in _KEY_COLUMNS:
    event.listen(getattr(Record, _name), "set", _keep_old_value, active_history=True, retval=True)


@event.listens_for(Session, "before_flush")
def _load_keys(session: Session, _context, _instances) -> None:
    """Load what the counts need while loading is still safe: keys of records leaving or
    changing, and the record each asset leaves (the flush rewrites ``record_id``)."""
    for record in [*_of(session.deleted, Record), *_of(session.dirty, Record)]:
        for name in (*_KEY_COLUMNS, "created_at"):
            getattr(record, name)
    old_records = session.info.setdefault(_ASSET_RECORDS, {})
    for asset in [*_of(session.deleted, Asset), *_of(session.dirty, Asset)]:
        if inspect(asset).persistent or inspect(asset).deleted:
            old_records[id(asset)] = asset.record_id


@event.listens_for(Session, "after_flush")
def _apply_changes(session: Session, _context) -> None:
    # After the flush the foreign keys of new records are set, while new/dirty/deleted and
    # the attribute histories still describe what this flush changed.
    connection = session.connection()
    try:
        changes = _changes(session, connection).changes()
    finally:
        session.info.pop(_ASSET_RECORDS, None)
    if not changes:
        return
    upsert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(connection.dialect.name)
    if upsert is None:  # pragma: no cover - Huiku runs on PostgreSQL or SQLite
        raise RuntimeError(f"record counts: no upsert for {connection.dialect.name}")
    table = RecordCount.__table__
    for (collection_id, library_id, status, month, contributor), records, images in changes:
        statement = upsert(table).values(
            collection_id=collection_id,
            library_id=library_id,
            status=status,
            month=month,
            contributor_id=contributor,
            records=records,
            images=images,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(_COUNT_KEY),
                set_={
                    "records": table.c.records + statement.excluded.records,
                    "images": table.c.images + statement.excluded.images,
                },
            )
        )
