"""The search page, the JSON search API and title suggestions: parse, search, render."""

from __future__ import annotations

from typing import Any

import orjson
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from repository.i18n import current_locale, localize
from repository.messages import Message
from repository.profiles.validation import flatten_errors
from search.backends import SearchUnavailable
from search.documents import OWN_SOURCE, SOURCE_FACET
from search.engine import search_backend
from search.harvested import is_harvested_id
from search.query import CursorInvalid, Hit, Origin, encode_cursor
from search.record_page import field_links, related_records
from search.request_schema import parse_search_args
from search.schemas import MAX_SUGGEST_PREFIX, SuggestArgsSchema
from search.service import SearchOutcome, UnknownCollection, search_records

blueprint = Blueprint("search", __name__)

#: parameters the API takes only with a value (the search page treats an empty one as absent)
_NOT_EMPTY = ("f", "from", "to", "sort", "page", "per_page", "after")


@blueprint.app_template_global()
def search_url(*, toggle: str | None = None, drop: tuple[str, ...] = (), **changes: Any) -> str:
    """This search's URL with a filter toggled, parameters dropped or changed (page reset)."""
    args = MultiDict(request.args)
    if toggle is not None:
        name, _, value = toggle.partition(":")
        sources = args.getlist(SOURCE_FACET)
        if name == SOURCE_FACET and value in sources:  # chosen as ?source=slug
            args.setlist(SOURCE_FACET, [s for s in sources if s != value])
        else:
            filters = args.getlist("f")
            filters = (
                [f for f in filters if f != toggle] if toggle in filters else [*filters, toggle]
            )
            args.setlist("f", filters)
    for key in drop:
        args.pop(key, None)
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("search.search_page", **args.to_dict(flat=False))


@blueprint.app_template_global()
def export_arguments() -> MultiDict:
    """This search's parameters for its export links: a ``source`` chosen as ``?source=slug``
    goes as the facet filter ``f=source:slug`` (the export's address has its own source)."""
    args = MultiDict(request.args)
    chosen = args.poplist(SOURCE_FACET)
    for slug in chosen:
        args.add("f", f"{SOURCE_FACET}:{slug}")
    return args


@blueprint.app_context_processor
def record_page_helpers() -> dict[str, Any]:
    """Field values as search links and related records, for the core's record page."""
    return {"search_field_links": field_links, "related_records": related_records}


@blueprint.route("/search")
def search_page() -> tuple[str, int]:
    locale = current_locale()
    try:
        search_request = parse_search_args(request.args)
        outcome = search_records(search_backend(), search_request, locale)
    except ValidationError as error:
        return _page(errors=_localized_errors(error), status=400)
    except UnknownCollection as error:
        return _page(errors={"collection": [localize(error.message)]}, status=404)
    except CursorInvalid as error:
        return _page(errors={"after": [localize(error.message)]}, status=400)
    except SearchUnavailable:
        return _page(unavailable=True, status=503)
    return _page(outcome=outcome, status=200)


def _page(
    *,
    outcome: SearchOutcome | None = None,
    errors: dict[str, list[str]] | None = None,
    unavailable: bool = False,
    status: int,
) -> tuple[str, int]:
    html = render_template(
        "search/results.html",
        outcome=outcome,
        errors=errors or {},
        unavailable=unavailable,
        q=request.args.get("q", ""),
    )
    return html, status


def _localized_errors(error: ValidationError) -> dict[str, list[str]]:
    return {key: [localize(m) for m in ms] for key, ms in flatten_errors(error.messages).items()}


def _bilingual_errors(error: ValidationError) -> dict[str, list[dict[str, str]]]:
    return {
        key: [{"en": str(m), "zh": getattr(m, "zh", str(m))} for m in messages]
        for key, messages in flatten_errors(error.messages).items()
    }


def _bilingual(message: Message) -> dict[str, str]:
    return {"en": str(message), "zh": message.zh}


