"""Search backends for tests: every contract test runs against each of them.

Each backend gets its own index (Elasticsearch) or file (embedded), dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from repository.models import RecordStatus
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


@contextmanager
def searching_with(app, backend: SearchBackend) -> Iterator[SearchBackend]:
    """The app searches (and applies its outbox) with ``backend`` inside the block only."""
    from search.engine import EXTENSION, use_backend
    from search.outbox import commit_hook

    previous = app.extensions.get(EXTENSION)
    use_backend(app, backend)
    commit_hook.quiet_until = 0.0
    try:
        yield backend
    finally:
        use_backend(app, previous)
        commit_hook.quiet_until = 0.0


@pytest.fixture
def app_backend(app, new_backend) -> Iterator[SearchBackend]:
    """The app searches with a fresh backend of the kind under test for this test only."""
    with searching_with(app, new_backend()) as backend:
        yield backend


@pytest.fixture
def engine_down(app) -> Iterator[SearchBackend]:
    """The app's search engine cannot be reached (a real Elasticsearch client, a closed port)."""
    from search.backends.elasticsearch import ElasticsearchBackend

    unreachable = ElasticsearchBackend("http://127.0.0.1:9", index="huiku-unreachable", timeout=1.0)
    with searching_with(app, unreachable) as backend:
        yield backend


@pytest.fixture
def herbarium(app_backend, make_collection, make_record, make_user):
    """Three published records from two libraries, one draft."""
    collection = make_collection("natural_history", slug="changbai")
    first = make_user("contributor")
    second = make_user("contributor")
    records = {
        "ginseng": make_record(collection, first, title="人参", kingdom="植物", images=1),
        "tiger": make_record(
            collection,
            second,
            title="东北虎",
            scientific_name="Panthera tigris altaica",
            kingdom="动物",
            family="猫科 Felidae",
            date="2019",
        ),
        "deer": make_record(
            collection,
            first,
            title="梅花鹿",
            scientific_name="Cervus nippon",
            kingdom="动物",
            family="鹿科 Cervidae",
            description="东北虎的主要猎物之一。",
            date="2008",
        ),
    }
    make_record(collection, first, status=RecordStatus.DRAFT, title="人参草稿")
    return collection, records
