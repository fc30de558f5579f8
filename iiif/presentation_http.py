"""What every Presentation and Change Discovery response shares: absolute ids and JSON-LD answers.

IIIF documents are read by viewers and harvesters on other sites, so every id is an absolute
URL (``BASE_URL`` when configured, else the host the request came to), every answer (errors and
CORS preflights included) allows any origin, and a validator (ETag) lets clients revalidate
without downloading again.

The media type is negotiated as Presentation 3.0 §6.3 asks: JSON-LD with the profile unless the
client's ``Accept`` prefers plain ``application/json``, which it then gets (same body). Both
forms carry ``Vary: Accept`` and distinct ETags, so a shared cache never hands one to a client
that asked for the other.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, request, url_for
from werkzeug.datastructures import HeaderSet, MIMEAccept
from werkzeug.http import parse_set_header

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
DISCOVERY_CONTEXT = "http://iiif.io/api/discovery/1/context.json"
PRESENTATION_TYPE = f'application/ld+json;profile="{PRESENTATION_CONTEXT}"'
DISCOVERY_TYPE = 'application/ld+json;profile="https://www.w3.org/ns/activitystreams"'

PLAIN_JSON = "application/json"
#: Headers a script on another site may read from a cross-origin answer.
EXPOSED_HEADERS = "Link, ETag, Last-Modified"

#: Path of the Image API service of an asset (served by ``iiif.image_api``), below the root.
IMAGE_SERVICE_PATH = "/iiif/image/3/{asset_id}"


def public_root() -> str:
    """Scheme, host and path prefix that public ids start with, without a trailing slash."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/")


def absolute_url(endpoint: str, **values: object) -> str:
    """The public URL of an endpoint, under ``BASE_URL`` when that is set."""
    path = url_for(endpoint, **values)
    return public_root() + path.removeprefix(request.script_root)


def image_service_url(asset_id: str) -> str:
    return public_root() + IMAGE_SERVICE_PATH.format(asset_id=asset_id)


class SharedResponse(Response):
    """A response that is the same for every reader, whatever their cookies.

    Flask adds ``Vary: Cookie`` whenever anything touched the session during the request (the
    login extension does, on every request), which would make shared caches keep one copy per
    cookie. Nothing public here depends on the session, so that addition is dropped.
    """

    @property
    def vary(self) -> HeaderSet:
        def keep_all_but_cookie(values: HeaderSet) -> None:
            kept = [value for value in values if value.lower() != "cookie"]
            if kept:
                self.headers["Vary"] = ", ".join(kept)
            else:
                self.headers.pop("Vary", None)

        return parse_set_header(self.headers.get("Vary"), on_update=keep_all_but_cookie)


def negotiated_type(json_ld_type: str) -> str:
    """``json_ld_type`` unless the client's ``Accept`` ranks ``application/json`` higher.

    The profile parameter of an ``application/ld+json`` range is ignored in the comparison
    (werkzeug would not match it at all); a specific range outranks ``*/*`` and ``application/*``.
    """
    return PLAIN_JSON if prefers_plain_json(request.accept_mimetypes) else json_ld_type


def prefers_plain_json(accept: MIMEAccept) -> bool:
    """Whether an ``Accept`` header ranks ``application/json`` above JSON-LD."""
    if not accept:
        return False
    return _quality(accept, PLAIN_JSON) > _quality(accept, "application/ld+json")


def _quality(accept: MIMEAccept, media_type: str) -> float:
    specific: float | None = None
    wildcard = 0.0
    for value, quality in accept:
        base = value.split(";", 1)[0].strip().lower()
        if base == media_type:
            specific = max(specific or 0.0, quality)
        elif base in ("*/*", "application/*"):
            wildcard = max(wildcard, quality)
    return specific if specific is not None else wildcard


def variant_etag(etag: str, content_type: str) -> str:
    """The ETag of the form sent: the plain JSON form's differs, as its headers do."""
    return f"{etag}-json" if content_type == PLAIN_JSON else etag


def json_ld_response(
    body: str | bytes, content_type: str, etag: str | None = None, status: int = 200
) -> Response:
    """A JSON-LD answer that any site may read, answered with 304 when the client has it already.

    Without an explicit ``etag`` the digest of the body serves as one. ``content_type`` is the
    JSON-LD type; a client preferring plain JSON gets that instead.
    """
    data = body.encode() if isinstance(body, str) else body
    chosen = negotiated_type(content_type)
    response = SharedResponse(data, status=status, content_type=chosen)
    response.vary.add("Accept")
    if status == 200:
        response.set_etag(variant_etag(etag or hashlib.sha256(data).hexdigest()[:32], chosen))
        response.cache_control.public = True
        response.cache_control.no_cache = True  # revalidate each time: records change
        response.make_conditional(request)
    return response


def allow_cross_origin(response: Response) -> Response:
    """Any site may read the answer; a CORS preflight learns what it may send, for a day.

    Applied after every request under the IIIF paths (``iiif.init_app``), so it covers errors,
    304s and the ``OPTIONS`` answers Flask makes by itself, which no view sees.
    """
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers")
        if asked:
            response.headers["Access-Control-Allow-Headers"] = asked
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
