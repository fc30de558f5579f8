"""IIIF Image API 3.0 and Presentation API 3.0 for the published records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the IIIF endpoints (none yet)."""
