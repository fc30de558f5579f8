"""Which backend this app searches with, chosen once from the configuration.

Opening a backend never fails: settings that cannot work (a missing CA file, a malformed
fingerprint) give a backend that answers every call with SearchUnavailable, so pages are served
and only search says it is unavailable. When the app starts, the engine is tried once
(``check_at_start``): a refused credential or an unreachable node is logged at once, naming the
setting to look at, instead of surfacing on the first search.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from flask import Flask, current_app

from search.backends import Deletion, IndexStatus, SearchBackend, SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend
from search.backends.embedded import EmbeddedBackend
from search.documents import Document
from search.query import Hit, SearchRequest, SearchResult, Suggestion
from search.related import SharedValue
from search.settings import SettingError, elasticsearch_settings

log = logging.getLogger(__name__)

EXTENSION = "huiku.search"
START_CHECK = "huiku.search.start-check"
#: The start-up check waits at most this long for a node, whatever ELASTICSEARCH_TIMEOUT says.
START_CHECK_TIMEOUT = 3.0
_opening = threading.Lock()


class MisconfiguredBackend:
    """Stands in for Elasticsearch when its settings cannot work: every call says why."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return f"MisconfiguredBackend({self.problem!r})"

    def _refuse(self) -> SearchUnavailable:
        return SearchUnavailable(f"Elasticsearch settings: {self.problem}")

    def ensure_index(self) -> None:
        raise self._refuse()

    def apply(
        self,
        documents: Iterable[Document],
        deletions: Iterable[Deletion] = (),
        *,
        refresh: bool = False,
    ) -> None:
        raise self._refuse()

    def rebuild(self, documents: Iterable[Document]) -> int:
        raise self._refuse()

    def search(self, request: SearchRequest) -> SearchResult:
        raise self._refuse()

    def related(
        self, record_id: str, collection: str, shared: Sequence[SharedValue], limit: int
    ) -> list[Hit]:
        raise self._refuse()

    def suggest(
        self, prefix: str, collection: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        raise self._refuse()

    def status(self) -> IndexStatus:
        raise self._refuse()

    def ids(self) -> set[str]:
        raise self._refuse()

    def drop(self) -> None:
        raise self._refuse()

    def check(self) -> None:
        raise self._refuse()


def open_configured_backend(app: Flask) -> SearchBackend:
    """Elasticsearch when ``ELASTICSEARCH_URL`` is set, otherwise the embedded SQLite index."""
    try:
        settings = elasticsearch_settings(app.config)
    except SettingError as error:
        return MisconfiguredBackend(str(error))
    if settings is not None:
        return ElasticsearchBackend(settings=settings)
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
    return "embedded" if isinstance(backend, EmbeddedBackend) else "elasticsearch"


@dataclass(frozen=True)
class StartCheck:
    """What trying the engine at start-up found; ``problem`` is empty when all was well."""

    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def check_at_start(app: Flask) -> StartCheck | None:
    """Try Elasticsearch once as the app starts; log what is wrong, never raise.

    Nothing is tried for the embedded backend or with ``ELASTICSEARCH_CHECK_AT_START`` off. The
    outcome is kept for ``huiku search status``. The app starts either way: pages are served,
    search says it is unavailable until the engine answers.
    """
    if not app.config.get("ELASTICSEARCH_URL") or not app.config.get(
        "ELASTICSEARCH_CHECK_AT_START", True
    ):
        return None
    try:
        settings = elasticsearch_settings(app.config)
        assert settings is not None  # a URL is set
        quick = replace(settings, timeout=min(settings.timeout, START_CHECK_TIMEOUT))
        probe = ElasticsearchBackend(settings=quick)
        try:
            probe.check()
        finally:
            probe.close()
        outcome = StartCheck()
    except SettingError as error:
        outcome = StartCheck(problem=f"Elasticsearch settings: {error}")
    except SearchUnavailable as error:
        outcome = StartCheck(problem=error.detail)
    if not outcome.ok:
        log.error("search unavailable at start-up: %s", outcome.problem)
    app.extensions[START_CHECK] = outcome
    return outcome


def start_check(app: Flask | None = None) -> StartCheck | None:
    """The outcome of the start-up check, if one ran."""
    return (app or current_app).extensions.get(START_CHECK)
