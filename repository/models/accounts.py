"""Member libraries, their users and API tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from repository.extensions import db
from repository.models.base import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from repository.models.collections import Collection


def new_session_token() -> str:
    return secrets.token_hex(16)


class UserRole(enum.StrEnum):
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Library(db.Model):
    """A member library (成员馆) of the alliance."""

    __tablename__ = "library"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    #: Shown on the library's public page: its own site and a few words about it.
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    description_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="library")

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") or not self.name_en else self.name_en

    def __repr__(self) -> str:
        return f"<Library {self.code}>"


class User(UserMixin, db.Model):
    """A person who works in Huiku for one member library."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole))
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    #: Part of the id that sessions and remember-me cookies carry; a new one ends them all.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    #: An administrator of the whole alliance (every library), not only of their own library.
    alliance_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    library: Mapped[Library] = relationship(back_populates="users")
    reviewed_collections: Mapped[list[Collection]] = relationship(
        secondary="collection_reviewer", back_populates="reviewers"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active and self.library.active

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def is_alliance_admin(self) -> bool:
        return self.role == UserRole.ADMIN and self.alliance_admin

    def get_id(self) -> str:
        """Flask-Login's alternative id: what a session or remember-me cookie says about whom.

        ``repository.accounts.load_user`` accepts it only while the token is the user's current
        one, so ``end_sessions`` signs the user out of every browser on every server.
        """
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        """A new password also ends every session the old one opened."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(db.Model):
    """A library's key to the JSON API; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class OneTimeLink(db.Model):
    """A link an administrator hands a person to set a password: once, before it expires.

    ``purpose`` is ``invite`` (a new account's first password) or ``reset``. Only the hash of
    the secret in the link is stored.
    """

    __tablename__ = "one_time_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])


support_grant_collections = Table(
    "support_grant_collection",
    db.metadata,
    Column("grant_id", ForeignKey("support_grant.id", ondelete="CASCADE"), primary_key=True),
    Column("collection_id", ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True),
)


class SupportGrant(db.Model):
    """Paired support (结对扶持): the helper library's staff work on behalf of the partner
    library, in the chosen collections, from ``starts_at`` until ``expires_at`` or revocation.

    What they make belongs to the partner; both libraries are credited.
    """

    __tablename__ = "support_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    helper_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    partner_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    helper_library: Mapped[Library] = relationship(foreign_keys=[helper_library_id])
    partner_library: Mapped[Library] = relationship(foreign_keys=[partner_library_id])
    collections: Mapped[list[Collection]] = relationship(secondary=support_grant_collections)

    def in_force(self, at: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= at < self.expires_at


class SignInThrottle(db.Model):
    """Sign-in attempts with one e-mail address since its last success, and when the next may come.

    Kept per address typed rather than per account, so an address without an account is
    throttled exactly like one with: the answers do not tell which addresses exist. Only a hash
    of the address is stored. Rows live in the database, so every app server sees the same count.
    """

    __tablename__ = "sign_in_throttle"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
