"""Harvest tasks: checking a source, running a harvest under a lease, starting due runs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the harvest run as a leased job kind, so recovery takes up a killed run."""
