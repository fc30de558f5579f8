"""Which backend this app searches with, chosen once from the configuration."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from search.backends import SearchBackend
from search.backends.elasticsearch import ElasticsearchBackend
from search.backends.embedded import EmbeddedBackend

EXTENSION = "huiku.search"
_opening = threading.Lock()


def open_configured_backend(app: Flask) -> SearchBackend:
    """Elasticsearch when ``ELASTICSEARCH_URL`` is set, otherwise the embedded SQLite index."""
    url = app.config.get("ELASTICSEARCH_URL")
    if url:
        return ElasticsearchBackend(
            url,
            index=app.config["ELASTICSEARCH_INDEX"],
            timeout=float(app.config["ELASTICSEARCH_TIMEOUT"]),
        )
    return EmbeddedBackend(app.config["SEARCH_INDEX_PATH"])


def search_backend(app: Flask | None = None) -> SearchBackend:
    """The app's backend, opened on first use (so a down engine never stops the app starting)."""
    app = app or current_app._get_current_object()
    backend = app.extensions.get(EXTENSION)
    if backend is None:
        with _opening:
            backend = app.extensions.get(EXTENSION)
            if backend is None:
                backend = app.extensions[EXTENSION] = open_configured_backend(app)
    return backend


def use_backend(app: Flask, backend: SearchBackend | None) -> None:
    """Replace the app's backend (tests, a reconfigured instance); None reopens from config."""
    if backend is None:
        app.extensions.pop(EXTENSION, None)
    else:
        app.extensions[EXTENSION] = backend


def backend_kind(backend: SearchBackend) -> str:
    return "elasticsearch" if isinstance(backend, ElasticsearchBackend) else "embedded"
