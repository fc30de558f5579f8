"""The search results as a record source (``repository.record_sources``), so the exports in
``interop`` can write out "this search, with its filters" without importing this package.

The source parses the same arguments as the search page, then walks every match with the
``after`` cursor, one page of ids at a time, in the page's order; what it yields are only
public ids, which the export reads again from the database (published records only).
Harvested records never come out: the search is kept to contributed records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from flask import Flask
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from repository.errors import HuikuError
from repository.messages import Message
from repository.profiles.validation import flatten_errors
from repository.record_sources import FoundRecords, register_record_source
from search.documents import KIND_FIELD
from search.engine import search_backend
from search.harvested import HARVESTED
from search.query import SearchRequest
from search.request_schema import parse_search_args
from search.service import UnknownCollection, public_collection_labels

SOURCE = "search"
PAGE = 500  # ids per request to the engine while an export reads the matches


class SearchArgumentsInvalid(HuikuError):
    status = 400


def _request(arguments: Mapping[str, list[str]]) -> SearchRequest:
    try:
        parsed = parse_search_args(MultiDict(list(_pairs(arguments))))
    except ValidationError as error:
        problems = [(name, m) for name, ms in flatten_errors(error.messages).items() for m in ms]
        en = "; ".join(f"{name}: {m}" for name, m in problems)
        zh = "；".join(f"{name}：{getattr(m, 'zh', m)}" for name, m in problems)
        message = Message("invalid search: {problems}").format(problems=Message.pair(en, zh))
        raise SearchArgumentsInvalid(message) from None
    if parsed.collection and parsed.collection not in public_collection_labels():
        raise SearchArgumentsInvalid(UnknownCollection(parsed.collection).message)
    # Harvested records are other repositories' and never exported as this one's: whatever
    # the source filter, they are left out of the matches and of their count.
    without = {KIND_FIELD: (HARVESTED,)}
    return replace(parsed, without=without, page=1, per_page=PAGE, after=None, facet_size=0)


def _pairs(arguments: Mapping[str, list[str]]) -> Iterator[tuple[str, str]]:
    for name, values in arguments.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            yield name, str(value)


def matching_records(arguments: Mapping[str, list[str]]) -> FoundRecords:
    request = _request(arguments)
    backend = search_backend()
    first = backend.search(request)

    def ids() -> Iterator[str]:
        result = first
        while True:
            for hit in result.hits:
                yield hit.id
            if result.next_after is None or not result.hits:
                return
            result = backend.search(replace(request, after=result.next_after))

    scope = (request.collection,) if request.collection else None
    return FoundRecords(total=first.total, public_ids=ids(), collections=scope)


def register(app: Flask) -> None:
    register_record_source(app, SOURCE, matching_records)
