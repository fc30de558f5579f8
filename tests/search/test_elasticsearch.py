"""What only the Elasticsearch backend does, on a real node: its mapping, rebuilding behind the
alias while searches and writes go on, failing fast when the engine is gone, and the query body.

The shared behaviour is in test_contract.py.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch, ElasticsearchWarning

from repository.profiles import profiles
from search.backends import Deletion, SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend, build_query_body
from search.backends.elasticsearch_node import StandardLibraryNode
from search.documents import Document, build_document
from search.query import CursorInvalid, SearchRequest, Sort
from tests.conftest import service_url
from tests.search.corpus import RECORDS, corpus_documents, corpus_record

pytestmark = pytest.mark.elasticsearch

OpenBackend = Callable[..., ElasticsearchBackend]


@pytest.fixture
def url() -> str:
    found = service_url("HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch")
    if not found:
        pytest.skip("no Elasticsearch (set HUIKU_TEST_ELASTICSEARCH_URL)")
    return found


@pytest.fixture
def engine(url: str) -> Iterator[Elasticsearch]:
    """A plain client, to look at what the backend left on the node."""
    client = Elasticsearch(url, request_timeout=10)
    yield client
    client.close()


@pytest.fixture
def open_backend(url: str) -> Iterator[OpenBackend]:
    """Backends on a fresh alias (or on a given one, for a second process); dropped afterwards."""
    opened: list[ElasticsearchBackend] = []

    def open_one(index: str | None = None) -> ElasticsearchBackend:
        backend = ElasticsearchBackend(url, index=index or f"huiku-test-{uuid.uuid4().hex[:10]}")
        opened.append(backend)
        return backend

    yield open_one
    for backend in opened:
        backend.drop()


@pytest.fixture
def loaded(open_backend: OpenBackend) -> ElasticsearchBackend:
    backend = open_backend()
    backend.ensure_index()
    backend.apply(corpus_documents(), refresh=True)
    return backend


def ids(backend: ElasticsearchBackend, text: str = "", **request: Any) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text, **request)).hits]


def indices_named_after(engine: Elasticsearch, index: str) -> set[str]:
    return set(engine.indices.get_alias(index=f"{index}-*").body)


def fillers(count: int) -> list[Document]:
    """Extra documents, so that the bulk loader sends chunks before the generator ends."""
    template = corpus_documents()[8]
    return [dict(template, id=f"filler-{n:04d}", local_id=f"F-{n}") for n in range(count)]


class TestMapping:
    def test_every_profile_facet_is_a_keyword_field(self, open_backend, engine):
        backend = open_backend()
        backend.ensure_index()
        ((concrete, entry),) = engine.indices.get_mapping(index=backend.index).body.items()
        assert concrete == backend.status().name and concrete.startswith(f"{backend.index}-")
        properties = entry["mappings"]["properties"]
        facet_keys = {field.key for profile in profiles() for field in profile.facet_fields}
        assert {key: properties["facets"]["properties"][key]["type"] for key in facet_keys} == (
            dict.fromkeys(facet_keys, "keyword")
        )
        assert properties["display"] == {"type": "object", "enabled": False}

    def test_fields_outside_the_mapping_do_not_grow_it(self, open_backend, engine):
        backend = open_backend()
        document = dict(corpus_documents()[0], unexpected={"nested": "value"}, extra="x")
        document["facets"] = dict(document["facets"], not_a_facet=["y"])
        backend.apply([document], refresh=True)
        (entry,) = engine.indices.get_mapping(index=backend.index).body.values()
        properties = entry["mappings"]["properties"]
        assert "unexpected" not in properties and "extra" not in properties
        assert "not_a_facet" not in properties["facets"]["properties"]
        assert ids(backend, "人参") == ["ginseng"]

    def test_first_starts_racing_each_other_create_one_index(self, open_backend, engine):
        index = f"huiku-test-{uuid.uuid4().hex[:10]}"
        backends = [open_backend(index) for _ in range(4)]
        with ThreadPoolExecutor(len(backends)) as pool:
            list(pool.map(lambda backend: backend.ensure_index(), backends))
        assert len(indices_named_after(engine, index)) == 1
        assert len(engine.indices.get_alias(name=index).body) == 1

    def test_a_write_after_drop_recreates_the_mapped_index(self, loaded, engine):
        loaded.drop()
        with pytest.raises(SearchUnavailable):
            loaded.search(SearchRequest(text="人参"))
        assert loaded.status().documents == 0 and loaded.ids() == set()
        loaded.apply(corpus_documents()[:1], refresh=True)
        # Not an index auto-created under the alias's name, with guessed field types.
        assert loaded.status().name.startswith(f"{loaded.index}-")
        result = loaded.search(SearchRequest(text="人参"))
        assert [hit.id for hit in result.hits] == ["ginseng"]
        assert {v.value for v in result.facets["kingdom"]} == {"植物"}


class TestRebuild:
    def test_searches_see_the_old_index_until_the_switch(self, loaded, engine):
        before = loaded.status().name
        reader = ElasticsearchBackend(loaded.url, index=loaded.index)  # another process
        midway: list = []

        def load() -> Iterator[Document]:
            yield from corpus_documents()[:3]
            yield from fillers(1200)  # two full chunks are in the new index by now
            midway.append((reader.search(SearchRequest(per_page=50)), reader.suggest("松")))
            yield from fillers(1300)[1200:]

        assert loaded.rebuild(load()) == 3 + 1300
        ((result, suggestions),) = midway
        assert result.total == len(RECORDS)
        assert not any(hit.id.startswith("filler") for hit in result.hits)
        assert [s.title for s in suggestions] == ["松茸", "红松"]
        after = loaded.status()
        assert after.documents == 3 + 1300 and after.name != before
        assert indices_named_after(engine, loaded.index) == {after.name}
        assert ids(loaded, "松茸") == []
        assert ids(loaded, "人参") == ["ginseng"]

    @pytest.mark.parametrize("sent_first", [0, 600], ids=["writes-first", "loaded-first"])
    def test_writes_made_during_a_rebuild_are_kept(self, loaded, sent_first):
        """A reindex reads the database as it was when it started; saves made meanwhile by other
        processes must not be lost when the alias switches, whichever reaches the index first."""
        documents = corpus_documents()
        writer = ElasticsearchBackend(loaded.url, index=loaded.index)
        renamed = corpus_record(0, title="园参")
        renamed.updated_at = renamed.updated_at.replace(year=2026)

        def load() -> Iterator[Document]:
            yield from documents  # the snapshot: 人参 and 东北虎 as they were
            yield from fillers(sent_first)
            tiger_deleted = Deletion("tiger", documents[3]["version"] + 1)
            writer.apply([build_document(renamed)], [tiger_deleted])

        loaded.rebuild(load())
        assert ids(loaded, "园参") == ["ginseng"]
        assert ids(loaded, "人参") == []
        assert "tiger" not in loaded.ids()

    def test_a_failed_rebuild_leaves_the_index_in_service(self, loaded, engine):
        before = loaded.status()

        def load() -> Iterator[Document]:
            yield from fillers(700)
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError, match="went away"):
            loaded.rebuild(load())
        assert loaded.status() == before
        assert indices_named_after(engine, loaded.index) == {before.name}
        loaded.apply([build_document(corpus_record(0, title="园参"))], refresh=True)
        assert ids(loaded, "园参") == ["ginseng"]

    def test_a_rebuild_overtaken_by_a_later_one_gives_way(self, loaded, engine):
        later = ElasticsearchBackend(loaded.url, index=loaded.index)  # another process

        def load() -> Iterator[Document]:
            yield from corpus_documents()[:2]
            assert later.rebuild(iter(corpus_documents()[5:])) == 4

        with pytest.raises(SearchUnavailable) as raised:
            loaded.rebuild(load())
        assert "switching the alias" in raised.value.detail
        assert loaded.ids() == {key for key, *_ in RECORDS[5:]}
        assert indices_named_after(engine, loaded.index) == {loaded.status().name}

    def test_a_document_the_engine_refuses_fails_the_rebuild_by_name(self, loaded):
        broken = dict(corpus_documents()[1], year_start="early Qing")
        with pytest.raises(SearchUnavailable) as raised:
            loaded.rebuild(iter([corpus_documents()[0], broken]))
        assert "yew" in raised.value.detail and "year_start" in raised.value.detail
        assert loaded.status().documents == len(RECORDS)


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_server_url() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers: a hung engine."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def calls(backend: ElasticsearchBackend) -> dict[str, Callable[[], object]]:
    return {
        "search": lambda: backend.search(SearchRequest(text="人参")),
        "apply": lambda: backend.apply(corpus_documents()[:1], refresh=True),
        "suggest": lambda: backend.suggest("人"),
        "status": backend.status,
        "rebuild": lambda: backend.rebuild(iter(corpus_documents())),
    }


class TestUnreachable:
    @pytest.mark.parametrize("address", ["port-9", "closed-port"])
    def test_a_dead_engine_is_unavailable_at_once(self, address, closed_port_url):
        url = "http://127.0.0.1:9" if address == "port-9" else closed_port_url
        backend = ElasticsearchBackend(url, index="huiku-unreachable", timeout=1.0)
        for name, call in calls(backend).items():
            started = time.monotonic()
            with pytest.raises(SearchUnavailable) as raised:
                call()
            assert time.monotonic() - started < 1.0, name  # refused, not waited for
            assert "ConnectionError" in raised.value.detail, name

    def test_a_hung_engine_is_given_up_after_the_timeout_without_retrying(self, silent_server_url):
        backend = ElasticsearchBackend(silent_server_url, index="huiku-hung", timeout=0.5)
        for name in ("search", "apply"):
            started = time.monotonic()
            with pytest.raises(SearchUnavailable) as raised:
                calls(backend)[name]()
            # One attempt of 0.5 s; a retry would take at least twice that.
            assert time.monotonic() - started < 1.0, name
            assert "ConnectionTimeout" in raised.value.detail, name


class EngineLike(BaseHTTPRequestHandler):
    """Answers every request as Elasticsearch answers a search that finds nothing."""

    protocol_version = "HTTP/1.1"
    answered: list[str] = []
    status = 200
    headers_sent: tuple[tuple[str, str], ...] = ()
    reads_the_body = True
    closes_after = False

    def do_POST(self) -> None:
        if self.reads_the_body:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"took": 1, "hits": {"total": {"value": 0}, "hits": []}}).encode()
        self.send_response(self.status)
        for name, value in (("Content-Type", "application/json"), *self.headers_sent):
            self.send_header(name, value)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.answered.append(self.path)
        self.close_connection = self.closes_after

    do_PUT = do_POST

    def log_message(self, *args: Any) -> None:
        pass


class ClosingAfterEachAnswer(EngineLike):
    """Closes the connection after answering without saying so beforehand: what a proxy with
    a short keep-alive timeout does."""

    closes_after = True


class WarningTwice(EngineLike):
    headers_sent = (
        ("Warning", '299 Elasticsearch-9.5.3 "the first deprecation"'),
        ("Warning", '299 Elasticsearch-9.5.3 "the second deprecation"'),
    )


class RefusingLargeBodies(EngineLike):
    """Answers 413 as soon as it has the headers and closes, leaving the body unread."""

    status = 413
    reads_the_body = False
    closes_after = True


@pytest.fixture
def engine_like() -> Iterator[Callable[[type[EngineLike]], str]]:
    """Starts a server answering with the given handler; its URL."""
    servers = []

    def start(handler: type[EngineLike]) -> str:
        handler.answered = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def http_connections_opened(engine: Elasticsearch) -> int:
    stats = engine.nodes.stats(metric="http").body
    return sum(node["http"]["total_opened"] for node in stats["nodes"].values())


class TestConnections:
    def test_searches_go_over_the_connection_kept_open(self, loaded, engine):
        loaded.search(SearchRequest(text="人参"))
        before = http_connections_opened(engine)
        for text in ("人参", "长白", "renshen", "松", "Pinus") * 4:
            loaded.search(SearchRequest(text=text))
        assert http_connections_opened(engine) - before <= 1  # the stats request's own

    def test_a_connection_the_engine_closed_while_idle_is_replaced(self, engine_like, caplog):
        url = engine_like(ClosingAfterEachAnswer)
        backend = ElasticsearchBackend(url, index="huiku-closing", timeout=2.0)
        with caplog.at_level(logging.WARNING, logger="elastic_transport"):
            for _ in range(3):
                assert backend.search(SearchRequest(text="人参")).total == 0
                time.sleep(0.1)  # idle long enough for the close to arrive
        assert ClosingAfterEachAnswer.answered == ["/huiku-closing/_search"] * 3
        # Replaced before use, not tried and failed: no retry, and the node is not put aside.
        assert [record.getMessage() for record in caplog.records] == []

    def test_every_deprecation_warning_of_an_answer_is_reported(self, engine_like):
        client = Elasticsearch(engine_like(WarningTwice), node_class=StandardLibraryNode)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client.search(index="huiku-warned", query={"match_all": {}})
        assert sorted(str(w.message) for w in caught if w.category is ElasticsearchWarning) == [
            "the first deprecation",
            "the second deprecation",
        ]

    def test_an_answer_given_before_the_whole_body_was_sent_is_read(self, engine_like):
        """A 413 to a large bulk body is the node's answer, not a failed connection to retry."""
        client = Elasticsearch(engine_like(RefusingLargeBodies), node_class=StandardLibraryNode)
        with pytest.raises(ApiError) as raised:
            client.bulk(index="huiku-large", operations=b"{}\n" * 4_000_000)
        assert raised.value.meta.status == 413
        assert RefusingLargeBodies.answered == ["/huiku-large/_bulk"]


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a JSON-like structure."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


