"""Search backends for tests: every contract test runs against each of them.

Each backend gets its own index (Elasticsearch) or file (embedded), dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search.backends import SearchBackend
from tests.conftest import service_url

BACKENDS = ("embedded", "elasticsearch")


def open_backend(kind: str, directory: Path) -> SearchBackend:
    if kind == "embedded":
        from search.backends.embedded import EmbeddedBackend

        return EmbeddedBackend(directory / f"search-{uuid.uuid4().hex[:8]}.sqlite3")
    url = service_url("HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch")
    if not url:
        pytest.skip("no Elasticsearch (set HUIKU_TEST_ELASTICSEARCH_URL)")
    from search.backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend(url, index=f"huiku-test-{uuid.uuid4().hex[:10]}")


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def new_backend(backend_kind: str, tmp_path: Path) -> Iterator[Callable[[], SearchBackend]]:
    """Opens fresh, empty backends of the kind under test; drops them after the test."""
    opened: list[SearchBackend] = []

    def open_one() -> SearchBackend:
        backend = open_backend(backend_kind, tmp_path)
        backend.ensure_index()
        opened.append(backend)
        return backend

    yield open_one
    for backend in opened:
        backend.drop()


@pytest.fixture
def empty_backend(new_backend) -> SearchBackend:
    return new_backend()


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchBackend]:
    """A backend holding the shared corpus (tests/search/corpus.py), for read-only tests."""
    from tests.search.corpus import corpus_documents

    backend = open_backend(request.param, tmp_path_factory.mktemp("search"))
    backend.ensure_index()
    backend.apply(corpus_documents(), refresh=True)
    yield backend
    backend.drop()
