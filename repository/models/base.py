"""Column helpers shared by the models."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), plain JSON elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Crockford-style alphabet: no 0/1/i/l/o/u, so ids read aloud and typed from print stay unambiguous.
PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_public_id(length: int = 10) -> str:
    """A short, random, URL-safe identifier that never changes once given.

    The letters are the base-30 digits of one 128-bit random number: uniform to within 2**-78,
    and one call to the system's random source instead of one per letter.
    """
    number = int.from_bytes(secrets.token_bytes(16))
    letters = []
    for _ in range(length):
        number, digit = divmod(number, len(PUBLIC_ID_ALPHABET))
        letters.append(PUBLIC_ID_ALPHABET[digit])
    return "".join(letters)


class UTCDateTime(TypeDecorator):
    """Timezone-aware timestamps that come back aware on SQLite too (it stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use repository.models.base.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def enum_column(enum_class: type[enum.Enum], length: int = 20) -> Enum:
    """Enums stored as their values in a plain string column, portable across databases."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )
