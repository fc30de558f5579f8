"""The search API's marshmallow schemas and its part of the OpenAPI description.

``/api/search`` is parsed by ``SearchArgsSchema`` (``search.request_schema``) and described
from it: apispec turns each of its fields into a query parameter (types, bounds, enums), and
``_search_argument_attributes`` adds what only this package knows: the facet filter's pattern,
the cursor's minimum length and what each parameter means. ``/api/suggest`` is parsed and
described by ``SuggestArgsSchema``. The answers are declared here.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from marshmallow import EXCLUDE, Schema, fields
from marshmallow.validate import Length, OneOf, Range

from repository.messages import Message
from repository.openapi import AnswerSchema, ErrorSchema, json_content, marshmallow_converter
from search.documents import facet_names
from search.query import MAX_PER_PAGE
from search.request_schema import Cursor, FacetFilter, SearchArgsSchema

#: what ``search.request_schema.FacetFilter`` accepts: a known facet name, a colon and a value of
#: 1–200 characters, spaces around each part ignored
FACET_VALUE = r"\S(?:[\s\S]{0,198}\S)?"
MAX_SUGGEST_PREFIX = 50

#: what each parameter means; its type and bounds come from ``SearchArgsSchema``, the parser
DESCRIPTIONS = {
    "q": 'Words (all must match), "quoted phrases", and -word to exclude. Traditional and '
    "simplified characters match each other; Han words match as contiguous characters.",
    "f": "A facet filter `name:value`; repeat it. Values of one facet combine with OR, "
    "facets with AND. Facet names: {facets}",
    "source": "Only records from this source: a harvest source's slug, or huiku for this "
    "repository's own records; repeat it (the same as f=source:slug).",
    "collection": "Search within one collection (its slug).",
    "from": "Records whose years reach this year or later.",
    "to": "Records whose years reach this year or earlier; not before from.",
    "sort": "relevance (default with words), title (pinyin order), date (earliest first), "
    "newest (most recently published; default without words).",
    "page": "Page number, from 1 (up to 10,000 results).",
    "per_page": "Hits per page, 0–{max_per_page}; 0 returns only the total and facets.",
    "after": "The `next_after` cursor of the previous answer, to page past 10,000 results.",
}


def facet_filter_pattern() -> str:
    names = "|".join(re.escape(name) for name in sorted(facet_names()))
    return rf"^\s*(?:{names})\s*:\s*{FACET_VALUE}\s*$"


def _search_argument_attributes(self: Any, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """JSON Schema for SearchArgsSchema's own field classes, and each parameter's meaning.

    Defaults are left out: they depend on each other (the sort on whether there are words), so
    the descriptions say them.
    """
    attributes: dict[str, Any] = {}
    if isinstance(field, FacetFilter):
        attributes["pattern"] = facet_filter_pattern()
    if isinstance(field, Cursor):
        attributes["minLength"] = 1  # the API refuses an empty one (search.views)
    if isinstance(field.parent, SearchArgsSchema | SuggestArgsSchema):
        # a parameter is left out, never null (marshmallow's load_default=None allows None)
        ret.pop("default", None)
        if isinstance(ret.get("type"), list):
            attributes["type"] = next(kind for kind in ret["type"] if kind != "null")
    if isinstance(field.parent, SearchArgsSchema):
        description = DESCRIPTIONS[field.data_key or field.name]
        facets = ", ".join(sorted(facet_names()))
        attributes["description"] = description.format(facets=facets, max_per_page=MAX_PER_PAGE)
    return attributes


class SuggestArgsSchema(Schema):
    q = fields.String(
        required=True,
        error_messages={"required": Message("q is required: the text typed so far")},
        metadata={
            "description": f"The text typed so far (only its first {MAX_SUGGEST_PREFIX} "
            "characters count; empty suggests nothing)"
        },
    )
    collection = fields.String(
        load_default=None, metadata={"description": "Only this collection (slug)"}
    )

    class Meta:
        unknown = EXCLUDE


# --- answers ----------------------------------------------------------------------------------


class MessageSchema(AnswerSchema):
    en = fields.String(required=True)
    zh = fields.String(required=True)


class SearchOriginSchema(AnswerSchema):
    id = fields.String(required=True, metadata={"description": "the harvested record's id"})
    source = fields.String(required=True, metadata={"description": "the harvest source's slug"})
    source_name = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "its page at the source"})


class SearchHitSchema(AnswerSchema):
    id = fields.String(
        required=True,
        metadata={"description": "the record's public id (a harvested record's begins h-)"},
    )
    title = fields.String(required=True)
    title_html = fields.String(metadata={"description": "title with <mark> around matches"})
    snippet = fields.String(metadata={"description": "HTML passage with <mark> matches"})
    collection = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "collection slug; null if harvested"},
    )
    collection_title = fields.String(allow_none=True)
    library = fields.String(
        required=True,
        metadata={"description": "code of the owning library (a harvest source's library)"},
    )
    libraries = fields.List(fields.String())
    local_id = fields.String(
        required=True,
        metadata={"description": "the owning library's own id (a harvested record's identifier)"},
    )
    years = fields.List(fields.Integer(), allow_none=True, validate=Length(2, 2))
    thumbnail = fields.String(allow_none=True, metadata={"format": "uri"})
    url = fields.String(required=True, metadata={"format": "uri"})
    json_url = fields.String(
        required=True,
        allow_none=True,
        metadata={"format": "uri", "description": "null if harvested"},
    )
    kind = fields.String(required=True, validate=OneOf(["record", "harvested"]))
    source = fields.String(
        allow_none=True, metadata={"description": "huiku, or the harvest source's slug"}
    )
    source_name = fields.String(allow_none=True)
    original_url = fields.String(
        allow_none=True, metadata={"description": "a harvested record's page at its source"}
    )
    also_in = fields.List(
        fields.Nested(SearchOriginSchema),
        metadata={"description": "harvested copies of a contributed record, merged into it"},
    )


class SearchFacetValueSchema(AnswerSchema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True, validate=Range(min=0))
    selected = fields.Boolean(required=True)


class SearchFacetSchema(AnswerSchema):
    name = fields.String(required=True, validate=OneOf(sorted(facet_names())))
    label = fields.String(required=True)
    values = fields.List(fields.Nested(SearchFacetValueSchema), required=True)


class SearchYearSchema(AnswerSchema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    count = fields.Integer(required=True, validate=Range(min=0))


class SearchResultSchema(AnswerSchema):
    query = fields.Dict(required=True, metadata={"description": "the search as understood"})
    total = fields.Integer(required=True, validate=Range(min=0))
    hits = fields.List(fields.Nested(SearchHitSchema), required=True)
    facets = fields.List(fields.Nested(SearchFacetSchema), required=True)
    next_after = fields.String(required=True, allow_none=True)
    notices = fields.List(fields.Nested(MessageSchema), required=True)
    relaxed = fields.Boolean(
        required=True,
        metadata={"description": "no or few records match every word: hits match most of them"},
    )
    did_you_mean = fields.String(
        required=True, allow_none=True, metadata={"description": "a query one slip away"}
    )
    years = fields.List(
        fields.Nested(SearchYearSchema),
        required=True,
        metadata={"description": "hits by their first year, in bars a round number of years wide"},
    )


class InvalidSchema(AnswerSchema):
    error = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(MessageSchema)), required=True
    )


class SuggestionSchema(AnswerSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    collection = fields.String(required=True)
    url = fields.String(required=True)


class SuggestionsSchema(AnswerSchema):
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True)


# --- the description --------------------------------------------------------------------------


def describe_search(spec: APISpec) -> None:
    marshmallow_converter(spec).add_attribute_function(_search_argument_attributes)
    for name, schema in (
        ("Message", MessageSchema),
        ("SearchOrigin", SearchOriginSchema),
        ("SearchHit", SearchHitSchema),
        ("SearchFacetValue", SearchFacetValueSchema),
        ("SearchFacet", SearchFacetSchema),
        ("SearchYear", SearchYearSchema),
        ("SearchResult", SearchResultSchema),
        ("Invalid", InvalidSchema),
        ("Suggestion", SuggestionSchema),
        ("Suggestions", SuggestionsSchema),
    ):
        spec.components.schema(name, schema=schema)
    spec.path(
        "/api/search",
        operations={
            "get": {
                "summary": "Search the published records of every collection",
                "operationId": "search",
                "tags": ["search"],
                "parameters": [{"in": "query", "schema": SearchArgsSchema}],
                "responses": {
                    "200": json_content("Hits, facets with counts, a cursor", SearchResultSchema),
                    "400": json_content("A parameter is wrong; each is named", InvalidSchema),
                    "404": json_content("No such public collection", ErrorSchema),
                    "503": json_content("The search engine is unavailable", ErrorSchema),
                },
            }
        },
    )
    spec.path(
        "/api/suggest",
        operations={
            "get": {
                "summary": "Titles containing what was typed so far",
                "operationId": "suggest",
                "tags": ["search"],
                "parameters": [{"in": "query", "schema": SuggestArgsSchema}],
                "responses": {
                    "200": json_content("Up to 8 titles", SuggestionsSchema),
                    "400": json_content("q is missing", InvalidSchema),
                    "503": json_content("The search engine is unavailable", ErrorSchema),
                },
            }
        },
    )
