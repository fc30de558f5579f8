"""Who may do what. One place, so the web forms, the JSON API and the CLI agree."""

from __future__ import annotations

from sqlalchemy import Select, select

from repository.extensions import db
from repository.models import Collection, Library, Record, RecordStatus, User, UserRole
from repository.models.accounts import SupportGrant, support_grant_collections
from repository.models.base import utcnow

EDITABLE_STATUSES = frozenset({RecordStatus.DRAFT, RecordStatus.PUBLISHED})


def can_contribute(user: User, collection: Collection) -> bool:
    """Every active member library may contribute to every collection of the alliance."""
    return user.is_active and (collection.published or user.is_admin)


def is_own_library(user: User, record: Record) -> bool:
    return user.library_id == record.library_id


def can_edit(user: User, record: Record) -> bool:
    """A library edits only its own records: drafts (and returned ones), and published corrections;
    a helper library with paired support in force edits its partner's, in the granted collections.

    Submitted records are frozen while a reviewer looks at them.
    """
    if not user.is_active:
        return False
    if user.is_admin:
        return record.status is not RecordStatus.WITHDRAWN
    if record.status not in EDITABLE_STATUSES:
        return False
    return is_own_library(user, record) or can_work_for(user, record.library, record.collection)


def can_review(user: User, collection: Collection) -> bool:
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    return user.role == UserRole.REVIEWER and collection in user.reviewed_collections


def can_delete(user: User, record: Record) -> bool:
    """Never-published drafts may be deleted by their library; public records are withdrawn."""
    if user.is_admin:
        return True
    return (
        can_edit(user, record)
        and record.status is RecordStatus.DRAFT
        and record.published_at is None
    )


def can_view_private(user: User | None, record: Record) -> bool:
    """Drafts and submissions are seen by their library, the collection's reviewers and admins."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return (
        is_own_library(user, record)
        or can_review(user, record.collection)
        or acting_for(user, record.library, record.collection) is not None
    )


def can_administer_alliance(user: User | None) -> bool:
    """Alliance administrators manage every library, collection and account."""
    return user is not None and user.is_active and user.is_alliance_admin


def can_administer(user: User | None, library: Library | None) -> bool:
    """A library administrator manages their own library; an alliance administrator, all."""
    if user is None or not user.is_active or not user.is_admin or library is None:
        return False
    return user.is_alliance_admin or user.library_id == library.id


def can_edit_collection(user: User | None, collection: Collection) -> bool:
    """A collection's description and rights belong to its coordinating library's admins."""
    return can_administer_alliance(user) or (
        collection.coordinating_library is not None
        and can_administer(user, collection.coordinating_library)
    )


def _grants_in_force(user: User) -> Select:
    """``(partner library id, collection id)`` of the grants from the user's library in force
    now: begun, not expired, not revoked. The one statement of when a grant counts."""
    now = utcnow()
    return (
        select(SupportGrant.partner_library_id, support_grant_collections.c.collection_id)
        .join(support_grant_collections)
        .where(
            SupportGrant.helper_library_id == user.library_id,
            SupportGrant.revoked_at.is_(None),
            SupportGrant.starts_at <= now,
            SupportGrant.expires_at > now,
        )
    )


def acting_for(user: User | None, partner: Library, collection: Collection) -> Library | None:
    """The partner library when ``user`` may work for it in ``collection`` under paired support
    (结对扶持) now: a grant from the user's library, for that collection, begun, not expired and
    not revoked. None otherwise, also for the user's own library, which needs no grant."""
    if user is None or not user.is_active or user.library_id == partner.id:
        return None
    grant = db.session.scalar(
        _grants_in_force(user)
        .where(
            SupportGrant.partner_library_id == partner.id,
            support_grant_collections.c.collection_id == collection.id,
        )
        .limit(1)
    )
    return partner if grant is not None else None


def supported_pairs(user: User) -> Select | None:
    """``(partner library id, collection id)`` of every grant in force from the user's library,
    or None when there is none (one cheap look-up, so lists without grants stay as fast)."""
    pairs = _grants_in_force(user)
    if db.session.scalar(pairs.limit(1)) is None:
        return None
    return pairs


def owners_for(user: User | None, collection: Collection) -> list[Library]:
    """The libraries whose new records ``user`` may make in ``collection``: their own first, then
    each partner their library supports there now (by code)."""
    if user is None or not user.is_active or user.library is None:
        return []
    partners = db.session.scalars(
        select(Library)
        .where(
            Library.id.in_(
                _grants_in_force(user)
                .where(support_grant_collections.c.collection_id == collection.id)
                .with_only_columns(SupportGrant.partner_library_id)
            ),
            Library.active,
        )
        .order_by(Library.code)
    )
    return [user.library, *(p for p in partners if p.id != user.library_id)]


def can_work_for(user: User | None, library: Library, collection: Collection) -> bool:
    """Whether ``user`` may make and edit ``library``'s records in ``collection``: staff of that
    library, or of a helper library with paired support in force for that collection."""
    if user is None or not user.is_active:
        return False
    return user.library_id == library.id or acting_for(user, library, collection) is not None
