"""API tokens: a library's keys to the JSON API.

A token is shown once, when it is made; only its SHA-256 is stored, so a leaked database does
not leak working keys. Tokens belong to a user and act with that user's role and library.
Administrators make and revoke them for the accounts of their own library; alliance
administrators for every library. Each is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from repository import permissions
from repository.errors import Conflict, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import ApiToken, Library, User
from repository.models.base import utcnow
from repository.services import audit
from repository.transactions import unit_of_work

#: Prefix of every token, so a key pasted somewhere it should not be is easy to recognise.
TOKEN_PREFIX = "huiku_"
MAX_NAME_LENGTH = 100
#: ``last_used_at`` is written at most this often per token, so a busy client does not turn
#: every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def can_manage_tokens(admin: User, owner: User) -> bool:
    """An active administrator manages the tokens of their own library's accounts; an alliance
    administrator, those of every library."""
    return permissions.can_administer(admin, owner.library)


def create_token(admin: User, owner: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the stored row and the secret, which is never kept."""
    if not can_manage_tokens(admin, owner):
        raise PermissionDenied(
            Message("only an administrator of the same library may create API tokens")
        )
    if not owner.is_active:
        raise Conflict(Message("{email} is not an active account").format(email=owner.email))
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Conflict(
            Message(
                "give the token a name of 1–{n} characters, e.g. the system that will use it"
            ).format(n=MAX_NAME_LENGTH)
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work():
        token = ApiToken(user=owner, name=name, token_hash=hash_token(secret))
        db.session.add(token)
        db.session.flush()
        audit.record(
            admin, "token.create", token, library=owner.library, after={"owner": owner.email}
        )
    return token, secret


def revoke_token(admin: User, token_id: int) -> ApiToken:
    """Stop a token working at once; revoking twice changes nothing."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_manage_tokens(admin, token.user):
        # Another library's tokens are not even acknowledged.
        raise NotFound(Message("no API token {id}").format(id=token_id))
    if token.revoked_at is None:
        with unit_of_work():
            token.revoked_at = utcnow()
            audit.record(
                admin,
                "token.revoke",
                token,
                library=token.user.library,
                before={"owner": token.user.email},
            )
    return token


def library_tokens(admin: User) -> list[ApiToken]:
    """Every token of the admin's library, newest first, revoked ones included (for audit)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .join(ApiToken.user)
            .where(User.library_id == admin.library_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def tokens_for(admin: User, library: Library | None = None) -> list[ApiToken]:
    """The tokens an administrator oversees, newest first: of one library, or of all of them
    for an alliance administrator."""
    query = select(ApiToken).join(ApiToken.user).join(User.library)
    if not permissions.can_administer_alliance(admin):
        query = query.where(User.library_id == admin.library_id)
    if library is not None:
        query = query.where(User.library_id == library.id)
    return list(db.session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def library_accounts(admin: User) -> list[User]:
    """The accounts a token may be made for: the admin's library's active users."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.library_id == admin.library_id, User.active)
            .order_by(User.email)
        )
    )


def authenticate_token(secret: str) -> User | None:
    """The active user a presented token stands for, or None (unknown, revoked, inactive)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        with unit_of_work():
            token.last_used_at = now
    return token.user
