"""Reading a search from URL parameters (the page and the API share them).

``q`` text · ``f`` facet filter as ``name:value`` (repeatable) · ``source`` a harvest source's
slug or ``huiku`` (repeatable; the same as ``f=source:…``) · ``collection`` scope ·
``from``/``to`` years · ``sort`` · ``page`` · ``per_page`` (API) · ``after`` cursor (API).
Every error is a bilingual message naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length, OneOf, Range
from werkzeug.datastructures import MultiDict

from repository.messages import Message
from search.documents import SOURCE_FACET, facet_names
from search.query import MAX_PER_PAGE, CursorInvalid, SearchRequest, Sort, decode_cursor

MAX_FILTERS = 30
YEARS = Range(-3000, 3000)


class FacetFilter(fields.String):
    """``name:value`` with a known facet name."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> tuple[str, str]:
        text = super()._deserialize(value, attr, data, **kwargs)
        name, separator, chosen = text.partition(":")
        name, chosen = name.strip(), chosen.strip()
        if not separator or not chosen:
            raise ValidationError(
                Message("filter {text!r} must be written name:value, e.g. kingdom:植物").format(
                    text=text[:60]
                )
            )
        if name not in facet_names():
            raise ValidationError(
                Message("there is no facet {name!r}; facets are: {known}").format(
                    name=name[:40], known=", ".join(sorted(facet_names()))
                )
            )
        if len(chosen) > 200:
            raise ValidationError(Message("a filter value is too long"))
        return name, chosen


class Cursor(fields.String):
    """The opaque ``next_after`` token of a previous answer."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> tuple[Any, ...]:
        try:
            return decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        except CursorInvalid as error:
            raise ValidationError(error.message) from None


def _integer(name: str, validate: Range) -> fields.Integer:
    bounds = {"min": validate.min, "max": validate.max}
    return fields.Integer(
        data_key=name,
        load_default=None,
        strict=False,
        validate=Range(
            **bounds,
            error=Message("{name} must be between {low} and {high}").format(
                name=name, low=validate.min, high=validate.max
            ),
        ),
        error_messages={
            "invalid": Message("{name} must be a whole number").format(name=name),
        },
    )


class SearchArgsSchema(Schema):
    q = fields.String(load_default="")
    f = fields.List(
        FacetFilter(),
        load_default=list,
        validate=Length(
            max=MAX_FILTERS,
            error=Message("at most {count} filters at once").format(count=MAX_FILTERS),
        ),
    )
    source = fields.List(
        fields.String(
            validate=Length(
                min=1,
                max=200,
                error=Message("a source is 1–200 characters"),
            )
        ),
        load_default=list,
    )
    collection = fields.String(load_default=None, validate=Length(max=64))
    year_from = _integer("from", YEARS)
    year_to = _integer("to", YEARS)
    sort = fields.String(
        load_default=Sort.RELEVANCE.value,
        validate=OneOf(
            [s.value for s in Sort],
            error=Message("sort must be one of: {choices}").format(
                choices=Message.pair(
                    ", ".join(s.value for s in Sort), "、".join(s.value for s in Sort)
                )
            ),
        ),
    )
    page = _integer("page", Range(1, 1_000_000))
    per_page = _integer("per_page", Range(0, MAX_PER_PAGE))
    after = Cursor(load_default=None)

    @validates_schema
    def _years_in_order(self, data: dict[str, Any], **kwargs) -> None:
        start, end = data.get("year_from"), data.get("year_to")
        if start is not None and end is not None and start > end:
            raise ValidationError(
                Message("the year range starts after it ends ({start}–{end})").format(
                    start=start, end=end
                ),
                "from",
            )

    @post_load
    def _to_request(self, data: dict[str, Any], **kwargs) -> SearchRequest:
        filters: dict[str, list[str]] = {}
        chosen = [*data["f"], *((SOURCE_FACET, slug.strip()) for slug in data["source"])]
        for name, value in chosen:
            if value not in filters.setdefault(name, []):
                filters[name].append(value)
        return SearchRequest(
            text=data["q"],
            filters={name: tuple(values) for name, values in filters.items()},
            collection=data["collection"] or None,
            year_from=data["year_from"],
            year_to=data["year_to"],
            sort=Sort(data["sort"]),
            page=data["page"] or 1,
            per_page=20 if data["per_page"] is None else data["per_page"],
            after=data["after"],
        )


def parse_search_args(args: MultiDict | Mapping[str, Any]) -> SearchRequest:
    """A SearchRequest, or ``ValidationError`` whose messages map parameter → messages."""
    data: dict[str, Any] = {}
    for key in ("q", "collection", "from", "to", "sort", "page", "per_page", "after"):
        value = args.get(key)
        if value not in (None, ""):
            data[key] = value
    for key in ("f", "source"):
        if isinstance(args, MultiDict):
            data[key] = [value for value in args.getlist(key) if value]
        elif args.get(key):
            data[key] = list(args[key]) if isinstance(args[key], list | tuple) else [args[key]]
    return _SCHEMA.load(data)


#: One schema for every request: making one copies all its fields, which costs more than
#: reading the parameters; loading keeps no state in the schema.
_SCHEMA = SearchArgsSchema()
