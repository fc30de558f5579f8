"""IIIF for the published records: Image API 3.0 and Presentation API 3.0 with change discovery.

URLs: images at ``/iiif/image/3/<asset id>``, manifests at ``/iiif/3/manifests/<record id>``,
collections under ``/iiif/3/collections/``, change discovery under ``/iiif/discovery/``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from iiif import image_api, presentation

    image_api.init_app(app)
    presentation.init_app(app)
