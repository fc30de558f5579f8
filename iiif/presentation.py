"""IIIF Presentation API 3.0 manifests and collections, and the Change Discovery API 1.0."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the Presentation and Change Discovery endpoints."""
