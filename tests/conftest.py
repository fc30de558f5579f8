"""Shared fixtures: one app per test session on a real database, a rolled-back transaction per test.

PostgreSQL (``HUIKU_TEST_DATABASE_URL``) is what CI uses; without it the suite runs on a SQLite
file, unless ``HUIKU_REQUIRE_SERVICES=1`` demands the real server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event, text
from sqlalchemy.orm import scoped_session, sessionmaker

from repository.app import create_app
from repository.extensions import db

pytest_plugins = ["tests.factories", "tests.live_server"]

REQUIRE_SERVICES = os.environ.get("HUIKU_REQUIRE_SERVICES") == "1"


def service_url(variable: str, service: str) -> str | None:
    """The URL of a live service for tests, failing loudly in CI when it is missing."""
    url = os.environ.get(variable)
    if not url and REQUIRE_SERVICES:
        pytest.fail(f"{service} is required (HUIKU_REQUIRE_SERVICES=1) but {variable} is not set")
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = service_url("HUIKU_TEST_DATABASE_URL", "PostgreSQL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'huiku-test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "STORAGE_ROOT": str(instance / "storage"),
            "SEARCH_INDEX_PATH": str(instance / "search.sqlite3"),
            "IIIF_CACHE_ROOT": str(instance / "iiif-cache"),
            "ELASTICSEARCH_URL": None,
            "SERVER_NAME": "huiku.test",
            "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
            "MAX_IMAGE_PIXELS": 40_000_000,
            "TASKS_IMMEDIATE": True,  # tasks run inline; tests/tasks drive real consumers
        }
    )
    application.instance_path = str(instance)
    with application.app_context():
        if db.engine.dialect.name == "sqlite":
            _enable_sqlite_savepoints(db.engine)
        _reset_schema()
        upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def _reset_schema() -> None:
    """Start every test session from an empty database, migrated from nothing."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _enable_sqlite_savepoints(engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy issue BEGIN itself."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")


class _ConnectionBoundSession(FlaskSession):
    """A session that always uses the test's connection, so its commits become savepoints."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def isolated_database(app: Flask, tmp_path: Path) -> Iterator[None]:
    """Each test runs inside a transaction that is rolled back, and gets its own file store.

    Only the test app's sessions join that transaction; another app in the same process (the
    live server) keeps ordinary sessions on its own database.
    """
    app.config["STORAGE_ROOT"] = str(tmp_path / "storage")
    connection = db.engine.connect()
    transaction = connection.begin()
    original_session = db.session
    bound = sessionmaker(
        class_=_ConnectionBoundSession,
        db=db,
        bind=connection,
        join_transaction_mode="create_savepoint",
    )
    ordinary = sessionmaker(class_=FlaskSession, db=db)

    def session_for_current_app() -> FlaskSession:
        return bound() if current_app._get_current_object() is app else ordinary()

    db.session = scoped_session(session_for_current_app, scopefunc=_app_ctx_id)
    try:
        yield
    finally:
        db.session.remove()
        db.session = original_session
        transaction.rollback()
        connection.close()


class RequestScopedClient(FlaskClient):
    """Each request runs in its own app context, as in a server, not in the test's context.

    Afterwards the test's own session forgets what it had loaded, so assertions read the
    database as the request left it.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = RequestScopedClient
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would submit it."""
    page = client.get(url)
    assert page.status_code == 200, f"GET {url} answered {page.status_code}"
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in the form at {url}"
    return match.group(1)


def submit_form(
    client: FlaskClient, page_url: str, data: dict, action: str | None = None, **kwargs
):
    """Load a page, then post its form with its CSRF token, as a browser does (no redirects)."""
    token = csrf_token_from(client, page_url)
    return client.post(action or page_url, data={"csrf_token": token, **data}, **kwargs)
