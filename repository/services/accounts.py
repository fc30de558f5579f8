"""Member libraries and their users."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from repository.errors import Conflict, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Library, User, UserRole
from repository.transactions import unit_of_work

_LIBRARY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


def create_library(code: str, name_zh: str, name_en: str = "", region: str = "") -> Library:
    code = code.strip().upper()
    if not _LIBRARY_CODE.match(code):
        raise Conflict(
            Message(
                "library code {code!r} must be 2–32 capital letters, digits or hyphens, e.g. JL-SL",
                "馆代码「{code}」应为 2–32 位大写字母、数字或连字符（如 JL-SL）",
            ).format(code=code)
        )
    if not name_zh.strip():
        raise Conflict(Message("a library needs a Chinese name", "成员馆需要中文名称"))
    with unit_of_work():
        if get_library(code, missing_ok=True) is not None:
            raise Conflict(
                Message("library {code} exists already", "成员馆 {code} 已存在").format(code=code)
            )
        library = Library(
            code=code, name_zh=name_zh.strip(), name_en=name_en.strip(), region=region
        )
        db.session.add(library)
    return library


def get_library(code: str, *, missing_ok: bool = False) -> Library | None:
    library = db.session.scalar(select(Library).where(Library.code == code.strip().upper()))
    if library is None and not missing_ok:
        raise NotFound(Message("no library {code}", "没有成员馆 {code}").format(code=code))
    return library


def create_user(
    email: str,
    library: Library,
    role: UserRole | str,
    password: str,
    name: str = "",
    reviews: list[Collection] | None = None,
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise Conflict(
            Message("{email!r} is not an e-mail address", "「{email}」不是有效的电子邮箱").format(
                email=email
            )
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Conflict(
            Message(
                "a password needs at least {n} characters",
                "密码至少需要 {n} 个字符",
            ).format(n=MIN_PASSWORD_LENGTH)
        )
    try:
        role = UserRole(role)
    except ValueError:
        raise Conflict(
            Message(
                "role {role!r} is not one of contributor, reviewer, admin",
                "角色「{role}」应为 contributor、reviewer 或 admin",
            ).format(role=role)
        ) from None
    with unit_of_work():
        if find_user(email) is not None:
            raise Conflict(
                Message("user {email} exists already", "用户 {email} 已存在").format(email=email)
            )
        user = User(email=email, name=name or email.split("@")[0], library=library, role=role)
        user.set_password(password)
        user.reviewed_collections = list(reviews or [])
        db.session.add(user)
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (without saying which part was wrong)."""
    user = find_user(email)
    if user is None or not user.check_password(password) or not user.is_active:
        return None
    return user
