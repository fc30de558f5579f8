"""What administrators do to libraries and accounts, each change audited in its transaction.

A library administrator manages their own library's accounts; an alliance administrator
manages every library. Anything outside the actor's reach answers "not found", so an
administrator learns nothing about another library's accounts by guessing ids.
"""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import func, select, update

from repository import permissions
from repository.errors import NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import ApiToken, Collection, Library, User, UserRole
from repository.models.accounts import OneTimeLink
from repository.models.base import utcnow
from repository.services import audit
from repository.services.accounts import (
    DESCRIPTION_EN,
    DESCRIPTION_ZH,
    NAME,
    NAME_EN,
    NAME_ZH,
    REGION,
    WEBSITE,
    InvalidField,
    check_new_password,
    clean_text,
    library_summary,
    user_summary,
)
from repository.transactions import unit_of_work

LINK_LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(hours=24)}

NOT_ALLOWED = Message("only administrators may do this")


def _require_admin(actor: User) -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(NOT_ALLOWED)


def _require_alliance_admin(actor: User) -> None:
    if not permissions.can_administer_alliance(actor):
        raise PermissionDenied(Message("only alliance administrators may do this"))


# Libraries ------------------------------------------------------------------------------------


def libraries(actor: User) -> list[Library]:
    """The libraries the actor administers: all for the alliance, else their own."""
    _require_admin(actor)
    query = select(Library).order_by(Library.code)
    if not actor.is_alliance_admin:
        query = query.where(Library.id == actor.library_id)
    return list(db.session.scalars(query))


def library_for(actor: User, code: str) -> Library:
    library = db.session.scalar(select(Library).where(Library.code == code.strip().upper()))
    if library is None or not permissions.can_administer(actor, library):
        raise NotFound(Message("no library {code}").format(code=code))
    return library


def update_library(
    actor: User,
    library: Library,
    *,
    name_zh: str,
    name_en: str,
    region: str,
    active: bool,
    website: str | None = None,
    description_zh: str | None = None,
    description_en: str | None = None,
) -> Library:
    """Change a library's names, region and public description (what is not given stays);
    only the alliance (de)activates a library."""
    if not permissions.can_administer(actor, library):
        raise NotFound(Message("no library {code}").format(code=library.code))
    name_zh = clean_text("name_zh", name_zh, 200, NAME_ZH)
    if not name_zh:
        raise InvalidField("name_zh", Message("a library needs a Chinese name"))
    name_en = clean_text("name_en", name_en, 200, NAME_EN)
    region = clean_text("region", region, 100, REGION)
    website = clean_text("website", library.website if website is None else website, 300, WEBSITE)
    if website and not website.startswith(("https://", "http://")):
        raise InvalidField(
            "website",
            Message("the website must start with https:// or http://"),
        )
    descriptions = {
        "description_zh": clean_text(
            "description_zh",
            library.description_zh if description_zh is None else description_zh,
            5000,
            DESCRIPTION_ZH,
        ),
        "description_en": clean_text(
            "description_en",
            library.description_en if description_en is None else description_en,
            5000,
            DESCRIPTION_EN,
        ),
    }
    if active != library.active:
        _require_alliance_admin(actor)
        if not active and library.id == actor.library_id:
            raise InvalidField(
                "active",
                Message("you cannot deactivate your own library"),
            )
    with unit_of_work():
        before = library_summary(library)
        library.name_zh, library.name_en, library.region = name_zh, name_en, region
        library.website = website
        library.description_zh = descriptions["description_zh"]
        library.description_en = descriptions["description_en"]
        library.active = active
        after = library_summary(library)
        if after != before:
            audit.record(
                actor, "library.update", library, library=library, before=before, after=after
            )
    return library


# Accounts -------------------------------------------------------------------------------------


def users_of(actor: User, library: Library) -> list[User]:
    if not permissions.can_administer(actor, library):
        raise NotFound(Message("no library {code}").format(code=library.code))
    return list(
        db.session.scalars(
            select(User)
            .where(User.library_id == library.id)
            .order_by(User.active.desc(), User.email)
        )
    )


