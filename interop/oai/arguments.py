"""Reading a protocol request: the verb, its arguments and the dates, or the error they make.

The arguments come from the query string (GET) or the form body (POST,
``application/x-www-form-urlencoded``), never from both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from interop.oai.errors import OAIError, bad_argument

# verb → (required arguments, optional arguments, exclusive argument)
VERBS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set"}),
        "resumptionToken",
    ),
    "ListRecords": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set"}),
        "resumptionToken",
    ),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
}

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class DateBound:
    """A ``from`` or ``until`` argument: the instant it names and its granularity."""

    value: datetime
    granularity: str  # "day" | "seconds"

    @property
    def end(self) -> datetime:
        """The first instant after the day or second named (``until`` includes all of it)."""
        step = timedelta(days=1) if self.granularity == "day" else timedelta(seconds=1)
        return self.value + step


@dataclass(frozen=True)
class OAIRequest:
    verb: str
    arguments: dict[str, str]

    def get(self, name: str) -> str | None:
        return self.arguments.get(name)


def parse_request(values: MultiDict) -> OAIRequest:
    """The verb and its arguments, checked against the protocol; an ``OAIError`` otherwise."""
    verbs = values.getlist("verb")
    if not verbs:
        raise OAIError("badVerb", "the verb argument is missing")
    if len(verbs) > 1:
        raise OAIError("badVerb", "the verb argument is repeated")
    verb = verbs[0]
    if verb not in VERBS:
        raise OAIError("badVerb", f"{verb!r} is not an OAI-PMH verb")
    required, optional, exclusive = VERBS[verb]
    arguments: dict[str, str] = {}
    for name in values:
        if name == "verb":
            continue
        given = values.getlist(name)
        if name not in required | optional and name != exclusive:
            raise bad_argument(f"{verb} does not take the argument {name!r}")
        if len(given) > 1:
            raise bad_argument(f"the argument {name!r} is repeated")
        arguments[name] = given[0]
    if exclusive and exclusive in arguments:
        if len(arguments) > 1:
            raise bad_argument(f"{exclusive} is an exclusive argument: give it alone")
        return OAIRequest(verb, arguments)
    missing = sorted(required - arguments.keys())
    if missing:
        raise bad_argument(f"{verb} needs the argument(s) {', '.join(missing)}")
    return OAIRequest(verb, arguments)


def parse_date(text: str, name: str) -> DateBound:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``, in UTC."""
    try:
        if _SECONDS.fullmatch(text):
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
            return DateBound(moment.replace(tzinfo=UTC), "seconds")
        if _DAY.fullmatch(text):
            return DateBound(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC), "day")
    except ValueError:
        pass
    raise bad_argument(f"{name}={text!r} is not a UTC date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def date_range(request: OAIRequest) -> tuple[DateBound | None, DateBound | None]:
    """The ``from`` and ``until`` arguments, checked against each other."""
    start = parse_date(request.arguments["from"], "from") if "from" in request.arguments else None
    until = (
        parse_date(request.arguments["until"], "until") if "until" in request.arguments else None
    )
    if start and until:
        if start.granularity != until.granularity:
            raise bad_argument("from and until must have the same granularity")
        if start.value > until.value:
            raise bad_argument("from is later than until")
    return start, until
