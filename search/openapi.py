"""The OpenAPI description of the search endpoints (assembled by repository.openapi)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range

from search.documents import facet_names
from search.query import MAX_PER_PAGE
from search.request_schema import Cursor, FacetFilter, SearchArgsSchema

#: what ``search.request_schema.FacetFilter`` accepts: a known facet name, a colon and a value of
#: 1–200 characters, spaces around each part ignored
FACET_VALUE = r"\S(?:[\s\S]{0,198}\S)?"

#: what each parameter means; its type and bounds come from ``SearchArgsSchema``, the parser
DESCRIPTIONS = {
    "q": 'Words (all must match), "quoted phrases", and -word to exclude. Traditional and '
    "simplified characters match each other; Han words match as contiguous characters.",
    "f": "A facet filter `name:value`; repeat it. Values of one facet combine with OR, "
    "facets with AND. Facet names: {facets}",
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


def field_schema(field: fields.Field) -> dict[str, Any]:
    """The JSON Schema of a query parameter, from its marshmallow field and validators."""
    if isinstance(field, fields.List):
        schema: dict[str, Any] = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, FacetFilter):
        schema = {"type": "string", "pattern": facet_filter_pattern()}
    elif isinstance(field, fields.Integer):
        schema = {"type": "integer"}
    else:
        schema = {"type": "string"}
    if isinstance(field, Cursor):
        schema["minLength"] = 1  # the API refuses an empty one (search.views)
    array = schema["type"] == "array"
    for validator in field.validators:
        if isinstance(validator, Range):
            schema.update(minimum=validator.min, maximum=validator.max)
        elif isinstance(validator, Length) and validator.max is not None:
            schema["maxItems" if array else "maxLength"] = validator.max
        elif isinstance(validator, OneOf):
            schema["enum"] = list(validator.choices)
    return schema


def search_parameters() -> list[dict[str, Any]]:
    """The query parameters of /api/search, one per field of the schema that parses them."""
    facets = ", ".join(sorted(facet_names()))
    parameters = []
    for attribute, field in SearchArgsSchema().fields.items():
        name = field.data_key or attribute
        description = DESCRIPTIONS[name].format(facets=facets, max_per_page=MAX_PER_PAGE)
        parameter = _parameter(name, description, field_schema(field))
        if isinstance(field, fields.List):
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


def _parameter(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


def search_api_description() -> dict[str, Any]:
    text = {"type": "string"}
    nullable_text = {"type": ["string", "null"]}
    parameters = search_parameters()
    hit = {
        "type": "object",
        "required": ["id", "title", "collection", "library", "local_id", "url", "json_url"],
        "properties": {
            "id": {"type": "string", "description": "the record's public id"},
            "title": text,
            "title_html": {"type": "string", "description": "title with <mark> around matches"},
            "snippet": {"type": "string", "description": "HTML passage with <mark> matches"},
            "collection": {"type": "string", "description": "collection slug"},
            "collection_title": text,
            "library": {"type": "string", "description": "code of the owning library"},
            "libraries": {"type": "array", "items": text},
            "local_id": {"type": "string", "description": "the owning library's own id"},
            "years": {
                "type": ["array", "null"],
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 2,
            },
            "thumbnail": {"type": ["string", "null"], "format": "uri"},
            "url": {"type": "string", "format": "uri"},
            "json_url": {"type": "string", "format": "uri"},
        },
    }
    facet = {
        "type": "object",
        "required": ["name", "label", "values"],
        "properties": {
            "name": {"type": "string", "enum": sorted(facet_names())},
            "label": text,
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["value", "label", "count", "selected"],
                    "properties": {
                        "value": text,
                        "label": text,
                        "count": {"type": "integer", "minimum": 0},
                        "selected": {"type": "boolean"},
                    },
                },
            },
        },
    }
    message = {
        "type": "object",
        "required": ["en", "zh"],
        "properties": {"en": text, "zh": text},
    }
    result = {
        "type": "object",
        "required": ["query", "total", "hits", "facets", "next_after", "notices"],
        "properties": {
            "query": {"type": "object"},
            "total": {"type": "integer", "minimum": 0},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
            "facets": {"type": "array", "items": {"$ref": "#/components/schemas/SearchFacet"}},
            "next_after": nullable_text,
            "notices": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
        },
    }
    invalid = {
        "type": "object",
        "required": ["error", "errors"],
        "properties": {
            "error": text,
            "errors": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Message"},
                },
            },
        },
    }
    suggestions = {
        "type": "object",
        "required": ["suggestions"],
        "properties": {
            "suggestions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "collection", "url"],
                    "properties": {"id": text, "title": text, "collection": text, "url": text},
                },
            }
        },
    }

    def json_response(description: str, schema: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }

    return {
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search the published records of every collection",
                    "operationId": "search",
                    "tags": ["search"],
                    "parameters": parameters,
                    "responses": {
                        "200": json_response("Hits, facets with counts, a cursor", "SearchResult"),
                        "400": json_response("A parameter is wrong; each is named", "Invalid"),
                        "404": json_response("No such public collection", "Error"),
                        "503": json_response("The search engine is unavailable", "Error"),
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "summary": "Titles containing what was typed so far",
                    "operationId": "suggest",
                    "tags": ["search"],
                    "parameters": [
                        _parameter(
                            "q",
                            "The text typed so far (only its first 50 characters count; "
                            "empty suggests nothing)",
                            text,
                            required=True,
                        ),
                        _parameter("collection", "Only this collection (slug)", text),
                    ],
                    "responses": {
                        "200": json_response("Up to 8 titles", "Suggestions"),
                        "400": json_response("q is missing", "Invalid"),
                        "503": json_response("The search engine is unavailable", "Error"),
                    },
                }
            },
        },
        "schemas": {
            "SearchResult": result,
            "SearchHit": hit,
            "SearchFacet": facet,
            "Message": message,
            "Invalid": invalid,
            "Suggestions": suggestions,
        },
    }
