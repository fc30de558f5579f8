"""Elasticsearch as deployed: TLS, an API key or a password, several nodes, shards and replicas.

The secured cluster is an nginx with TLS and authentication in front of the test node
(tests/search/secured_proxy.py). Indices are named per test and dropped through the node itself.
"""

from __future__ import annotations

import logging
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from repository.app import create_app
from search import settings as search_settings
from search.backends import SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend
from search.engine import EXTENSION, START_CHECK, check_at_start, use_backend
from search.outbox import commit_hook
from search.query import SearchRequest
from search.settings import ElasticsearchSettings, SettingError, elasticsearch_settings
from tests.conftest import service_url
from tests.search.corpus import RECORDS, corpus_documents
from tests.search.secured_proxy import (
    SecuredProxy,
    free_port,
    make_certificates,
    secured_proxy,
)

REFUSED_PASSWORD = (
    "Elasticsearch refused the credentials in "
    "HUIKU_ELASTICSEARCH_USERNAME / HUIKU_ELASTICSEARCH_PASSWORD (401)"
)
REFUSED_API_KEY = "Elasticsearch refused the credentials in HUIKU_ELASTICSEARCH_API_KEY (401)"


@pytest.fixture(scope="module")
def node_url() -> str:
    url = service_url("HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch")
    if not url:
        pytest.skip("no Elasticsearch (set HUIKU_TEST_ELASTICSEARCH_URL)")
    return url


@pytest.fixture(scope="module")
def proxy(node_url: str) -> Iterator[SecuredProxy]:
    with secured_proxy(node_url) as running:
        yield running


@pytest.fixture
def node(node_url: str) -> Iterator[Elasticsearch]:
    """The test node itself, without the proxy: to read back what Huiku did."""
    client = Elasticsearch(node_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def index_name(node_url: str) -> Iterator[Callable[[], str]]:
    """Fresh index (alias) names; everything created under them is dropped afterwards."""
    names: list[str] = []

    def make() -> str:
        names.append(f"huiku-test-secured-{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield make
    for name in names:
        ElasticsearchBackend(node_url, index=name, timeout=30).drop()


def password_settings(proxy: SecuredProxy, index: str, **changes) -> ElasticsearchSettings:
    settings = ElasticsearchSettings(
        hosts=(proxy.basic_url,),
        index=index,
        username=proxy.username,
        password=proxy.password,
        ca_certs=proxy.ca_certs,
    )
    return replace(settings, **changes)


def api_key_settings(proxy: SecuredProxy, index: str, **changes) -> ElasticsearchSettings:
    settings = ElasticsearchSettings(
        hosts=(proxy.api_key_url,),
        index=index,
        api_key=proxy.api_key,
        ssl_fingerprint=proxy.fingerprint,
    )
    return replace(settings, **changes)


def ids(backend: ElasticsearchBackend, text: str) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text)).hits]


def index_and_search(backend: ElasticsearchBackend) -> None:
    """The whole round: create, write, search, rebuild behind the alias, search again."""
    backend.ensure_index()
    backend.apply(corpus_documents(), refresh=True)
    assert ids(backend, "人參") == ["ginseng"]
    assert backend.rebuild(corpus_documents()) == len(RECORDS)
    assert ids(backend, "长白山")[0] == "gazetteer"
    assert backend.status().documents == len(RECORDS)


