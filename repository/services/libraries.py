"""Member libraries as the public sees them: who they are, what they contributed.

Counts come from the kept ``record_count`` rows (``repository.services.record_counts``), never from
counting records.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from repository.errors import NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Library, RecordStatus, User
from repository.models.records import RecordCount


@dataclass(frozen=True)
class Contribution:
    collection: Collection
    records: int
    images: int


def public_library(code: str) -> Library:
    library = db.session.scalar(select(Library).where(Library.code == code))
    if library is None or not library.active:
        raise NotFound(Message("no library {code}").format(code=code))
    return library


def member_libraries() -> list[tuple[Library, int]]:
    """Active libraries, each with its published records in published collections."""
    counts = dict(
        db.session.execute(
            select(RecordCount.library_id, func.sum(RecordCount.records))
            .join(Collection, Collection.id == RecordCount.collection_id)
            .where(Collection.published, RecordCount.status == RecordStatus.PUBLISHED.value)
            .group_by(RecordCount.library_id)
        ).all()
    )
    libraries = db.session.scalars(select(Library).where(Library.active).order_by(Library.code))
    return [(library, int(counts.get(library.id) or 0)) for library in libraries]


def contributions(library: Library) -> list[Contribution]:
    """The published collections this library has published records in, largest first."""
    rows = db.session.execute(
        select(Collection, func.sum(RecordCount.records), func.sum(RecordCount.images))
        .join(RecordCount, RecordCount.collection_id == Collection.id)
        .where(
            Collection.published,
            RecordCount.library_id == library.id,
            RecordCount.status == RecordStatus.PUBLISHED.value,
        )
        .group_by(Collection.id)
    ).all()
    found = [Contribution(c, int(n or 0), int(i or 0)) for c, n, i in rows if n]
    return sorted(found, key=lambda c: (-c.records, c.collection.slug))


def coordinated(library: Library) -> list[Collection]:
    return list(
        db.session.scalars(
            select(Collection)
            .where(Collection.published, Collection.coordinating_library_id == library.id)
            .order_by(Collection.slug)
        )
    )


def is_member(user: User | None, library: Library) -> bool:
    """Members of a library (and alliance administrators) see its private statistics."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.library_id == library.id or user.is_alliance_admin


def require_member(user: User | None, library: Library) -> None:
    if not is_member(user, library):
        raise PermissionDenied(
            Message("only members of {library} see its drafts and contributors").format(
                library=Message.pair(library.name("en"), library.name("zh"))
            )
        )
