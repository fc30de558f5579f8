"""Member libraries and their users; signing in, with throttling, and changing passwords."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash

from repository.errors import Conflict, HuikuError, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message, pmessage
from repository.models import Collection, Library, User, UserRole
from repository.models.accounts import SignInThrottle
from repository.models.base import utcnow
from repository.services import audit
from repository.transactions import unit_of_work

_LIBRARY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200


class InvalidField(Conflict):
    """A value refused for one field of a form or command; ``field`` names it."""

    def __init__(self, field: str, message: Message) -> None:
        super().__init__(message)
        self.field = field


def clean_text(field: str, value: str | None, limit: int, label: Message) -> str:
    """The value with outer spaces removed, or ``InvalidField`` naming the field and the fault."""
    value = (value or "").strip()
    if "\x00" in value:
        raise InvalidField(
            field,
            Message("{label} holds a NUL character").format(label=label),
        )
    if len(value) > limit:
        raise InvalidField(
            field,
            Message("{label} is too long: at most {n} characters").format(label=label, n=limit),
        )
    return value


CODE = Message("the library code")
NAME_ZH = Message("the Chinese name")
NAME_EN = Message("the English name")
REGION = Message("the region")
WEBSITE = Message("the website")
DESCRIPTION_ZH = Message("the Chinese description")
DESCRIPTION_EN = Message("the English description")
EMAIL = Message("the e-mail address")
NAME = pmessage("person", "the name")


def library_summary(library: Library) -> dict[str, Any]:
    return {
        "code": library.code,
        "name_zh": library.name_zh,
        "name_en": library.name_en,
        "region": library.region,
        "website": library.website,
        "description_zh": library.description_zh,
        "description_en": library.description_en,
        "active": library.active,
    }


def create_library(
    code: str, name_zh: str, name_en: str = "", region: str = "", *, actor: User | None = None
) -> Library:
    """A new member library; ``actor`` is the administrator (None: the command line)."""
    code = clean_text("code", code, 32, CODE).upper()
    if not _LIBRARY_CODE.match(code):
        raise InvalidField(
            "code",
            Message(
                "library code {code!r} must be 2–32 capital letters, digits or hyphens, e.g. JL-SL"
            ).format(code=code),
        )
    name_zh = clean_text("name_zh", name_zh, 200, NAME_ZH)
    if not name_zh:
        raise InvalidField("name_zh", Message("a library needs a Chinese name"))
    name_en = clean_text("name_en", name_en, 200, NAME_EN)
    region = clean_text("region", region, 100, REGION)
    with unit_of_work():
        if get_library(code, missing_ok=True) is not None:
            raise InvalidField(
                "code",
                Message("library code {code} exists already: another library has it").format(
                    code=code
                ),
            )
        library = Library(code=code, name_zh=name_zh, name_en=name_en, region=region)
        db.session.add(library)
        db.session.flush()
        audit.record(
            actor, "library.create", library, library=library, after=library_summary(library)
        )
    return library


def get_library(code: str, *, missing_ok: bool = False) -> Library | None:
    library = db.session.scalar(select(Library).where(Library.code == code.strip().upper()))
    if library is None and not missing_ok:
        raise NotFound(Message("no library {code}").format(code=code))
    return library


def user_summary(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "library": user.library.code if user.library else None,
        "role": user.role.value,
        "active": user.active,
        "alliance_admin": user.alliance_admin,
        "reviews": sorted(collection.slug for collection in user.reviewed_collections),
    }


def create_user(
    email: str,
    library: Library,
    role: UserRole | str,
    password: str | None,
    name: str = "",
    reviews: list[Collection] | None = None,
    *,
    actor: User | None = None,
    alliance_admin: bool = False,
) -> User:
    """A new account; without a password it is an invitation, to be completed by a link."""
    email = clean_text("email", email, 254, EMAIL).lower()
    if not _EMAIL.match(email):
        raise InvalidField(
            "email",
            Message("{email!r} is not an e-mail address").format(email=email),
        )
    name = clean_text("name", name, 200, NAME)
    if password is not None:
        check_new_password(password, email)
    try:
        role = UserRole(role)
    except ValueError:
        raise InvalidField(
            "role",
            Message("role {role!r} is not one of contributor, reviewer, admin").format(role=role),
        ) from None
    with unit_of_work():
        if find_user(email) is not None:
            raise InvalidField(
                "email",
                Message("the e-mail address {email} belongs to another account already").format(
                    email=email
                ),
            )
        user = User(
            email=email,
            name=name or email.split("@")[0],
            library=library,
            role=role,
            alliance_admin=alliance_admin and role == UserRole.ADMIN,
        )
        if password is not None:
            user.set_password(password)
        user.reviewed_collections = list(reviews or [])
        db.session.add(user)
        db.session.flush()
        audit.record(actor, "user.create", user, library=library, after=user_summary(user))
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (without saying which part was wrong).

    An unknown address costs a password check too, so the time taken does not tell either.
    """
    user = find_user(email)
    if user is None:
        check_password_hash(_STAND_IN_HASH, password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


#: A hash made as ``User.set_password`` makes them (werkzeug's scrypt defaults), of a password
#: nobody knows; checked for addresses without an account.
_STAND_IN_HASH = (
    "scrypt:32768:8:1$zoXA5um4d1mvZxpJ$e8f190add41b465ce8cb2fa46e08e9d5fb15ba1010805d28cb6fc8975a9"
    "06c87e0bb77fb18bb175f64b54c510aa1f3041eb6e819f78d25b666d9af2caa7eee44"
)


#: Passwords refused whatever their length: the ones tried first by anyone guessing.
_COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "12345678", "123456789", "1234567890", "87654321",
        "qwertyui", "qwerty123", "abcd1234", "11111111", "00000000", "iloveyou",
        "woaini1314", "a1234567", "aa123456", "88888888", "66666666", "huiku123",
    }
)  # fmt: skip


