"""In-app notifications: who is told what, the unread count in the header, the list page.

Services call ``notify`` inside their own unit of work, so a notification exists exactly when
what it reports was committed. Jobs of every kind (imports, exports, bulk actions) tell their
owner when they finish through one flush hook here, so no package has to remember to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from repository.extensions import db
from repository.messages import Message
from repository.models import (
    Collection,
    ExportJob,
    IngestJob,
    JobState,
    User,
    UserRole,
    collection_reviewers,
)
from repository.models.base import utcnow
from repository.models.notifications import Notification
from repository.models.workflow import BulkActionJob

PAGE_SIZE = 50


def notify(user_ids: Iterable[int | None], kind: str, text: Message, link: str = "") -> int:
    """One notification for each user (each once); returns how many were written."""
    written = 0
    for user_id in dict.fromkeys(u for u in user_ids if u is not None):
        db.session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                text_en=str.__str__(text)[:500],
                text_zh=text.zh[:500],
                message=text.to_json(),
                link=link[:500],
            )
        )
        written += 1
    return written


def reviewers_of(collection_id: int) -> list[int]:
    """The active reviewers of a collection (admins are not told of everything)."""
    return list(
        db.session.scalars(
            select(User.id)
            .join(collection_reviewers, collection_reviewers.c.user_id == User.id)
            .where(
                collection_reviewers.c.collection_id == collection_id,
                User.active,
                User.role == UserRole.REVIEWER,
            )
        )
    )


def notify_reviewers(collection: Collection, kind: str, text: Message, link: str = "") -> int:
    return notify(reviewers_of(collection.id), kind, text, link)


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def latest(user: User, before_id: int | None = None, size: int = PAGE_SIZE) -> list[Notification]:
    """A page of the user's notifications, newest first (keyset on the id)."""
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(size)))


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


# --- finished jobs ------------------------------------------------------------------------

_JOB_TEXT = {
    IngestJob: (
        Message("Import {id} finished: {state}"),
        "/imports/{id}",
    ),
    ExportJob: (
        Message("Export {id} finished: {state}"),
        "/exports/{id}",
    ),
    BulkActionJob: (
        Message("Bulk action {id} finished: {state}"),
        "/workspace/bulk/{id}",
    ),
}
_STATE_TEXT = {
    JobState.SUCCEEDED: Message("done"),
    JobState.FAILED: Message("failed"),
    JobState.CANCELLED: Message("cancelled"),
}


@event.listens_for(Session, "before_flush")
def _tell_owners_of_finished_jobs(session: Session, _context, _instances) -> None:
    """A job whose state just became final tells its owner, in the flush that finishes it."""
    for job in list(session.dirty):
        found = _JOB_TEXT.get(type(job))
        if found is None or job.state not in _STATE_TEXT:
            continue
        history = inspect(job).attrs.state.history
        if not history.added or history.added[0] not in _STATE_TEXT:
            continue
        tell_owner_of_finished_job(job, session)


def tell_owner_of_finished_job(job: Any, session: Session | None = None) -> None:
    """For a job ended by a guarded UPDATE, which the flush hook above does not see."""
    found = _JOB_TEXT.get(type(job))
    if found is None or job.state not in _STATE_TEXT:
        return
    if getattr(job, "dry_run", False) or job.user_id is None:
        return
    text, link = found
    message = text.format(id=job.public_id, state=_STATE_TEXT[job.state])
    (session or db.session).add(
        Notification(
            user_id=job.user_id,
            kind="job",
            text_en=str.__str__(message),
            text_zh=message.zh,
            message=message.to_json(),
            link=link.format(id=job.public_id),
        )
    )
