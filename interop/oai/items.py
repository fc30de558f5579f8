"""The items a harvester sees: published records, and the deletions their tombstones report.

An item is identified by the record's public id. Its datestamp is when its public version last
changed: ``Record.updated_at`` for a published record (every save of a public record, its
publication and a merge into it set it) and ``Tombstone.created_at`` for a record that was
withdrawn, deleted or merged away. A public id is either public or gone, never both: a
tombstone counts only while no public record has that id, and only its latest one.

Lists are ordered by (datestamp, public id) and paged by that key, so one page costs one
indexed range query, however deep into the list it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, contains_eager

from interop.web import as_utc
from repository.extensions import db
from repository.models import (
    Collection,
    Library,
    Record,
    RecordContributor,
    RecordStatus,
    Tombstone,
    TombstoneCredit,
)

COLLECTION_SET = "collection"
LIBRARY_SET = "library"


@dataclass
class Item:
    public_id: str
    datestamp: datetime
    deleted: bool
    collection_slug: str
    library_code: str
    record_id: int | None = None
    tombstone_id: int | None = None
    credited: list[str] = field(default_factory=list)  # further libraries (merges)
    record: Record | None = None

    @property
    def library_codes(self) -> list[str]:
        """The owning library first, then those credited after merges."""
        return [self.library_code, *(c for c in self.credited if c != self.library_code)]

    @property
    def set_specs(self) -> list[str]:
        return [f"{COLLECTION_SET}:{self.collection_slug}"] + [
            f"{LIBRARY_SET}:{code}" for code in self.library_codes
        ]


@dataclass(frozen=True)
class Selection:
    """What a list asks for: a set, a datestamp range [start, end) and where to continue."""

    set_spec: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    after: tuple[datetime, str] | None = None


def _public_records() -> Select:
    return (
        select(
            Record.updated_at.label("datestamp"),
            Record.public_id.label("public_id"),
            Record.id.label("record_id"),
            literal(False).label("deleted"),
            null().cast(Integer).label("tombstone_id"),
            Collection.slug.label("collection_slug"),
            Library.code.label("library_code"),
        )
        .join(Collection, Collection.id == Record.collection_id)
        .join(Library, Library.id == Record.library_id)
        .where(Record.status == RecordStatus.PUBLISHED, Collection.published)
    )


def _deletions() -> Select:
    newer = aliased(Tombstone)
    gone = aliased(Record)
    still_public = (
        select(Record.id)
        .join(Collection, Collection.id == Record.collection_id)
        .where(
            Record.public_id == Tombstone.record_public_id,
            Record.status == RecordStatus.PUBLISHED,
            Collection.published,
        )
        .exists()
    )
    superseded = (
        select(newer.id)
        .where(newer.record_public_id == Tombstone.record_public_id, newer.id > Tombstone.id)
        .exists()
    )
    return (
        select(
            Tombstone.created_at.label("datestamp"),
            Tombstone.record_public_id.label("public_id"),
            gone.id.label("record_id"),  # still there when withdrawn or merged away
            literal(True).label("deleted"),
            Tombstone.id.label("tombstone_id"),
            Collection.slug.label("collection_slug"),
            Library.code.label("library_code"),
        )
        .join(Collection, Collection.id == Tombstone.collection_id)
        .join(Library, Library.id == Tombstone.library_id)
        .outerjoin(gone, gone.public_id == Tombstone.record_public_id)
        .where(~still_public, ~superseded)
    )


def _credited_records(library_code: str) -> ColumnElement[bool]:
    return Record.id.in_(
        select(RecordContributor.record_id)
        .join(Library, Library.id == RecordContributor.library_id)
        .where(Library.code == library_code)
    )


def _credited_tombstones(library_code: str) -> ColumnElement[bool]:
    """The credits a tombstone kept: a deleted record's own went with its row."""
    return Tombstone.id.in_(
        select(TombstoneCredit.tombstone_id)
        .join(Library, Library.id == TombstoneCredit.library_id)
        .where(Library.code == library_code)
    )


def _in_set(query: Select, set_spec: str, credited: Callable[[str], ColumnElement[bool]]) -> Select:
    kind, _, name = set_spec.partition(":")
    if not name:  # the top sets "collection" and "library" hold every item
        return query
    if kind == COLLECTION_SET:
        return query.where(Collection.slug == name)
    return query.where(or_(Library.code == name, credited(name)))


