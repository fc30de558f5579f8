"""What a signed-in user works on: their library's records and the records awaiting their review."""

from __future__ import annotations

from sqlalchemy import select

from repository.extensions import db
from repository.models import Collection, Record, RecordStatus, User


def library_records(
    user: User, status: RecordStatus | None = None, limit: int = 200
) -> list[Record]:
    query = select(Record).where(Record.library_id == user.library_id)
    if status is not None:
        query = query.where(Record.status == status)
    return list(db.session.scalars(query.order_by(Record.updated_at.desc()).limit(limit)))


def review_queue(user: User) -> list[Record]:
    """Submitted records of the collections this user reviews (all of them, for an admin)."""
    query = select(Record).where(Record.status == RecordStatus.SUBMITTED)
    if not user.is_admin:
        reviewed = [collection.id for collection in user.reviewed_collections]
        query = query.where(Record.collection_id.in_(reviewed))
    return list(db.session.scalars(query.order_by(Record.updated_at)))


def contributable_collections(user: User) -> list[Collection]:
    query = select(Collection).order_by(Collection.id)
    if not user.is_admin:
        query = query.where(Collection.published)
    return list(db.session.scalars(query))
