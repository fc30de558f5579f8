"""IIIF for the published records: Image API 3.0 and Presentation API 3.0 with change discovery.

URLs: images at ``/iiif/image/3/<asset id>``, manifests at ``/iiif/3/manifests/<record id>``,
collections under ``/iiif/3/collections/``, change discovery under ``/iiif/discovery/``.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

from iiif.presentation_http import allow_cross_origin

#: Where the IIIF APIs live; every answer under them may be read by any site.
API_PREFIXES = ("/iiif/3/", "/iiif/image/", "/iiif/discovery/")


def init_app(app: Flask) -> None:
    from iiif import image_api, presentation

    image_api.init_app(app)
    presentation.init_app(app)
    app.after_request(_cross_origin)


def _cross_origin(response: Response) -> Response:
    """By path rather than per blueprint, so a URL no route matched (a 404, a 405) is covered."""
    if request.path.startswith(API_PREFIXES):
        allow_cross_origin(response)
    return response