def _branches(selection: Selection, *, with_cursor: bool) -> list[Select]:
    """The public records and the deletions that the selection asks for, as two queries."""
    branches = []
    for query, datestamp, public_id, credited in (
        (_public_records(), Record.updated_at, Record.public_id, _credited_records),
        (_deletions(), Tombstone.created_at, Tombstone.record_public_id, _credited_tombstones),
    ):
        if selection.set_spec:
            query = _in_set(query, selection.set_spec, credited)
        if selection.start is not None:
            query = query.where(datestamp >= selection.start)
        if selection.end is not None:
            query = query.where(datestamp < selection.end)
        if with_cursor and selection.after is not None:
            last_datestamp, last_id = selection.after
            # (datestamp, id) > (last datestamp, last id), written so that the datestamp
            # index bounds the scan: a plain OR would make every page read from the start.
            query = query.where(
                datestamp >= last_datestamp,
                or_(datestamp > last_datestamp, public_id > last_id),
            )
        branches.append(query.order_by(datestamp, public_id))
    return branches


def count(selection: Selection) -> int:
    items = union_all(
        *(b.order_by(None) for b in _branches(selection, with_cursor=False))
    ).subquery("item")
    return db.session.scalar(select(func.count()).select_from(items)) or 0


def page(selection: Selection, size: int, *, with_records: bool) -> tuple[list[Item], bool]:
    """Up to ``size`` items after the selection's key, and whether more follow.

    Three queries whatever the size: the items, the libraries credited on them and, for
    ``ListRecords``, the records themselves.
    """
    # Each branch stops after a page (an index range scan with the right index), then the two
    # short lists are merged.
    limited = [
        select(branch.limit(size + 1).subquery())
        for branch in _branches(selection, with_cursor=True)
    ]
    items = union_all(*limited).subquery("item")
    rows = db.session.execute(
        select(items).order_by(items.c.datestamp, items.c.public_id).limit(size + 1)
    ).all()
    found = [
        Item(
            public_id=row.public_id,
            datestamp=as_utc(row.datestamp),
            deleted=bool(row.deleted),
            collection_slug=row.collection_slug,
            library_code=row.library_code,
            record_id=row.record_id,
            tombstone_id=row.tombstone_id,
        )
        for row in rows[:size]
    ]
    _attach(found, with_records=with_records)
    return found, len(rows) > size


def find(public_id: str) -> Item | None:
    """The item with this public id, public or deleted, with its record."""
    for query, column in (
        (_public_records(), Record.public_id),
        (_deletions(), Tombstone.record_public_id),
    ):
        row = db.session.execute(query.where(column == public_id)).first()
        if row is not None:
            item = Item(
                public_id=row.public_id,
                datestamp=as_utc(row.datestamp),
                deleted=bool(row.deleted),
                collection_slug=row.collection_slug,
                library_code=row.library_code,
                record_id=row.record_id,
                tombstone_id=row.tombstone_id,
            )
            _attach([item], with_records=True)
            return item
    return None


def earliest_datestamp() -> datetime | None:
    firsts = [
        db.session.scalar(branch.with_only_columns(column).limit(1))
        for branch, column in zip(
            _branches(Selection(), with_cursor=False),
            (Record.updated_at, Tombstone.created_at),
            strict=True,
        )
    ]
    values = [as_utc(value) for value in firsts if value is not None]
    return min(values) if values else None


def _attach(items: Sequence[Item], *, with_records: bool) -> None:
    _attach_tombstone_credits([item for item in items if item.tombstone_id is not None])
    ids = [item.record_id for item in items if item.record_id is not None]
    if not ids:
        return
    credited: dict[int, list[str]] = defaultdict(list)
    for record_id, code in db.session.execute(
        select(RecordContributor.record_id, Library.code)
        .join(Library, Library.id == RecordContributor.library_id)
        .where(RecordContributor.record_id.in_(ids))
        .order_by(RecordContributor.record_id, Library.code)
    ):
        credited[record_id].append(code)
    records: dict[int, Record] = {}
    wanted = [item.record_id for item in items if item.record_id is not None and not item.deleted]
    if with_records and wanted:
        loaded = db.session.scalars(
            select(Record)
            .join(Record.collection)
            .join(Record.library)
            .options(contains_eager(Record.collection), contains_eager(Record.library))
            .where(Record.id.in_(wanted))
        )
        records = {record.id: record for record in loaded}
    for item in items:
        if item.record_id is not None:
            if item.tombstone_id is None:
                item.credited = credited.get(item.record_id, [])
            item.record = records.get(item.record_id)


def _attach_tombstone_credits(deletions: Sequence[Item]) -> None:
    """A deletion is in the sets of the libraries credited when the record left."""
    if not deletions:
        return
    credited: dict[int, list[str]] = defaultdict(list)
    for tombstone_id, code in db.session.execute(
        select(TombstoneCredit.tombstone_id, Library.code)
        .join(Library, Library.id == TombstoneCredit.library_id)
        .where(TombstoneCredit.tombstone_id.in_([item.tombstone_id for item in deletions]))
        .order_by(TombstoneCredit.tombstone_id, Library.code)
    ):
        credited[tombstone_id].append(code)
    for item in deletions:
        item.credited = credited.get(item.tombstone_id, [])
