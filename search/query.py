"""What a search asks for and what it answers, independent of the backend."""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from markupsafe import Markup

from repository.messages import Message
from search.synonyms import with_synonyms
from search.text import ParsedQuery, parse_query

MAX_PER_PAGE = 100
MAX_WINDOW = 10_000  # from + size beyond this needs the ``after`` cursor (as in Elasticsearch)


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    TITLE = "title"  # pinyin order
    DATE = "date"  # earliest year first
    NEWEST = "newest"  # most recently published first


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # facet → any of values
    collection: str | None = None  # search within one collection
    year_from: int | None = None
    year_to: int | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    per_page: int = 20
    after: tuple[Any, ...] | None = None  # a cursor from a previous result's ``next_after``
    facet_size: int = 20
    relaxed: bool = False  # match most of the words, not all (search.relaxed); set by the service
    #: Documents holding any of these facet (or filter-only field) values are left out of hits
    #: and counts alike: exports leave harvested records out this way (search.exports), which
    #: works on an index built before contributed documents carried the field.
    without: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def query(self) -> ParsedQuery:
        """What was typed, with the everyday words' meanings (search.synonyms) attached; worked
        out once per request, however often the service, the backend and the page ask."""
        return with_synonyms(parse_query(self.text))

    @property
    def effective_sort(self) -> Sort:
        """Relevance means nothing without words; then the newest come first."""
        if self.sort is Sort.RELEVANCE and not self.query.included:
            return Sort.NEWEST
        return self.sort

    @property
    def offset(self) -> int:
        return 0 if self.after is not None else (self.page - 1) * self.per_page

    def all_filters(self) -> dict[str, tuple[str, ...]]:
        """The facet filters, with the collection scope as a collection filter."""
        filters = {name: values for name, values in self.filters.items() if values}
        if self.collection:
            filters["collection"] = (self.collection,)
        return filters


@dataclass(frozen=True)
class Origin:
    """A harvested copy of what a hit describes: the source it came from and its page there."""

    id: str  # the harvested record's public id
    source: str  # the source's slug
    name: str  # the source's name when indexed
    url: str  # the record's page at the source


@dataclass(frozen=True)
class Hit:
    id: str
    collection: str
    libraries: tuple[str, ...]
    local_id: str
    title: str
    title_html: Markup
    snippet: Markup
    thumbnail: str | None  # asset public id
    year_start: int | None
    year_end: int | None
    score: float | None
    sort_values: tuple[Any, ...]
    names: tuple[str, ...] = ()  # other names (aliases, scientific names), for "did you mean"
    kind: str = "record"  # "record" (contributed) or "harvested" (search.harvested)
    #: For a harvested hit, its own source; for a contributed one, the harvested copies merged
    #: into it (shown as "also in").
    origins: tuple[Origin, ...] = ()
    thumbnail_url: str | None = None  # a harvested record's remote thumbnail

    @property
    def harvested(self) -> bool:
        return self.kind == "harvested"


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, tuple[FacetValue, ...]]
    next_after: tuple[Any, ...] | None = None
    years: tuple[tuple[int, int], ...] = ()  # (first year, records) over every hit, by year


@dataclass(frozen=True)
class Suggestion:
    id: str
    title: str
    collection: str


def encode_cursor(values: tuple[Any, ...] | None) -> str | None:
    if values is None:
        return None
    raw = json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class CursorInvalid(ValueError):
    message = Message(
        "The 'after' cursor is not one this search returned; start from the first page."
    )


def decode_cursor(token: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise CursorInvalid() from None
    if not isinstance(values, list) or not 1 <= len(values) <= 4:
        raise CursorInvalid()
    if not all(v is None or isinstance(v, str | int | float) for v in values):
        raise CursorInvalid()
    return tuple(values)
