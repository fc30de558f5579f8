"""What the public sees: published records of published collections."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.sql.elements import ColumnElement

from repository import permissions
from repository.errors import NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Record, RecordStatus, User
from repository.services import stats


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


def public_records(collection: Collection, page: int, size: int) -> Page:
    """One page of a collection's published records, in pinyin order of their titles."""
    where = (Record.collection_id == collection.id, Record.status == RecordStatus.PUBLISHED)
    total = stats.published_count(collection.id)
    page = min(max(page, 1), max(1, -(-total // size)))
    ids = page_ids(Record.id, where, (page - 1) * size, size, total)
    records = {r.id: r for r in db.session.scalars(select(Record).where(Record.id.in_(ids)))}
    return Page([records[i] for i in ids if i in records], page, size, total)


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
    query = select_from if select_from is not None else select(column)
    query = query.where(*where)
    from_end = total - offset - limit
    if from_end < offset and total > 0:
        rows = db.session.scalars(
            query.order_by(Record.title_sort.desc(), Record.id.desc())
            .offset(max(from_end, 0))
            .limit(limit + min(from_end, 0))
        ).all()
        return list(reversed(rows))
    return list(
        db.session.scalars(
            query.order_by(Record.title_sort, Record.id).offset(offset).limit(limit)
        ).all()
    )


def visible_record(public_id: str, user: User | None) -> Record:
    """The record if this reader may see it; otherwise 404, so private records stay unknown."""
    record = db.session.scalar(select(Record).where(Record.public_id == public_id))
    if record is None or not (record.is_public or permissions.can_view_private(user, record)):
        raise NotFound(Message("no record {id}", "没有编号为 {id} 的记录").format(id=public_id))
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