HOSTILE_QUERIES = [
    "title:人参 OR *:* AND (",
    '{"script": {"source": "1"}} query_string',
    "人参~2 /regex/ field:* ^10 \\",
    '-"长白 山" 東北 -',
]


class TestQueryBody:
    @pytest.mark.parametrize("text", HOSTILE_QUERIES)
    def test_user_text_reaches_only_phrase_queries(self, text):
        body = build_query_body(
            SearchRequest(text=text, filters={"kingdom": ("植物",)}, year_from=1900)
        )
        keys = {key for key, _ in walk(body)}
        assert not keys & {"query_string", "simple_query_string", "script", "script_score"}
        assert not keys & {"regexp", "wildcard", "fuzzy", "function_score"}
        words = {term.text for term in SearchRequest(text=text).query.terms}
        sent = {key for key, value in walk(body) if isinstance(value, str) and value in words}
        assert sent == {"query"}
        text_queries = {
            key
            for key, value in walk(body)
            if isinstance(value, dict)
            and any(isinstance(v, dict) and isinstance(v.get("query"), str) for v in value.values())
        }
        assert text_queries == {"match_phrase"}

    def test_the_body_sent_as_is_gives_what_the_backend_gives(self, loaded, engine):
        request = SearchRequest(text="国家 -松", filters={"library": ("JL-A", "JL-B")}, per_page=3)
        raw = engine.search(index=loaded.index, body=build_query_body(request))
        result = loaded.search(request)
        assert [hit["_id"] for hit in raw["hits"]["hits"]] == [hit.id for hit in result.hits]
        assert raw["hits"]["total"]["value"] == result.total == 5


