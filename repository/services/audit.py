"""The audit log: services write an entry in the same transaction as the change it describes.

So an entry exists exactly when its change was committed, whichever page, command or API made
it. Library administrators read their own library's entries; alliance administrators read all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from repository.extensions import db
from repository.models import Collection, Library, User
from repository.models.audit import AuditEntry

PAGE_SIZE = 50
COMMAND_LINE = "command line"
#: Every action a service writes; the page's filter offers these (no scan of the log for them).
ACTIONS = (
    "collection.create",
    "collection.update",
    "library.create",
    "library.update",
    "record.adopt",
    "source.create",
    "source.delete",
    "source.disable",
    "source.enable",
    "source.update",
    "support.grant",
    "support.revoke",
    "token.create",
    "token.revoke",
    "user.create",
    "user.deactivate",
    "user.invite_link",
    "user.invite_used",
    "user.password_change",
    "user.reset_link",
    "user.reset_used",
    "user.update",
)


def record(
    actor: User | None,
    action: str,
    target: Library | User | Collection | Any,
    *,
    library: Library | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    acting_for: Library | None = None,
) -> AuditEntry:
    """Add an entry to the current transaction; the caller's unit of work commits it."""
    if action not in ACTIONS:
        raise ValueError(f"declare the audit action {action!r} in audit.ACTIONS")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else COMMAND_LINE,
        acting_for_library=acting_for,
        action=action,
        target_type=_target_type(target),
        target_id=getattr(target, "id", None),
        target_label=_target_label(target)[:300],
        library=library,
        before=_changed_only(before, after) if before is not None else None,
        after=_changed_only(after, before) if after is not None else None,
    )
    db.session.add(entry)
    return entry


def _target_type(target: Any) -> str:
    return getattr(target, "__tablename__", type(target).__name__).removesuffix("_account")


def _target_label(target: Any) -> str:
    for attribute in ("email", "code", "slug", "name", "public_id"):
        value = getattr(target, attribute, None)
        if value:
            return str(value)
    return str(getattr(target, "id", ""))


def _changed_only(side: dict[str, Any], other: dict[str, Any] | None) -> dict[str, Any]:
    """Keep only the keys whose values differ, so a summary shows what changed."""
    if other is None:
        return side
    return {key: value for key, value in side.items() if other.get(key) != value}


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def entries(
    viewer: User,
    *,
    actor: str = "",
    action: str = "",
    library: Library | None = None,
    page: int = 1,
) -> AuditPage:
    """A page of entries, newest first, that ``viewer`` may read, filtered as asked."""
    query = select(AuditEntry)
    if not viewer.is_alliance_admin:
        own = viewer.library_id
        query = query.where(
            or_(AuditEntry.library_id == own, AuditEntry.acting_for_library_id == own)
        )
    if library is not None:
        query = query.where(
            or_(
                AuditEntry.library_id == library.id,
                AuditEntry.acting_for_library_id == library.id,
            )
        )
    if actor:
        query = query.where(func.lower(AuditEntry.actor_label).contains(actor.strip().lower()))
    if action:
        query = query.where(AuditEntry.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, page), pages)
    rows = db.session.scalars(
        query.options(selectinload(AuditEntry.library), selectinload(AuditEntry.acting_for_library))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return AuditPage(list(rows), number, pages, total)


def actions() -> list[str]:
    """Every action written so far, for the filter's choices."""
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )
