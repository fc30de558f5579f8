"""Indexing and faceted search over the published records."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the search backends and pages (none yet)."""
