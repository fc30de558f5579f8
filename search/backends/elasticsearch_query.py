"""The bodies Huiku sends to Elasticsearch's ``_search``: the query of a search request, its
facet aggregations, and the title suggestions; and how the answer's aggregations read back.

User text only ever reaches ``match_phrase`` and ``match_phrase_prefix`` (never query_string),
so Lucene syntax in a query is plain text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.documents import facet_definitions
from search.pinyin import initials_query, segmentations
from search.query import MAX_WINDOW, CursorInvalid, FacetValue, SearchRequest, Sort
from search.related import SharedValue
from search.relaxed import EXACT_BOOST, WHOLE_TITLE_BOOST, Relaxation, relax, whole_titles
from search.text import ParsedQuery, QueryTerm

# Where the text of a query term is looked for, and how much a match there weighs.
TEXT_FIELDS = (("search_title", 8.0), ("search_names", 4.0), ("search_text", 1.0))
# Pinyin readings of titles and names (search.pinyin): found, but below the characters.
PINYIN_FIELDS = (("pinyin_title", 2.0), ("pinyin_names", 1.0))
INITIALS_FIELD, INITIALS_BOOST = "pinyin_initials", 1.5

SORTS: dict[Sort, list[dict[str, Any]]] = {
    Sort.RELEVANCE: [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
    Sort.TITLE: [{"title_sort": {"order": "asc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    Sort.DATE: [{"year_start": {"order": "asc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    Sort.NEWEST: [
        {"published_at": {"order": "desc", "missing": "_last"}},
        {"id": {"order": "asc"}},
    ],
}

# What a result list needs from a hit's _source (search_text can be long and is not shown).
HIT_SOURCE = [
    "id",
    "collection",
    "libraries",
    "local_id",
    "thumbnail",
    "year_start",
    "year_end",
    "display",
    "kind",
    "origins",
    "thumbnail_url",
]
SUGGESTION_SOURCE = ["id", "collection", "search_title", "title_sort", "display.title"]
SUGGESTION_CANDIDATES = 40  # fetched, then put in order by rank_suggestions
TOP_FIELDS = {"collection": "collection", "library": "libraries"}
YEARS = "year_histogram"  # the aggregation counting hits by their first year


def facet_field(name: str) -> str:
    """The keyword field a facet is counted and filtered on."""
    return TOP_FIELDS.get(name, f"facets.{name}")


def _all_of(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": list(clauses)}} if clauses else {"match_all": {}}


def _term_clause(term: QueryTerm, *, pinyin: bool = True) -> dict[str, Any]:
    """A term matches when its tokens stand together in the title, other names or text, or,
    read as pinyin, in the pinyin of the title or names, or as their initials; or when one
    of its synonyms does.

    Always a phrase: a word of several Han characters is a phrase of one-character tokens.
    """
    should = [
        {"match_phrase": {field: {"query": text, "boost": boost}}}
        for text in (term.text, *term.synonyms)  # synonyms: search.synonyms, one level
        for field, boost in TEXT_FIELDS
    ]
    if pinyin:
        should += [
            {"match_phrase": {field: {"query": " ".join(reading), "boost": boost}}}
            for reading in term.pinyin
            for field, boost in PINYIN_FIELDS
        ]
        if term.initials:
            should.append(
                {
                    "match_phrase": {
                        INITIALS_FIELD: {"query": term.initials, "boost": INITIALS_BOOST}
                    }
                }
            )
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _main_query(
    parsed: ParsedQuery,
    year_from: int | None,
    year_to: int | None,
    relaxation: Relaxation | None = None,
    without: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Words, years and left-out values narrow hits and facet counts alike (unlike facet
    filters).

    With a ``relaxation`` (search.relaxed) most of its units must match, and records matching
    every word get a constant above any other score."""
    clauses: dict[str, Any] = {
        "must": [_term_clause(term) for term in parsed.included] or [{"match_all": {}}]
    }
    if relaxation is not None and parsed.included:
        units = [_term_clause(term) for term in relaxation.units]
        clauses = {
            "must": [{"bool": {"should": units, "minimum_should_match": relaxation.required}}],
            "should": [
                {"constant_score": {"filter": _all_of(clauses["must"]), "boost": EXACT_BOOST}},
                *(_term_clause(term) for term in relaxation.pairs),
            ],
        }
    if parsed.excluded:
        clauses["must_not"] = [_term_clause(term, pinyin=False) for term in parsed.excluded]
    if without:
        clauses["must_not"] = [
            *clauses.get("must_not", ()),
            *({"terms": {facet_field(name): list(values)}} for name, values in without.items()),
        ]
    years = []
    if year_from is not None:  # the record's range overlaps the asked one; undated ones drop out
        years.append({"range": {"year_end": {"gte": year_from}}})
    if year_to is not None:
        years.append({"range": {"year_start": {"lte": year_to}}})
    if years:
        clauses["filter"] = years
    titles = [
        {"term": {"search_title.keyword": {"value": title, "boost": WHOLE_TITLE_BOOST}}}
        for title in whole_titles(parsed)
    ]
    if titles:
        clauses["should"] = [*clauses.get("should", ()), *titles]
    return {"bool": clauses}


