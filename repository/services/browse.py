"""What the public sees: published records of published collections."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.elements import ColumnElement

from repository import permissions
from repository.errors import BadInput, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Record, RecordStatus, User
from repository.services import record_counts


@dataclass(frozen=True)
class Page:
    items: list[Record]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_cursor(self) -> str | None:
        """``before``: the page back ends just before this page's first record."""
        return cursor_of(self.items[0]) if self.items and self.has_previous else None

    @property
    def next_cursor(self) -> str | None:
        """``after``: the next page starts just after this page's last record."""
        return cursor_of(self.items[-1]) if self.items and self.has_next else None


BAD_CURSOR = Message("the {name} cursor {value!r} is not one this site made; follow the page links")


def cursor_of(record: Record) -> str:
    """A record's place in title order, for the next or previous page's link."""
    raw = json.dumps([record.title_sort, record.id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key_of(name: str, value: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        title_sort, record_id = json.loads(raw)
        if isinstance(title_sort, str) and type(record_id) is int:
            return title_sort, record_id
    except (ValueError, TypeError):
        pass
    raise BadInput(BAD_CURSOR.format(name=name, value=value[:40]))


def public_records(
    collection: Collection,
    page: int,
    size: int,
    *,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """One page of a collection's published records, in pinyin order of their titles.

    Pages are numbered and any number can be asked for (read off the index from the nearer
    end). The pager's links also carry the key of the record next to the page (``after`` /
    ``before``); then the page is read from that key on, at the same cost wherever it is.
    """
    where = (Record.collection_id == collection.id, Record.status == RecordStatus.PUBLISHED)
    total = record_counts.published_count(collection.id)
    page = min(max(page, 1), max(1, -(-total // size)))
    ids: list[int] = []
    if after or before:
        ids = _ids_from_key(where, size, after=after, before=before)
    if not ids:
        ids = page_ids(Record.id, where, (page - 1) * size, size, total)
    # The page shows each record's first image and library: loaded with it, not one by one.
    found = select(Record).where(Record.id.in_(ids))
    found = found.options(selectinload(Record.assets), joinedload(Record.library))
    records = {r.id: r for r in db.session.scalars(found)}
    return Page([records[i] for i in ids if i in records], page, size, total)


def _ids_from_key(
    where: tuple[ColumnElement[bool], ...], size: int, *, after: str | None, before: str | None
) -> list[int]:
    order = tuple_(Record.title_sort, Record.id)
    if after:
        key = tuple_(*_key_of("after", after))
        query = select(Record.id).where(*where, order > key)
        return list(db.session.scalars(query.order_by(Record.title_sort, Record.id).limit(size)))
    key = tuple_(*_key_of("before", before or ""))
    query = select(Record.id).where(*where, order < key)
    query = query.order_by(Record.title_sort.desc(), Record.id.desc()).limit(size)
    return list(reversed(db.session.scalars(query).all()))


def page_ids(
    column: ColumnElement,
    where: tuple[ColumnElement[bool], ...],
    offset: int,
    limit: int,
    total: int,
    select_from: Select | None = None,
) -> list:
    """The ids (``column``) of one page of records in title order, read off the index.

    Pages are addressed by number (their URLs are published), so they are found by offset. The
    offset is counted from whichever end is nearer, the index being as easily read backwards,
    and only ids are read while skipping, so the database skips index entries, not rows: the
    last page costs what the first does, the middle one half a walk over the index.
    """
    query, backwards = page_query(column, where, offset, limit, total, select_from)
    rows = db.session.scalars(query).all()
    return list(reversed(rows)) if backwards else list(rows)


def page_query(
    column: ColumnElement,
    where: tuple[ColumnElement[bool], ...],
    offset: int,
    limit: int,
    total: int,
    select_from: Select | None = None,
) -> tuple[Select, bool]:
    """The query ``page_ids`` runs, for use as a subquery; True if it reads backwards."""
    query = select_from if select_from is not None else select(column)
    query = query.where(*where)
    from_end = total - offset - limit
    if from_end < offset and total > 0:
        query = (
            query.order_by(Record.title_sort.desc(), Record.id.desc())
            .offset(max(from_end, 0))
            .limit(limit + min(from_end, 0))
        )
        return query, True
    return query.order_by(Record.title_sort, Record.id).offset(offset).limit(limit), False


def visible_record(public_id: str, user: User | None) -> Record:
    """The record if this reader may see it; otherwise 404, so private records stay unknown."""
    record = db.session.scalar(select(Record).where(Record.public_id == public_id))
    if record is None or not (record.is_public or permissions.can_view_private(user, record)):
        raise NotFound(Message("no record {id}").format(id=public_id))
    return record


def collection_cover(collection: Collection) -> Record | None:
    """The first published record with an image, to show on the home page."""
    return db.session.scalar(
        select(Record)
        .where(
            Record.collection_id == collection.id,
            Record.status == RecordStatus.PUBLISHED,
            Record.assets.any(),
        )
        .order_by(Record.title_sort)
        .limit(1)
    )
