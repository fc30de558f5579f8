"""What every Presentation and Change Discovery response shares: absolute ids and JSON-LD answers.

IIIF documents are read by viewers and harvesters on other sites, so every id is an absolute
URL (``BASE_URL`` when configured, else the host the request came to), every answer allows any
origin, and a validator (ETag) lets clients revalidate without downloading again.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, request, url_for

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
DISCOVERY_CONTEXT = "http://iiif.io/api/discovery/1/context.json"
PRESENTATION_TYPE = f'application/ld+json;profile="{PRESENTATION_CONTEXT}"'
DISCOVERY_TYPE = 'application/ld+json;profile="https://www.w3.org/ns/activitystreams"'

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


def json_ld_response(
    body: str | bytes, content_type: str, etag: str | None = None, status: int = 200
) -> Response:
    """A JSON-LD answer that any site may read, answered with 304 when the client has it already.

    Without an explicit ``etag`` the digest of the body serves as one.
    """
    data = body.encode() if isinstance(body, str) else body
    response = Response(data, status=status, content_type=content_type)
    response.headers["Access-Control-Allow-Origin"] = "*"
    if status == 200:
        response.set_etag(etag or hashlib.sha256(data).hexdigest()[:32])
        response.cache_control.public = True
        response.cache_control.no_cache = True  # revalidate each time: records change
        response.make_conditional(request)
    return response
