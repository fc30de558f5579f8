"""What the public sees: published records of published collections."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from repository import permissions
from repository.errors import NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Record, RecordStatus, User


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
    total = db.session.scalar(select(func.count(Record.id)).where(*where)) or 0
    page = min(max(page, 1), max(1, -(-total // size)))
    items = db.session.scalars(
        select(Record)
        .where(*where)
        .order_by(Record.title_sort, Record.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(list(items), page, size, total)


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
