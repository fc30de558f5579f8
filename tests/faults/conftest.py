"""Fixtures of the fault suite (marker ``faults``): private services to restart, and instances.

The services come from tests/faults/harness.py. A test gets them running and leaves them to
the fixture, which starts again whatever the test stopped, even when it failed. Without the
needed binaries or the session's Elasticsearch the tests skip, unless HUIKU_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask_migrate import upgrade

from repository.app import create_app
from repository.extensions import db
from tests.conftest import REQUIRE_SERVICES, service_url
from tests.factories import SAMPLE_METADATA
from tests.faults.harness import (
    HuikuProcess,
    PrivatePostgres,
    PrivateRedis,
    TcpProxy,
    postgres_bindir,
    served_app,
)
from tests.storage.s3_server import s3_credentials, s3_settings, s3_url  # noqa: F401 (fixtures)

PASSWORD = "fault-suite-42"


def _missing(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (HUIKU_REQUIRE_SERVICES=1)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def _private_postgres() -> Iterator[PrivatePostgres]:
    if postgres_bindir() is None:
        _missing("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def postgres(_private_postgres: PrivatePostgres) -> Iterator[PrivatePostgres]:
    """The fault suite's own PostgreSQL, running; started again after the test if it stopped."""
    _private_postgres.start()
    yield _private_postgres
    _private_postgres.start()


@pytest.fixture(scope="session")
def _private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    try:
        server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    except FileNotFoundError as error:
        _missing(str(error))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_server(_private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """The fault suite's own Redis, running and empty."""
    _private_redis.start()
    _private_redis_flush(_private_redis)
    yield _private_redis
    _private_redis.start()


def _private_redis_flush(server: PrivateRedis) -> None:
    import redis

    client = redis.Redis(port=server.port)
    try:
        client.flushall()
    finally:
        client.close()


@pytest.fixture
def elasticsearch_proxy() -> Iterator[TcpProxy]:
    """A proxy in front of the session's Elasticsearch node; ``stop()`` makes it unreachable."""
    url = service_url("HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch")
    if not url:
        pytest.skip("no Elasticsearch (set HUIKU_TEST_ELASTICSEARCH_URL)")
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 9200)
    proxy.elasticsearch_url = url  # type: ignore[attr-defined]
    try:
        yield proxy
    finally:
        proxy.close()


# --- an instance on the private services -----------------------------------------------------


@dataclass
class Instance:
    """A Huiku instance on the private services: its settings, an app in this process for
    preparing and checking data (its sessions are ordinary, committed ones), and its people."""

    env: dict[str, str]
    app: Flask
    root: Path
    collection: str = ""
    admin_email: str = ""
    token: str = ""
    processes: list[HuikuProcess] = field(default_factory=list)
    base_url: str = ""

    def serve(self, workers: int = 2, *, wait: bool = True) -> str:
        """``huiku serve`` on this instance; ``wait=False`` returns at once (see ``ready``)."""
        log = self.root / f"serve-{len(self.processes)}.log"
        server, url = served_app(self.env, log, workers, wait=wait)
        self.processes.append(server)
        self.base_url = url
        return url

    def worker(self, workers: int = 1, *, wait: bool = True) -> HuikuProcess:
        worker = HuikuProcess(
            ["worker", "--workers", str(workers)],
            self.env,
            self.root / f"worker-{len(self.processes)}.log",
        )
        worker.start()
        worker.ready = lambda: "huiku worker:" in worker.output()
        self.processes.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    def ready(self) -> None:
        """Wait for every process started with ``wait=False`` (they start side by side)."""
        for process in self.processes:
            process.wait_ready()

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def submitted_record(self, local_id: str, title: str) -> str:
        """A record made and submitted through the JSON API; answers its public id."""
        metadata = {**SAMPLE_METADATA["natural_history"], "local_id": local_id, "title": title}
        made = self.api(
            "POST", f"/api/collections/{self.collection}/records", json={"metadata": metadata}
        )
        assert made.status_code == 201, made.text[:500]
        public_id = made.json()["id"]
        submitted = self.api("POST", f"/api/records/{public_id}/submit", json={})
        assert submitted.status_code == 200, submitted.text[:500]
        return public_id

    def search_total(self) -> int:
        """How many records a reader finds in the collection (through the served app)."""
        answer = requests.get(
            f"{self.base_url}/api/search", params={"collection": self.collection}, timeout=30
        )
        assert answer.status_code == 200, answer.text[:300]
        return answer.json()["total"]

    def outbox_rows(self) -> int:
        from sqlalchemy import func, select

        from repository.models import IndexTask

        with self.app.app_context():
            try:
                return db.session.scalar(select(func.count(IndexTask.id)))
            finally:
                db.session.remove()

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.output()[-4000:]}" for p in self.processes)