def _invalid(error: str, errors: dict[str, list[Message]]) -> tuple[Response, int]:
    """The search API's 400: ``error`` and each bad parameter's bilingual messages."""
    bad = {name: [_bilingual(m) for m in messages] for name, messages in errors.items()}
    return jsonify(error=error, errors=bad), 400


def _empty_parameters() -> dict[str, list[Message]]:
    return {
        name: [Message("{name} is empty").format(name=name)]
        for name in _NOT_EMPTY
        if "" in request.args.getlist(name)
    }


@blueprint.route("/api/search")
def search_api() -> Response | tuple[Response, int]:
    locale = current_locale()
    if empty := _empty_parameters():
        return _invalid("invalid search", empty)
    try:
        search_request = parse_search_args(request.args)
        outcome = search_records(search_backend(), search_request, locale)
    except ValidationError as error:
        return jsonify(error="invalid search", errors=_bilingual_errors(error)), 400
    except UnknownCollection as error:
        return jsonify(error=str(error.message), message=localize(error.message)), 404
    except CursorInvalid as error:
        message = {"en": str(error.message), "zh": error.message.zh}
        return jsonify(error="invalid search", errors={"after": [message]}), 400
    return _json_answer(search_document(outcome, locale))


def _json_answer(document: dict[str, Any]) -> Response:
    """Compact UTF-8 JSON with the keys in the order they are written, by orjson: a tenth of
    the time the standard library (and ``jsonify``'s sorted keys) takes for a page of hits."""
    text = orjson.dumps(
        document,
        default=current_app.json.default,
        option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS,
    )
    return current_app.response_class(text, mimetype="application/json")


def search_document(outcome: SearchOutcome, locale: str) -> dict[str, Any]:
    """The API's answer: the request as understood, the hits and the facets."""
    search_request, result = outcome.request, outcome.result
    urls = _RecordUrls.here()
    return {
        "query": {
            "q": search_request.text,
            "filters": {name: list(values) for name, values in search_request.filters.items()},
            "collection": search_request.collection,
            "from": search_request.year_from,
            "to": search_request.year_to,
            "sort": search_request.effective_sort.value,
            "page": search_request.page if search_request.after is None else None,
            "per_page": search_request.per_page,
        },
        "total": result.total,
        "hits": [_hit_document(hit, outcome, locale, urls) for hit in result.hits],
        "facets": [
            {
                "name": facet.name,
                "label": facet.label,
                "values": [
                    {
                        "value": option.value,
                        "label": option.label,
                        "count": option.count,
                        "selected": option.selected,
                    }
                    for option in facet.options
                ],
            }
            for facet in outcome.facets
        ],
        "next_after": encode_cursor(result.next_after),
        "notices": [{"en": str(m), "zh": m.zh} for m in outcome.notices],
        "relaxed": outcome.relaxed,
        "did_you_mean": outcome.did_you_mean,
        "years": [{"start": b.start, "end": b.end, "count": b.count} for b in outcome.years],
    }


def _hit_document(hit, outcome: SearchOutcome, locale: str, urls: _RecordUrls) -> dict[str, Any]:
    if hit.harvested:
        return _harvested_hit_document(hit, outcome, urls)
    collection = outcome.collections.get(hit.collection)
    return {
        "id": hit.id,
        "title": hit.title,
        "title_html": str(hit.title_html),
        "snippet": str(hit.snippet),
        "collection": hit.collection,
        "collection_title": collection.title(locale) if collection else hit.collection,
        "library": hit.libraries[0] if hit.libraries else None,
        "libraries": list(hit.libraries),
        "local_id": hit.local_id,
        "years": [hit.year_start, hit.year_end] if hit.year_start is not None else None,
        "thumbnail": urls.thumbnail(hit.thumbnail) if hit.thumbnail else None,
        "url": urls.page(hit.id),
        "json_url": urls.json(hit.id),
        "kind": hit.kind,
        "source": OWN_SOURCE,
        "also_in": [_origin_document(origin, outcome) for origin in hit.origins],
    }


