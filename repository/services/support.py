"""Paired support (结对扶持): an alliance administrator lets a helper library's staff work on
behalf of a partner library, within chosen collections, until a set time.

Whether a grant is in force is decided in ``repository.permissions`` (``acting_for``), the one
place every page, the API and the command line ask. Granting and revoking are audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from repository import permissions
from repository.errors import NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Library, User
from repository.models.accounts import SupportGrant
from repository.models.base import utcnow
from repository.services import audit
from repository.services.accounts import InvalidField, clean_text
from repository.transactions import unit_of_work

#: The longest a grant may run: a year, after which the alliance decides again.
LONGEST = timedelta(days=366)
NOTE = Message("the note")


def _summary(grant: SupportGrant) -> dict:
    return {
        "helper": grant.helper_library.code,
        "partner": grant.partner_library.code,
        "collections": sorted(c.slug for c in grant.collections),
        "expires_at": grant.expires_at.isoformat(timespec="minutes"),
    }


def grant_support(
    actor: User,
    helper: Library,
    partner: Library,
    collections: list[Collection],
    expires_at: datetime,
    note: str = "",
) -> SupportGrant:
    """A new grant, in force from now until ``expires_at``."""
    if not permissions.can_administer_alliance(actor):
        raise PermissionDenied(Message("only alliance administrators grant paired support"))
    if helper.id == partner.id:
        raise InvalidField("partner", Message("a library cannot support itself"))
    if not helper.active or not partner.active:
        raise InvalidField("helper", Message("both libraries must be active"))
    if not collections:
        raise InvalidField(
            "collections",
            Message("choose at least one collection"),
        )
    now = utcnow()
    if not now < expires_at <= now + LONGEST:
        raise InvalidField(
            "expires_at",
            Message("the end must be after now and within a year"),
        )
    note = clean_text("note", note, 500, NOTE)
    with unit_of_work():
        grant = SupportGrant(
            helper_library=helper,
            partner_library=partner,
            collections=list(collections),
            starts_at=now,
            expires_at=expires_at,
            note=note,
            created_by_id=actor.id,
        )
        db.session.add(grant)
        db.session.flush()
        audit.record(
            actor, "support.grant", grant, library=partner, acting_for=None, after=_summary(grant)
        )
    return grant


def revoke_support(actor: User, grant_id: int) -> SupportGrant:
    """End a grant now; its helpers stop at their next request. Revoking twice changes nothing."""
    grant = db.session.get(SupportGrant, grant_id)
    if grant is None or not permissions.can_administer_alliance(actor):
        raise NotFound(Message("no grant {id}").format(id=grant_id))
    if grant.revoked_at is None:
        with unit_of_work():
            grant.revoked_at = utcnow()
            audit.record(
                actor,
                "support.revoke",
                grant,
                library=grant.partner_library,
                before=_summary(grant),
            )
    return grant


def grants(actor: User) -> list[SupportGrant]:
    """Grants the actor may see, newest first: all for the alliance, else their library's."""
    query = select(SupportGrant).order_by(SupportGrant.created_at.desc(), SupportGrant.id.desc())
    if not permissions.can_administer_alliance(actor):
        own = actor.library_id
        query = query.where(
            (SupportGrant.helper_library_id == own) | (SupportGrant.partner_library_id == own)
        )
    return list(db.session.scalars(query))
