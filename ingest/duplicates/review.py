"""What a reviewer sees: the open pairs of their collections, and two records side by side."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, func, select
from sqlalchemy.orm import aliased, selectinload

from ingest.duplicates.decisions import get_candidate
from ingest.duplicates.flagging import REVIEWABLE_STATUSES
from repository import permissions
from repository.errors import NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import DuplicateCandidate, DuplicateState, Record, User, UserRole
from repository.profiles import Field
from repository.services.browse import Page


def _waiting(user: User):
    """Open pairs whose records are both under review or public, in collections the user reviews."""
    low, high = aliased(Record), aliased(Record)
    query = (
        select(DuplicateCandidate)
        .join(low, low.id == DuplicateCandidate.record_low_id)
        .join(high, high.id == DuplicateCandidate.record_high_id)
        .where(
            DuplicateCandidate.state == DuplicateState.OPEN,
            low.status.in_(REVIEWABLE_STATUSES),
            high.status.in_(REVIEWABLE_STATUSES),
        )
    )
    if not user.is_active or user.role not in (UserRole.REVIEWER, UserRole.ADMIN):
        return query.where(false())
    if not user.is_admin:
        reviewed = [collection.id for collection in user.reviewed_collections]
        query = query.where(DuplicateCandidate.collection_id.in_(reviewed))
    return query


def waiting_count(user: User) -> int:
    query = _waiting(user).with_only_columns(func.count(DuplicateCandidate.id))
    return db.session.scalar(query) or 0


def waiting_pairs(user: User, page: int = 1, size: int = 50) -> Page:
    total = waiting_count(user)
    page = min(max(page, 1), max(1, -(-total // size)))
    items = db.session.scalars(
        _waiting(user)
        .options(
            selectinload(DuplicateCandidate.record_low).selectinload(Record.library),
            selectinload(DuplicateCandidate.record_high).selectinload(Record.library),
            selectinload(DuplicateCandidate.collection),
        )
        .order_by(DuplicateCandidate.updated_at.desc(), DuplicateCandidate.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page(list(items), page, size, total)


def candidate_for(user: User, candidate_id: int) -> DuplicateCandidate:
    """The pair, if this user reviews its collection; otherwise 404, as if it did not exist."""
    candidate = get_candidate(candidate_id)
    if not permissions.can_review(user, candidate.collection):
        raise NotFound(Message("no pair of possible duplicates {id}").format(id=candidate_id))
    return candidate


@dataclass(frozen=True)
class ComparedField:
    field: Field
    left: list[str]
    right: list[str]

    @property
    def same(self) -> bool:
        return self.left == self.right


def compare_fields(candidate: DuplicateCandidate, locale: str) -> list[ComparedField]:
    """Every field that either record fills, in the profile's order, with both records' values."""
    profile = candidate.collection.profile
    left = dict(profile.display_items(candidate.record_low.metadata_, locale))
    right = dict(profile.display_items(candidate.record_high.metadata_, locale))
    return [
        ComparedField(field, left.get(field, []), right.get(field, []))
        for field in profile.metadata_fields
        if field in left or field in right
    ]