class TestThroughTheSecuredProxy:
    def test_a_password_and_a_ca_file(self, proxy, index_name):
        index_and_search(ElasticsearchBackend(settings=password_settings(proxy, index_name())))

    def test_an_api_key_and_a_certificate_fingerprint(self, proxy, index_name):
        index_and_search(ElasticsearchBackend(settings=api_key_settings(proxy, index_name())))

    def test_the_ca_fingerprint_elasticsearch_prints_at_first_start_works_too(
        self, proxy, index_name
    ):
        settings = api_key_settings(proxy, index_name(), ssl_fingerprint=proxy.ca_fingerprint)
        ElasticsearchBackend(settings=settings).check()

    def test_the_fingerprint_may_be_written_with_colons(self, proxy, index_name):
        pairs = ":".join(
            proxy.fingerprint[i : i + 2] for i in range(0, len(proxy.fingerprint), 2)
        ).upper()
        settings = elasticsearch_settings(
            {
                "ELASTICSEARCH_URL": proxy.api_key_url,
                "ELASTICSEARCH_INDEX": index_name(),
                "ELASTICSEARCH_API_KEY": proxy.api_key,
                "ELASTICSEARCH_SSL_FINGERPRINT": pairs,
            }
        )
        ElasticsearchBackend(settings=settings).check()

    def test_several_urls_when_the_first_node_is_down(self, proxy, index_name):
        dead = f"https://127.0.0.1:{free_port()}"
        settings = elasticsearch_settings(
            {
                "ELASTICSEARCH_URL": f"{dead}, {proxy.basic_url}",
                "ELASTICSEARCH_INDEX": index_name(),
                "ELASTICSEARCH_USERNAME": proxy.username,
                "ELASTICSEARCH_PASSWORD": proxy.password,
                "ELASTICSEARCH_CA_CERTS": proxy.ca_certs,
            }
        )
        assert settings.hosts == (dead, proxy.basic_url)
        backend = ElasticsearchBackend(settings=settings)
        index_and_search(backend)
        for _ in range(4):  # whichever node the client tries first
            assert ids(backend, "人參") == ["ginseng"]

    def test_no_node_answering_names_the_urls(self, proxy, index_name):
        dead = (f"https://127.0.0.1:{free_port()}", f"https://127.0.0.1:{free_port()}")
        backend = ElasticsearchBackend(settings=password_settings(proxy, index_name(), hosts=dead))
        with pytest.raises(SearchUnavailable) as refused:
            backend.check()
        assert "no node answers at HUIKU_ELASTICSEARCH_URL" in refused.value.detail
        assert dead[0] in refused.value.detail and dead[1] in refused.value.detail


class TestRefusalsNameTheSetting:
    @pytest.mark.parametrize(
        ("kind", "changes", "expected"),
        [
            ("password", {"password": "wrong"}, REFUSED_PASSWORD),
            ("api_key", {"api_key": "d3Jvbmc6a2V5"}, REFUSED_API_KEY),
            ("password", {"username": None, "password": None}, "set HUIKU_ELASTICSEARCH_API_KEY"),
            ("password", {"ca_certs": None}, "set HUIKU_ELASTICSEARCH_CA_CERTS or"),
            ("api_key", {"ssl_fingerprint": "0" * 64}, "HUIKU_ELASTICSEARCH_SSL_FINGERPRINT"),
        ],
        ids=["password", "api-key", "no-credentials", "untrusted", "other-fingerprint"],
    )
    def test_refusal(self, proxy, index_name, kind, changes, expected):
        make = password_settings if kind == "password" else api_key_settings
        backend = ElasticsearchBackend(settings=make(proxy, index_name(), **changes))
        with pytest.raises(SearchUnavailable) as refused:
            backend.ensure_index()
        assert expected in refused.value.detail


@pytest.fixture
def node_named_otherwise(tmp_path) -> Iterator[tuple[str, str]]:
    """A TLS server on 127.0.0.1 whose certificate, from a CA the client trusts, names another
    host: (its URL, the CA file)."""
    ca, chain, key = make_certificates(tmp_path, names="DNS:es.other.example")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", str(ca)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_certificate_for_another_host_is_refused_though_its_ca_is_trusted(
    node_named_otherwise,
):
    url, ca = node_named_otherwise
    settings = ElasticsearchSettings(hosts=(url,), index="huiku-named", ca_certs=ca, timeout=5)
    with pytest.raises(SearchUnavailable) as refused:
        ElasticsearchBackend(settings=settings).check()
    assert "is not trusted by HUIKU_ELASTICSEARCH_CA_CERTS" in refused.value.detail
    assert "mismatch" in refused.value.detail  # the certificate names another host