def check_new_password(password: str, email: str = "") -> None:
    """Refuse a password that is short, overlong, one of the most common ones, or the address."""
    if "\x00" in password:
        raise InvalidField("password", Message("the password holds a NUL character"))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidField(
            "password",
            Message("a password needs at least {n} characters").format(n=MIN_PASSWORD_LENGTH),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidField(
            "password",
            Message("a password may have at most {n} characters").format(n=MAX_PASSWORD_LENGTH),
        )
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or (
        email and lowered in {email.lower(), email.split("@")[0].lower()}
    ):
        raise InvalidField(
            "password",
            Message("this password is too easy to guess; choose a longer, less common one"),
        )


# Signing in -----------------------------------------------------------------------------------

#: Attempts with an address whose last one is older than this are counted from one again.
FORGET_ATTEMPTS_AFTER = timedelta(days=1)


class TooManySignInAttempts(HuikuError):
    """This e-mail address must wait before it may try a password again."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            Message("too many sign-in attempts with this address; try again in {seconds} s").format(
                seconds=retry_after
            )
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignInPolicy:
    """How long an address waits after attempts in a row that did not sign in.

    The first ``backoff_after`` attempts are free; from then on each next one waits twice as long
    (2, 4, 8 … seconds), and after ``lock_after`` the address is locked for ``lock_minutes``.
    Each further failure after a lock locks it again; a success forgets them all.
    """

    backoff_after: int = 5
    lock_after: int = 10
    lock_minutes: int = 15

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SignInPolicy:
        return cls(
            backoff_after=int(config["LOGIN_BACKOFF_AFTER"]),
            lock_after=int(config["LOGIN_LOCK_AFTER"]),
            lock_minutes=int(config["LOGIN_LOCK_MINUTES"]),
        )

    def wait_after(self, attempts: int) -> int:
        """Seconds before the next attempt, after this many in a row that did not sign in."""
        if attempts >= self.lock_after:
            return self.lock_minutes * 60
        if attempts >= self.backoff_after:
            return 2 ** (attempts - self.backoff_after + 1)
        return 0


def sign_in(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; throttled per e-mail address.

    The attempt is counted, and committed, before the password is checked, so parallel guesses
    on any number of servers all count; a success then forgets the count. Raises
    ``TooManySignInAttempts`` when the address must wait first (the password is then not
    checked at all), and when this wrong attempt makes it wait for the next one. An address
    without an account goes through exactly the same steps.
    """
    key = _email_hash(email)
    wait = _count_attempt(key, SignInPolicy.from_config(current_app.config))
    if wait.refused:
        raise TooManySignInAttempts(wait.seconds)
    user = authenticate(email, password)
    if user is not None:
        with unit_of_work():
            db.session.execute(delete(SignInThrottle).where(SignInThrottle.email_hash == key))
        return user
    if wait.seconds:
        raise TooManySignInAttempts(wait.seconds)
    return None


@dataclass(frozen=True)
class _Wait:
    seconds: int  # before the next attempt may come
    refused: bool  # True: this attempt came too early and was not counted


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _count_attempt(key: str, policy: SignInPolicy) -> _Wait:
    """Count one attempt for the address in one atomic statement, unless it must still wait."""
    now = utcnow()
    throttle = SignInThrottle.__table__
    upsert = _insert_for_dialect()(throttle).values(
        email_hash=key, attempts=1, last_attempt_at=now, retry_at=None
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[throttle.c.email_hash],
        set_={
            "attempts": case(
                (throttle.c.last_attempt_at < now - FORGET_ATTEMPTS_AFTER, 1),
                else_=throttle.c.attempts + 1,
            ),
            "last_attempt_at": now,
        },
        # An address that must still wait is neither counted nor checked.
        where=or_(throttle.c.retry_at.is_(None), throttle.c.retry_at <= now),
    ).returning(throttle.c.attempts)
    with unit_of_work() as session:
        attempts = session.execute(upsert).scalar()
        if attempts is None:
            retry_at = session.scalar(
                select(throttle.c.retry_at).where(throttle.c.email_hash == key)
            )
            return _Wait(_seconds_until(retry_at, now), refused=True)
        seconds = policy.wait_after(attempts)
        session.execute(
            update(throttle)
            .where(throttle.c.email_hash == key)
            .values(retry_at=now + timedelta(seconds=seconds) if seconds else None)
        )
        # Addresses tried once long ago need no row any more.
        session.execute(
            delete(throttle).where(throttle.c.last_attempt_at < now - FORGET_ATTEMPTS_AFTER)
        )
    return _Wait(seconds, refused=False)


def _insert_for_dialect():
    name = db.session.get_bind().dialect.name
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[name]


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None:
        return 1
    return max(1, math.ceil((moment - now).total_seconds()))


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and remember-me cookie stops working."""
    with unit_of_work():
        user.end_sessions()


def change_password(user: User, old: str, new: str) -> None:
    """Replace the user's password, proving the old one as signing in does (same throttle).

    Every session of the user ends, this browser's too: a page that changes the password signs
    the user in again with ``flask_login.login_user(user)`` if it should stay signed in. Call it
    outside a unit of work, so the counted attempt is committed before the check.
    """
    check_new_password(new, user.email)
    if new == old:
        raise InvalidField("new", Message("the new password is the same as the old one"))
    if sign_in(user.email, old) != user:
        raise WrongPassword(Message("the current password is wrong"))
    with unit_of_work():
        user.set_password(new)
        audit.record(user, "user.password_change", user, library=user.library)


class WrongPassword(PermissionDenied):
    """The current password given to prove who is changing it was not right."""

    field = "current"