def make_instance(
    root: Path,
    database_url: str,
    *,
    redis_url: str | None = None,
    elasticsearch_url: str | None = None,
    settings: str = "",
) -> Instance:
    """Migrate a fresh database and add a library, an admin with an API token, a collection."""
    from repository.services import accounts, collections, tokens

    root.mkdir(parents=True, exist_ok=True)
    index = f"huiku-faults-{uuid.uuid4().hex[:10]}"
    env = {
        "HUIKU_INSTANCE_PATH": str(root),
        "HUIKU_DATABASE_URL": database_url,
        "HUIKU_SECRET_KEY": "fault-suite",
        "HUIKU_STORAGE_ROOT": str(root / "storage"),
        "HUIKU_SEARCH_INDEX_PATH": str(root / "search.sqlite3"),
        "HUIKU_ELASTICSEARCH_INDEX": index,
    }
    if redis_url:
        env["HUIKU_REDIS_URL"] = redis_url
    if elasticsearch_url:
        env["HUIKU_ELASTICSEARCH_URL"] = elasticsearch_url
    # Settings without an environment variable go into the instance's config file.
    (root / "huiku.cfg").write_text(
        "JOB_RECOVERY_SECONDS = 2\nSEARCH_RETRY_SECONDS = 2.0\n" + settings
    )
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "fault-suite",
            "STORAGE_ROOT": str(root / "storage"),
            "SEARCH_INDEX_PATH": str(root / "search.sqlite3"),
            "ELASTICSEARCH_URL": elasticsearch_url,
            "ELASTICSEARCH_INDEX": index,
            "REDIS_URL": redis_url,
            "SEARCH_APPLY_ON_COMMIT": False,  # this process never talks to the engine by itself
            "TASKS_IMMEDIATE": False,
        }
    )
    app.instance_path = str(root)
    instance = Instance(env=env, app=app, root=root)
    with app.app_context():
        upgrade()
        library = accounts.create_library("FAULT-L", "故障测试馆", "Fault Library")
        admin = accounts.create_user("admin@fault.example.org", library, "admin", PASSWORD)
        collection = collections.create_collection(
            "faults",
            "natural_history",
            "故障测试专题库",
            "Fault collection",
            coordinating_library=library,
        )
        instance.collection = collection.slug
        instance.admin_email = admin.email
        instance.token = tokens.create_token(admin, admin, "fault suite")[1]
        db.session.commit()
        db.session.remove()
    return instance


@pytest.fixture
def make_fault_instance(tmp_path: Path) -> Iterator:
    """Build instances; their processes are stopped and their engines closed afterwards."""
    made: list[Instance] = []

    def make(*args, **kwargs) -> Instance:
        instance = make_instance(tmp_path / f"instance-{len(made)}", *args, **kwargs)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        for process in reversed(instance.processes):
            process.close()
        with instance.app.app_context():
            db.session.remove()
            db.engine.dispose()
        _delete_index(instance)


def _delete_index(instance: Instance) -> None:
    url = instance.env.get("HUIKU_ELASTICSEARCH_URL") and service_url(
        "HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch"
    )
    if not url:
        return
    prefix = instance.env["HUIKU_ELASTICSEARCH_INDEX"]
    try:
        listed = requests.get(f"{url}/_cat/indices/{prefix}*?format=json", timeout=10).json()
        for row in listed:
            requests.delete(f"{url}/{row['index']}", timeout=30)
    except requests.RequestException:
        pass


# --- a browser for the served app ------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A person at a browser: signs in through the form and posts forms with their token."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kwargs)

    def post_form(self, page: str, action: str, data: dict) -> requests.Response:
        form = self.get(page)
        assert form.status_code == 200, f"GET {page} answered {form.status_code}"
        token = _CSRF.search(form.text)
        assert token, f"no CSRF token on {page}"
        return self.session.post(
            self.base + action,
            data={"csrf_token": token.group(1), **data},
            allow_redirects=False,
            timeout=30,
        )

    def publish(self, public_id: str) -> requests.Response:
        """Press "publish" on a record's page, as its reviewer does."""
        return self.post_form(
            f"/records/{public_id}", f"/workspace/records/{public_id}/publish", {"comment": ""}
        )

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        answer = self.post_form("/login", "/login", {"email": email, "password": password})
        assert answer.status_code == 302, answer.text[:500]


@pytest.fixture
def browser() -> Iterator:
    made: list[Browser] = []

    def make(base_url: str) -> Browser:
        made.append(Browser(base_url))
        return made[-1]

    yield make
    for each in made:
        each.close()