class TestIndexShape:
    @staticmethod
    def shape(node: Elasticsearch, alias: str) -> dict:
        ((_name, found),) = node.indices.get_settings(index=alias).body.items()
        return found["settings"]["index"]

    def test_shards_and_replicas_of_a_created_and_a_rebuilt_index(self, proxy, node, index_name):
        alias = index_name()
        backend = ElasticsearchBackend(
            settings=password_settings(proxy, alias, shards=2, replicas=1)
        )
        backend.ensure_index()
        created = self.shape(node, alias)
        assert (created["number_of_shards"], created["number_of_replicas"]) == ("2", "1")
        assert created["auto_expand_replicas"] == "false"
        first = backend.status().name

        backend.rebuild(corpus_documents())  # a fresh index, loaded without replicas
        assert backend.status().name != first
        rebuilt = self.shape(node, alias)
        assert (rebuilt["number_of_shards"], rebuilt["number_of_replicas"]) == ("2", "1")
        assert "refresh_interval" not in rebuilt  # back to the default after the load

    def test_by_default_one_shard_and_a_replica_once_there_is_a_second_node(
        self, proxy, node, index_name
    ):
        alias = index_name()
        backend = ElasticsearchBackend(settings=password_settings(proxy, alias))
        backend.rebuild(corpus_documents())
        shape = self.shape(node, alias)
        assert (shape["number_of_shards"], shape["auto_expand_replicas"]) == ("1", "0-1")


@pytest.fixture
def configured(app: Flask, monkeypatch: pytest.MonkeyPatch):
    """Point the test app at Elasticsearch through its settings, as an operator would; the app's
    backend and start-up check are restored afterwards."""
    previous = app.extensions.get(EXTENSION)

    def configure(**values) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)
        use_backend(app, None)  # reopened from the settings
        commit_hook.quiet_until = 0.0

    yield configure
    use_backend(app, previous)
    app.extensions.pop(START_CHECK, None)
    commit_hook.quiet_until = 0.0


class TestWrongCredentialsAtStart:
    def test_the_log_and_search_status_name_the_setting(
        self, proxy, index_name, tmp_path, monkeypatch, caplog
    ):
        monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path))
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_URL", proxy.basic_url)
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_INDEX", index_name())
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_USERNAME", proxy.username)
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_PASSWORD", "not-the-password")
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_CA_CERTS", proxy.ca_certs)
        with caplog.at_level(logging.ERROR, logger="search.engine"):
            started = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
        assert any(REFUSED_PASSWORD in record.getMessage() for record in caplog.records)

        with started.app_context():  # not the test app's context, which is active too
            result = started.test_cli_runner().invoke(args=["search", "status"])
        assert result.exit_code == 1
        assert f"reading the index status: {REFUSED_PASSWORD}" in result.output

    def test_search_says_unavailable_and_record_pages_are_served(
        self, app, client, proxy, index_name, configured, make_collection, make_record, make_user
    ):
        collection = make_collection("natural_history", slug="changbai")
        ginseng = make_record(collection, make_user("contributor"), title="人参", images=1)
        configured(
            ELASTICSEARCH_URL=proxy.basic_url,
            ELASTICSEARCH_INDEX=index_name(),
            ELASTICSEARCH_USERNAME=proxy.username,
            ELASTICSEARCH_PASSWORD="not-the-password",
            ELASTICSEARCH_CA_CERTS=proxy.ca_certs,
        )
        outcome = check_at_start(app)
        assert outcome is not None and REFUSED_PASSWORD in outcome.problem

        page = client.get("/search?q=人参")
        assert page.status_code == 503
        assert "检索服务暂时不可用" in page.get_data(as_text=True)
        assert client.get("/api/search?q=人参").status_code == 503
        assert client.get(f"/records/{ginseng.public_id}").status_code == 200
        assert client.get(f"/collections/{collection.slug}").status_code == 200

    def test_the_right_credentials_pass_the_check_and_search(
        self, app, client, proxy, index_name, configured, make_collection, make_record, make_user
    ):
        configured(
            ELASTICSEARCH_URL=f"https://127.0.0.1:{free_port()},{proxy.api_key_url}",
            ELASTICSEARCH_INDEX=index_name(),
            ELASTICSEARCH_API_KEY=proxy.api_key,
            ELASTICSEARCH_SSL_FINGERPRINT=proxy.fingerprint,
        )
        assert check_at_start(app).ok
        collection = make_collection("natural_history", slug="changbai")
        make_record(collection, make_user("contributor"), title="人参")  # indexed on commit
        data = client.get("/api/search?q=人參").get_json()
        assert data["total"] == 1
        status = app.test_cli_runner().invoke(args=["search", "status"])
        assert status.exit_code == 0, status.output
        assert "start-up check" in status.output and "in sync" in status.output

    def test_settings_that_cannot_work_leave_only_search_unavailable(
        self, app, client, configured, tmp_path, make_collection, make_record, make_user
    ):
        collection = make_collection("natural_history", slug="changbai")
        ginseng = make_record(collection, make_user("contributor"), title="人参")
        configured(
            ELASTICSEARCH_URL="https://127.0.0.1:9200",
            ELASTICSEARCH_API_KEY="a2V5",
            ELASTICSEARCH_CA_CERTS=str(tmp_path / "missing-ca.pem"),
        )
        outcome = check_at_start(app)
        assert "HUIKU_ELASTICSEARCH_CA_CERTS: no file at" in outcome.problem
        assert client.get("/search?q=人参").status_code == 503
        assert client.get(f"/records/{ginseng.public_id}").status_code == 200