def _harvested_hit_document(hit: Hit, outcome: SearchOutcome, urls: _RecordUrls) -> dict[str, Any]:
    """A harvested record's hit: its page here, its source and its original page there."""
    origin = hit.origins[0] if hit.origins else None
    return {
        "id": hit.id,
        "title": hit.title,
        "title_html": str(hit.title_html),
        "snippet": str(hit.snippet),
        "collection": None,
        "collection_title": None,
        "library": hit.libraries[0] if hit.libraries else None,
        "libraries": list(hit.libraries),
        "local_id": hit.local_id,
        "years": [hit.year_start, hit.year_end] if hit.year_start is not None else None,
        "thumbnail": hit.thumbnail_url,
        "url": urls.harvested(hit.id),
        "json_url": None,
        "kind": hit.kind,
        "source": origin.source if origin else None,
        "source_name": source_name(origin, outcome) if origin else None,
        "original_url": origin.url if origin else None,
        "also_in": [],
    }


def _origin_document(origin: Origin, outcome: SearchOutcome) -> dict[str, Any]:
    return {
        "id": origin.id,
        "source": origin.source,
        "source_name": source_name(origin, outcome),
        "url": origin.url,
    }


@blueprint.app_template_global()
def source_name(origin: Origin, outcome: SearchOutcome) -> str:
    """The source's name as it is now, or as it was when the record was indexed."""
    return outcome.sources.get(origin.source) or origin.name


class _RecordUrls:
    """A hit's absolute URLs, from templates built once per address the app is reached at
    (scheme, host and prefix) rather than per hit or per answer."""

    _SLOT = "HUIKUSLOT"
    #: (id of the app, root URL) → (the app, its templates); the app is kept so that an id
    #: reused by a later app is never taken for it
    _made: dict[tuple[int, str], tuple[Flask, _RecordUrls]] = {}

    @classmethod
    def here(cls) -> _RecordUrls:
        app = current_app._get_current_object()
        key = (id(app), request.url_root)
        made = cls._made.get(key)
        if made is None or made[0] is not app:
            if len(cls._made) > 64:  # hosts named by clients: keep a few
                cls._made.clear()
            made = cls._made[key] = (app, cls())
        return made[1]

    def __init__(self) -> None:
        self._page = url_for("public.record", public_id=self._SLOT, _external=True)
        self._json = url_for("public.record_json", public_id=self._SLOT, _external=True)
        self._thumbnail = url_for("ingest.thumbnail", asset_id=self._SLOT, size=200, _external=True)
        self._harvested = ""  # made when a harvested hit first needs it

    def page(self, record_id: str) -> str:
        return self._page.replace(self._SLOT, record_id)

    def json(self, record_id: str) -> str:
        return self._json.replace(self._SLOT, record_id)

    def harvested(self, public_id: str) -> str:
        if not self._harvested:
            self._harvested = url_for(
                "public.harvested_record", public_id=self._SLOT, _external=True
            )
        return self._harvested.replace(self._SLOT, public_id)

    def thumbnail(self, asset_id: str) -> str:
        return self._thumbnail.replace(self._SLOT, asset_id)


@blueprint.route("/api/suggest")
def suggest_api() -> Response | tuple[Response, int]:
    try:
        args = SuggestArgsSchema().load(request.args.to_dict())
    except ValidationError as error:
        return _invalid("invalid suggestion request", flatten_errors(error.messages))
    prefix = args["q"][:MAX_SUGGEST_PREFIX]
    collection = args["collection"] or None
    suggestions = search_backend().suggest(prefix, collection=collection) if prefix else []
    return jsonify(
        suggestions=[
            {
                "id": s.id,
                "title": s.title,
                "collection": s.collection,
                "url": url_for(
                    "public.harvested_record" if is_harvested_id(s.id) else "public.record",
                    public_id=s.id,
                ),
            }
            for s in suggestions
        ]
    )