class TestSearchDetails:
    def test_a_selected_value_is_shown_even_outside_the_top_values(self, loaded):
        result = loaded.search(SearchRequest(filters={"kingdom": ("真菌", "矿物")}, facet_size=1))
        assert [(v.value, v.count, v.selected) for v in result.facets["kingdom"]] == [
            ("植物", 3, False),
            ("真菌", 1, True),
            ("矿物", 0, True),
        ]
        assert [hit.id for hit in result.hits] == ["matsutake"]

    def test_a_page_beyond_the_result_window_is_empty_with_the_true_total(self, loaded):
        result = loaded.search(SearchRequest(page=600, per_page=20))
        assert result.hits == () and result.total == len(RECORDS) and result.next_after is None
        assert result.facets["collection"]

    def test_a_cursor_that_cannot_come_from_this_sort_is_refused(self, loaded):
        for sort, after in [
            (Sort.TITLE, ("ren2 shen1",)),
            (Sort.DATE, ("not a year", "ginseng")),
            (Sort.RELEVANCE, ("high", "ginseng")),
        ]:
            with pytest.raises(CursorInvalid):
                loaded.search(SearchRequest(text="人参", sort=sort, after=after))

    def test_the_variant_spelling_of_a_title_is_found_and_suggested(self, loaded):
        assert ids(loaded, "长白山江岗志略") == ["gazetteer"]
        assert [s.id for s in loaded.suggest("長白山江岗")] == ["gazetteer"]