def user_for(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not permissions.can_administer(actor, user.library):
        raise NotFound(Message("no account {id}").format(id=user_id))
    return user


def _active_admins(library: Library | None = None, *, alliance: bool = False) -> int:
    query = select(func.count(User.id)).where(User.role == UserRole.ADMIN, User.active)
    if library is not None:
        query = query.where(User.library_id == library.id)
    if alliance:
        query = query.where(User.alliance_admin)
    return db.session.scalar(query) or 0


def update_user(
    actor: User,
    user: User,
    *,
    name: str,
    role: UserRole | str,
    active: bool,
    reviews: list[Collection],
    alliance_admin: bool | None = None,
) -> User:
    """Change an account's name, role, state and reviewed collections.

    The last active administrator of a library, and the last alliance administrator, cannot
    be demoted or deactivated: someone must be left to administer. Deactivating an account
    ends its sessions on every server and revokes its API tokens.
    """
    user = user_for(actor, user.id)
    name = clean_text("name", name, 200, NAME) or user.name
    try:
        role = UserRole(role)
    except ValueError:
        raise InvalidField("role", Message("role {role!r} is unknown").format(role=role)) from None
    if alliance_admin is None:
        alliance_admin = user.alliance_admin
    if alliance_admin != user.alliance_admin:
        _require_alliance_admin(actor)
    alliance_admin = alliance_admin and role == UserRole.ADMIN
    stays_admin = role == UserRole.ADMIN and active
    if user.is_admin and user.active and not stays_admin and _active_admins(user.library) <= 1:
        raise InvalidField(
            "active" if not active else "role",
            Message(
                "{email} is the last active administrator of {code}; make another account "
                "administrator first"
            ).format(email=user.email, code=user.library.code),
        )
    if (
        user.is_alliance_admin
        and user.active
        and not (stays_admin and alliance_admin)
        and _active_admins(alliance=True) <= 1
    ):
        raise InvalidField(
            "active" if not active else "role",
            Message("{email} is the last alliance administrator; make another one first").format(
                email=user.email
            ),
        )
    with unit_of_work():
        before = user_summary(user)
        user.name, user.role, user.alliance_admin = name, role, alliance_admin
        user.reviewed_collections = list(reviews)
        if user.active and not active:
            _end_access(user)
        user.active = active
        after = user_summary(user)
        if after != before:
            action = "user.deactivate" if before["active"] and not active else "user.update"
            audit.record(actor, action, user, library=user.library, before=before, after=after)
    return user


def _end_access(user: User) -> None:
    """Every session of the account ends, and every API token it had stops for good."""
    user.end_sessions()
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# One-time links -------------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_link(actor: User, user: User, purpose: str = "reset") -> str:
    """A new one-time link's secret for setting the account's password; older links stop.

    The secret is returned once and only its hash is kept.
    """
    user = user_for(actor, user.id)
    if not user.active:
        raise InvalidField(
            "user",
            Message("{email} is deactivated").format(email=user.email),
        )
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work():
        db.session.execute(
            update(OneTimeLink)
            .where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
            .values(used_at=now)
        )
        db.session.add(
            OneTimeLink(
                user=user,
                purpose=purpose,
                token_hash=_hash(secret),
                created_by_id=actor.id,
                created_at=now,
                expires_at=now + LINK_LIFETIME[purpose],
            )
        )
        audit.record(actor, f"user.{purpose}_link", user, library=user.library)
    return secret


LINK_UNKNOWN = Message(
    "this link is not valid (it may have been replaced by a newer one); ask an administrator "
    "for a new link"
)
LINK_USED = Message("this link has been used already; ask an administrator for a new one")
LINK_EXPIRED = Message("this link has expired; ask an administrator for a new one")


def link_for(secret: str) -> OneTimeLink:
    """The usable link with this secret; ``NotFound`` saying why it is not usable otherwise."""
    link = db.session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == _hash(secret)))
    if link is None or not link.user.is_active:
        raise NotFound(LINK_UNKNOWN)
    if link.used_at is not None:
        raise NotFound(LINK_USED)
    if link.expires_at <= utcnow():
        raise NotFound(LINK_EXPIRED)
    return link


def use_link(secret: str, password: str) -> User:
    """Set the password through a one-time link; the link is spent and old sessions end."""
    link = link_for(secret)
    check_new_password(password, link.user.email)
    with unit_of_work():
        # Spent in the same statement that checks it is unspent: two tabs cannot both use it.
        spent = db.session.execute(
            update(OneTimeLink)
            .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if spent.rowcount != 1:
            raise NotFound(LINK_USED)
        link.user.set_password(password)
        audit.record(link.user, f"user.{link.purpose}_used", link.user, library=link.user.library)
    return link.user


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def mail_link(user: User, url: str, purpose: str) -> None:
    """Send the link by mail through ``SMTP_HOST`` (set in huiku.cfg); call after committing."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("SMTP_FROM") or f"huiku@{config['SMTP_HOST']}"
    message["To"] = user.email
    invite = purpose == "invite"
    message["Subject"] = (
        "汇库账户邀请 / Huiku invitation" if invite else "汇库密码重置 / Huiku password"
    )
    message.set_content(
        f"请打开以下链接设置密码（仅可使用一次）：\n"
        f"Open this link to set your password (it works once):\n\n{url}\n"
    )
    with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25), timeout=10) as smtp:
        smtp.send_message(message)