class TestSettings:
    @pytest.fixture
    def bare_app(self, tmp_path, monkeypatch) -> Flask:
        for key in search_settings.SETTINGS:
            monkeypatch.delenv(f"HUIKU_{key}", raising=False)
        return Flask("settings-test", instance_path=str(tmp_path), instance_relative_config=True)

    def test_defaults(self, bare_app):
        search_settings.init_app(bare_app)
        assert bare_app.config["ELASTICSEARCH_URL"] is None
        assert bare_app.config["ELASTICSEARCH_SHARDS"] == 1
        assert bare_app.config["ELASTICSEARCH_REPLICAS"] is None
        assert elasticsearch_settings(bare_app.config) is None  # the embedded backend

    def test_environment_over_the_config_file_and_create_app_over_both(
        self, bare_app, tmp_path, monkeypatch
    ):
        (tmp_path / "huiku.cfg").write_text(
            "ELASTICSEARCH_SHARDS = 3\nELASTICSEARCH_REPLICAS = 2\n"
        )
        bare_app.config.from_pyfile("huiku.cfg")
        bare_app.config["ELASTICSEARCH_API_KEY"] = "from-create-app"
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_SHARDS", "4")
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_API_KEY", "from-the-environment")
        monkeypatch.setenv("HUIKU_ELASTICSEARCH_CHECK_AT_START", "off")
        search_settings.init_app(bare_app)
        assert bare_app.config["ELASTICSEARCH_SHARDS"] == 4
        assert bare_app.config["ELASTICSEARCH_REPLICAS"] == 2
        assert bare_app.config["ELASTICSEARCH_API_KEY"] == "from-create-app"
        assert bare_app.config["ELASTICSEARCH_CHECK_AT_START"] is False

    @pytest.mark.parametrize(
        ("values", "named"),
        [
            ({"ELASTICSEARCH_URL": "127.0.0.1:9200"}, "HUIKU_ELASTICSEARCH_URL"),
            (
                {"ELASTICSEARCH_API_KEY": "a2V5", "ELASTICSEARCH_USERNAME": "huiku"},
                "HUIKU_ELASTICSEARCH_API_KEY",
            ),
            ({"ELASTICSEARCH_USERNAME": "huiku"}, "HUIKU_ELASTICSEARCH_PASSWORD"),
            ({"ELASTICSEARCH_SSL_FINGERPRINT": "ab:cd"}, "HUIKU_ELASTICSEARCH_SSL_FINGERPRINT"),
            ({"ELASTICSEARCH_SHARDS": 0}, "HUIKU_ELASTICSEARCH_SHARDS"),
            ({"ELASTICSEARCH_REPLICAS": -1}, "HUIKU_ELASTICSEARCH_REPLICAS"),
        ],
    )
    def test_values_that_cannot_work_are_refused_by_name(self, values, named):
        with pytest.raises(SettingError, match=named):
            elasticsearch_settings({"ELASTICSEARCH_URL": "https://127.0.0.1:9200", **values})

    def test_several_urls_and_the_index_shape(self):
        settings = elasticsearch_settings(
            {
                "ELASTICSEARCH_URL": "https://es1:9200, https://es2:9200/,https://es3:9200",
                "ELASTICSEARCH_SHARDS": "2",
                "ELASTICSEARCH_REPLICAS": "1",
            }
        )
        assert settings.hosts == ("https://es1:9200", "https://es2:9200", "https://es3:9200")
        assert settings.index_settings() == {
            "number_of_shards": 2,
            "number_of_replicas": 1,
            "auto_expand_replicas": False,
        }