def _facet_aggregations(
    request: SearchRequest, filters: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """Per facet, counts under every selected filter except its own (multi-select facets)."""
    selected = request.all_filters()
    aggregations = {}
    for facet in facet_definitions():
        field = facet_field(facet.name)
        counts: dict[str, Any] = {}
        if request.facet_size > 0:
            counts["values"] = {
                "terms": {
                    "field": field,
                    "size": request.facet_size,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        chosen = list(dict.fromkeys(selected.get(facet.name, ())))
        if chosen:  # selected values are shown even when they are not among the top ones
            counts["selected"] = {"terms": {"field": field, "include": chosen, "size": len(chosen)}}
        if counts:
            others = [clause for name, clause in filters.items() if name != facet.name]
            aggregations[facet.name] = {"filter": _all_of(others), "aggs": counts}
    return aggregations


def build_query_body(request: SearchRequest) -> dict[str, Any]:
    """The exact ``_search`` body Huiku sends for a request; benchmarks send the same body.

    User text only ever reaches ``match_phrase`` (never query_string), so Lucene syntax in a
    query is plain text. Facet filters go into ``post_filter`` so that each facet's counts can
    ignore its own selection. Raises CursorInvalid for an ``after`` cursor of another sort.
    """
    sort = [
        {name: dict(order) for name, order in key.items()} for key in SORTS[request.effective_sort]
    ]
    filters = {
        name: {"terms": {facet_field(name): list(values)}}
        for name, values in request.all_filters().items()
    }
    size = max(request.per_page, 0)
    body: dict[str, Any] = {
        "query": _main_query(
            request.query,
            request.year_from,
            request.year_to,
            relax(request.query) if request.relaxed else None,
            request.without,
        ),
        "sort": sort,
        "track_total_hits": True,
        "_source": list(HIT_SOURCE),
    }
    if request.after is not None:
        if len(request.after) != len(sort):
            raise CursorInvalid()
        body["search_after"] = list(request.after)
    else:
        offset = max(request.offset, 0)
        if offset + size > MAX_WINDOW:
            size = 0  # beyond the window: the true total and the facets, no hits, no error
        elif offset and size:
            body["from"] = offset
    body["size"] = size
    if filters:
        body["post_filter"] = _all_of(list(filters.values()))
    aggregations = _facet_aggregations(request, filters)
    if request.facet_size > 0:
        aggregations[YEARS] = {
            "filter": _all_of(list(filters.values())),
            "aggs": {"years": {"histogram": {"field": "year_start", "interval": 1}}},
        }
    if aggregations:
        body["aggs"] = aggregations
    return body


def year_counts(aggregations: Mapping[str, Any]) -> tuple[tuple[int, int], ...]:
    """How many hits begin in each year (the histogram over the date range)."""
    buckets = aggregations.get(YEARS, {}).get("years", {}).get("buckets", ())
    return tuple((int(b["key"]), b["doc_count"]) for b in buckets if b["doc_count"])


def build_suggest_body(folded: str, collection: str | None, size: int) -> dict[str, Any]:
    """Titles or other names containing the folded text as a phrase prefix, or whose pinyin or
    initials begin with it read as pinyin; titles beginning with the text first."""
    matches: list[dict[str, Any]] = [
        {"match_phrase_prefix": {"search_title": {"query": folded, "boost": 2.0}}},
        {"match_phrase_prefix": {"search_names": {"query": folded}}},
    ]
    for reading in segmentations(folded, partial_last=True):
        matches += [
            {"match_phrase_prefix": {field: {"query": " ".join(reading), "boost": boost / 4}}}
            for field, boost in PINYIN_FIELDS
        ]
    if initials := initials_query(folded):
        matches.append(
            {"match_phrase_prefix": {INITIALS_FIELD: {"query": initials, "boost": 0.25}}}
        )
    body: dict[str, Any] = {
        "query": {
            "bool": {
                "must": [{"bool": {"should": matches, "minimum_should_match": 1}}],
                "should": [
                    {
                        "constant_score": {
                            "filter": {"prefix": {"search_title.keyword": folded}},
                            "boost": 100.0,
                        }
                    }
                ],
            }
        },
        # Within each group, the length norm ranks shorter titles higher, as rank_suggestions does.
        "sort": [{"_score": {"order": "desc"}}, {"title_sort": {"order": "asc"}}],
        "size": size,
        "_source": list(SUGGESTION_SOURCE),
    }
    if collection:
        body["query"]["bool"]["filter"] = [{"term": {"collection": collection}}]
    return body


def facet_values(
    aggregations: Mapping[str, Any], request: SearchRequest
) -> dict[str, tuple[FacetValue, ...]]:
    """Top values by count, then value; selected values always, with 0 when none has them."""
    selected = request.all_filters()
    names = [facet.name for facet in facet_definitions()]
    names += sorted(set(selected) - set(names))  # a filter on no known facet still shows
    facets: dict[str, tuple[FacetValue, ...]] = {}
    for name in names:
        result = aggregations.get(name, {})
        counts: dict[str, int] = {}
        for part in ("values", "selected"):
            for bucket in result.get(part, {}).get("buckets", ()):
                counts.setdefault(str(bucket["key"]), bucket["doc_count"])
        chosen = set(selected.get(name, ()))
        for value in chosen:
            counts.setdefault(value, 0)  # still shown, so that it can be deselected
        if counts:
            ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            facets[name] = tuple(
                FacetValue(value, count, value in chosen) for value, count in ordered
            )
    return facets


def build_related_body(
    record_id: str, collection: str, shared: Sequence[SharedValue], limit: int
) -> dict[str, Any]:
    """Records of the collection but this one, by the weight of the values they share with it
    (search.related), then in pinyin order; those sharing nothing still fill the list."""
    return {
        "query": {
            "bool": {
                "filter": [{"term": {"collection": collection}}],
                "must_not": [{"ids": {"values": [record_id]}}],
                "should": [
                    {
                        "constant_score": {
                            "filter": {"term": {facet_field(value.facet): value.value}},
                            "boost": value.weight,
                        }
                    }
                    for value in shared
                ],
            }
        },
        "sort": [
            {"_score": {"order": "desc"}},
            {"title_sort": {"order": "asc", "missing": "_last"}},
            {"id": {"order": "asc"}},
        ],
        "size": limit,
        "track_total_hits": False,
        "_source": list(HIT_SOURCE),
    }
