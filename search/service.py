"""Running a search for readers: the backend's answer plus what the page and API show with it
(labels of facets, collections and libraries, and notices about the query)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Library
from repository.transactions import committed
from search.backends import SearchBackend
from search.documents import OWN_SOURCE, SOURCE_FACET, facet_definition, facet_definitions
from search.harvested import source_names
from search.labels import own_source_label
from search.query import MAX_WINDOW, FacetValue, SearchRequest, SearchResult
from search.relaxed import FALLBACK_BELOW, did_you_mean, relax
from search.years import YearBar, year_bars


@dataclass(frozen=True)
class CollectionLabel:
    slug: str
    profile_name: str
    title_zh: str
    title_en: str

    def title(self, locale: str) -> str:
        return self.title_zh if locale.startswith("zh") or not self.title_en else self.title_en


@dataclass(frozen=True)
class LibraryLabel:
    code: str
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") or not self.name_en else self.name_en


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class FacetView:
    name: str
    label: str
    options: tuple[FacetOption, ...]


@dataclass(frozen=True)
class SearchOutcome:
    request: SearchRequest
    result: SearchResult
    facets: tuple[FacetView, ...]
    collections: dict[str, CollectionLabel]
    libraries: dict[str, LibraryLabel]
    sources: dict[str, str] = field(default_factory=dict)  # harvest sources' names by slug
    notices: tuple[Message, ...] = field(default=())
    relaxed: bool = False  # the hits match most of the words, not all (search.relaxed)
    did_you_mean: str | None = None  # a query one slip away that names a record
    years: tuple[YearBar, ...] = ()

    @property
    def last_page(self) -> int:
        shown = min(self.result.total, MAX_WINDOW)
        per_page = max(self.request.per_page, 1)
        return max(1, -(-shown // per_page))

    @property
    def scope(self) -> CollectionLabel | None:
        return self.collections.get(self.request.collection or "")


class UnknownCollection(LookupError):
    def __init__(self, slug: str) -> None:
        self.message = Message("there is no public collection {slug!r}").format(slug=slug[:64])


@dataclass(frozen=True)
class ForgivingAnswer:
    result: SearchResult
    exact_total: int  # records matching every word
    relaxed: bool  # the result is the fallback's
    did_you_mean: str | None


def forgiving_search(backend: SearchBackend, request: SearchRequest) -> ForgivingAnswer:
    """The search, and when all the words together find fewer than FALLBACK_BELOW records, a
    second one for most of them (search.relaxed), used when it finds more."""
    result = backend.search(request)
    exact_total, relaxed, suggestion = result.total, False, None
    if exact_total < FALLBACK_BELOW and relax(request.query) is not None:
        fallback = backend.search(replace(request, relaxed=True))
        suggestion = did_you_mean(request.query, fallback.hits[:10])
        if fallback.total > exact_total:
            result, relaxed = fallback, True
    return ForgivingAnswer(result, exact_total, relaxed, suggestion)


def search_records(backend: SearchBackend, request: SearchRequest, locale: str) -> SearchOutcome:
    """The backend's answer with labels and notices; when all the words together find fewer
    than FALLBACK_BELOW records, a second query for most of them (search.relaxed)."""
    collections = public_collection_labels()
    if request.collection and request.collection not in collections:
        raise UnknownCollection(request.collection)
    answer = forgiving_search(backend, request)
    result, exact_total = answer.result, answer.exact_total
    relaxed, suggestion = answer.relaxed, answer.did_you_mean
    libraries = library_labels()
    sources = source_labels()
    scope_profile = collections[request.collection].profile_name if request.collection else None
    facets = []
    for definition in facet_definitions():
        values = result.facets.get(definition.name)
        if not values or (request.collection and definition.name == "collection"):
            continue
        if definition.name == SOURCE_FACET and _only_own_records(values):
            continue  # nothing harvested among the hits: the facet would say nothing
        facet = facet_definition(definition.name, scope_profile)
        facets.append(
            FacetView(
                facet.name,
                facet.label(locale),
                tuple(
                    FacetOption(
                        v.value,
                        _value_label(facet.name, v.value, locale, collections, libraries, sources)
                        or facet.value_label(v.value, locale),
                        v.count,
                        v.selected,
                    )
                    for v in values
                ),
            )
        )
    notices = list(request.query.notices)
    if relaxed:
        notices.append(_near_misses(exact_total))
    if request.after is None and request.per_page and request.page > 1 and not result.hits:
        notices.append(_past_the_end(request, result.total))
    return SearchOutcome(
        request,
        result,
        tuple(facets),
        collections,
        libraries,
        sources,
        tuple(notices),
        relaxed=relaxed,
        did_you_mean=suggestion,
        years=year_bars(result.years),
    )


def _near_misses(exact_total: int) -> Message:
    if exact_total:
        return Message(
            "Only {count} record(s) match every word; records matching most of the words follow."
        ).format(count=exact_total)
    return Message("No record matches every word; these records match most of them.")


#: Every search shows names of collections and libraries; they change rarely, so each process
#: keeps them for a while and forgets them whenever it commits a change of its own.
LABELS_TTL = 30.0
#: (kind, id of the database engine) → (when loaded, the engine, the labels); the engine is kept
#: so that an id reused by a later engine is never taken for it.
_labels: dict[tuple[str, int], tuple[float, Any, Any]] = {}


def _cached(kind: str, load: Callable[[], Any]) -> Any:
    engine = db.engine
    key = (kind, id(engine))
    now = time.monotonic()
    hit = _labels.get(key)
    if hit is None or hit[1] is not engine or now - hit[0] > LABELS_TTL:
        hit = _labels[key] = (now, engine, load())
    return hit[2]


def forget_labels(*_args: Any, **_kwargs: Any) -> None:
    _labels.clear()


committed.connect(forget_labels)


def public_collection_labels() -> dict[str, CollectionLabel]:
    """Names of the public collections (cached, see LABELS_TTL)."""
    return _cached("collections", _load_collection_labels)


def library_labels() -> dict[str, LibraryLabel]:
    return _cached("libraries", _load_library_labels)


def source_labels() -> dict[str, str]:
    return _cached("sources", source_names)


def _only_own_records(values: tuple[FacetValue, ...]) -> bool:
    return all(v.value == OWN_SOURCE and not v.selected for v in values)


def _load_collection_labels() -> dict[str, CollectionLabel]:
    rows = db.session.execute(
        select(
            Collection.slug, Collection.profile_name, Collection.title_zh, Collection.title_en
        ).where(Collection.published)
    )
    return {row.slug: CollectionLabel(*row) for row in rows}


def _load_library_labels() -> dict[str, LibraryLabel]:
    rows = db.session.execute(select(Library.code, Library.name_zh, Library.name_en))
    return {row.code: LibraryLabel(*row) for row in rows}


def _value_label(
    facet: str,
    value: str,
    locale: str,
    collections: dict[str, CollectionLabel],
    libraries: dict[str, LibraryLabel],
    sources: dict[str, str],
) -> str | None:
    if facet == "collection" and value in collections:
        return collections[value].title(locale)
    if facet == "library" and value in libraries:
        return libraries[value].name(locale)
    if facet == SOURCE_FACET:
        return own_source_label(locale) if value == OWN_SOURCE else sources.get(value)
    if facet == "media":
        from repository.media.discovery import media_kind_label

        return media_kind_label(value, locale)
    return None


def _past_the_end(request: SearchRequest, total: int) -> Message:
    if request.offset >= MAX_WINDOW and total > MAX_WINDOW:
        return Message(
            "Only the first {max} results can be paged through; narrow the search with filters "
            "(the API's 'after' cursor reaches every result)."
        ).format(max=MAX_WINDOW)
    last = max(1, -(-total // request.per_page))
    return Message("Page {page} is past the last page of results ({last}).").format(
        page=request.page, last=last
    )
