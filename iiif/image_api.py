"""IIIF Image API 3.0 (level 2) over the stored originals and their derivative pyramids."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the Image API endpoints."""
