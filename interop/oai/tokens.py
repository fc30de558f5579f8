"""Resumption tokens: where a list stopped, signed so that nobody can forge or alter one.

A token carries the list's original arguments, the upper time bound fixed by the list's first
request, the last (datestamp, identifier) delivered and how many items came before. The next
page continues after that key (keyset paging), so records changed, added or removed while a
harvester pages neither shift the pages nor make items repeat or vanish. Tokens are signed with
the app's ``SECRET_KEY`` (itsdangerous, as Flask signs its sessions) and expire after
``OAI_TOKEN_LIFETIME`` seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from interop.oai.errors import bad_token

_SALT = "huiku.oai.resumption-token"


@dataclass(frozen=True)
class ListState:
    verb: str
    prefix: str
    set_spec: str | None
    start: str | None  # ISO timestamp, inclusive
    end: str  # ISO timestamp, exclusive: the requested until, or the first request's time
    after_datestamp: str | None = None  # ISO timestamp with microseconds
    after_id: str | None = None
    cursor: int = 0
    size: int | None = None  # completeListSize, counted when the list began

    @property
    def start_at(self) -> datetime | None:
        return datetime.fromisoformat(self.start) if self.start else None

    @property
    def end_at(self) -> datetime:
        return datetime.fromisoformat(self.end)

    @property
    def after(self) -> tuple[datetime, str] | None:
        if self.after_datestamp is None or self.after_id is None:
            return None
        return datetime.fromisoformat(self.after_datestamp), self.after_id


def lifetime() -> int:
    return int(current_app.config["OAI_TOKEN_LIFETIME"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def encode(state: ListState) -> str:
    return _serializer().dumps(asdict(state))


def decode(token: str, verb: str) -> ListState:
    """The state a token carries, or ``badResumptionToken`` when it is forged, altered,
    expired or meant for another verb."""
    try:
        data = _serializer().loads(token, max_age=lifetime())
        state = ListState(**data)
        state.after  # noqa: B018 - the timestamps must parse
        state.end_at  # noqa: B018
        state.start_at  # noqa: B018
    except SignatureExpired:
        raise bad_token("the resumption token has expired; start the list again") from None
    except (BadSignature, TypeError, ValueError):
        raise bad_token() from None
    if state.verb != verb:
        raise bad_token(f"this resumption token continues {state.verb}, not {verb}")
    return state
