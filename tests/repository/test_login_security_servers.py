"""Several Huiku servers on one database: a lock, a sign-out and the per-address counts hold on
all of them, behind a trusted proxy the reader's address counts, and cookies are Secure when the
public address is https.

Each server is an app of its own, as in another process, so what the tests write is committed
for real; it is deleted again afterwards.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete

from repository import config
from repository.app import create_app
from repository.extensions import db, limiter
from repository.models import Library, User
from repository.models.accounts import SignInThrottle
from repository.services import accounts
from tests.conftest import csrf_token_from, service_url
from tests.factories import PASSWORD

DOMAIN = "servers.example.org"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def isolated_database():
    """These servers commit as real ones do; ``servers`` deletes what they wrote."""
    yield


@pytest.fixture
def servers(app: Flask, database_url: str, tmp_path: Path, monkeypatch) -> Iterator:
    """Start servers on the test database; afterwards remove their rows and their apps."""
    monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path / "instance"))
    started: list[Flask] = []

    def start(**settings) -> Flask:
        number = len(started)
        server = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "test-secret",  # shared by every server, as deployments must
                "STORAGE_ROOT": str(tmp_path / "storage"),
                "SEARCH_INDEX_PATH": str(tmp_path / f"search-{number}.sqlite3"),
                "IIIF_CACHE_ROOT": str(tmp_path / "iiif-cache"),
                "ELASTICSEARCH_URL": None,
                "TASKS_IMMEDIATE": True,
                **settings,
            }
        )
        started.append(server)
        return server

    yield start
    if started:
        with started[0].app_context():
            emails = User.email.like(f"%@{DOMAIN}")
            db.session.execute(delete(SignInThrottle))
            db.session.execute(delete(User).where(emails))
            db.session.execute(delete(Library).where(Library.code.like("SRV-%")))
            db.session.commit()
            db.session.remove()
        for server in started:
            with server.app_context():
                db.engine.dispose()
    limiter.init_app(app)  # the test app counts in its own storage again


def staff(server: Flask) -> str:
    """A committed account; its e-mail address."""
    number = next(_numbers)
    with server.app_context():
        library = accounts.create_library(f"SRV-{number}", "服务器测试馆")
        user = accounts.create_user(f"staff{number}@{DOMAIN}", library, "contributor", PASSWORD)
        email = user.email
        db.session.remove()
    return email


def browser(server: Flask, address: str | None = None):
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address or f"203.0.113.{next(_numbers) % 250}"
    return client


def try_password(client, email: str, password: str, *, remember: bool = False, **kwargs):
    token = csrf_token_from(client, "/login")
    data = {"csrf_token": token, "email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **kwargs)


def signed_in(client) -> bool:
    return client.get("/workspace/").status_code == 200


def test_a_lock_made_on_one_server_holds_on_the_others(servers):
    lock_after_three = {"LOGIN_BACKOFF_AFTER": 3, "LOGIN_LOCK_AFTER": 3}
    first, second = servers(**lock_after_three), servers(**lock_after_three)
    email = staff(first)
    answers = [try_password(browser(first), email, "wrong").status_code for _ in range(3)]
    assert answers == [401, 401, 429]

    refused = try_password(browser(second), email, PASSWORD)
    assert refused.status_code == 429
    assert 890 <= int(refused.headers["Retry-After"]) <= 900
    started_later = servers()
    assert try_password(browser(started_later), email, PASSWORD).status_code == 429


def test_a_success_on_one_server_resets_the_count_for_all(servers):
    first, second = servers(), servers()
    email = staff(first)
    for _ in range(4):
        try_password(browser(first), email, "wrong")
    assert try_password(browser(second), email, PASSWORD).status_code == 302
    answers = [try_password(browser(first), email, "wrong").status_code for _ in range(4)]
    assert answers == [401] * 4


def test_signing_out_on_one_server_ends_the_session_on_the_others(servers):
    first, second = servers(), servers()
    email = staff(first)
    original = browser(first, "192.0.2.40")
    assert try_password(original, email, PASSWORD, remember=True).status_code == 302
    cookies = {n: original.get_cookie(n).value for n in ("session", "remember_token")}

    elsewhere = browser(second, "192.0.2.40")
    for name, value in cookies.items():
        elsewhere.set_cookie(name, value)
    assert signed_in(elsewhere)  # the same cookies work on every server
    token = csrf_token_from(elsewhere, "/workspace/")
    assert elsewhere.post("/logout", data={"csrf_token": token}).status_code == 302

    for name, value in cookies.items():
        replayed = browser(first, "192.0.2.40")
        replayed.set_cookie(name, value)
        assert not signed_in(replayed), name


def test_behind_a_trusted_proxy_each_reader_has_their_own_limit(servers):
    server = servers(TRUSTED_PROXIES=1)
    proxy = browser(server, "10.0.0.2")  # every request arrives from the proxy

    def attempt(reader: str, sent_by_reader: str | None = None) -> int:
        forwarded = f"{sent_by_reader}, {reader}" if sent_by_reader else reader
        headers = {
            "X-Forwarded-For": forwarded,
            "X-Forwarded-Proto": "https",
            "Referer": "https://localhost/login",  # CSRF protection wants it over https
        }
        email = f"guess{next(_numbers)}@{DOMAIN}"
        return try_password(proxy, email, "wrong", headers=headers).status_code

    assert [attempt("198.51.100.20") for _ in range(10)] == [401] * 10
    assert attempt("198.51.100.20") == 429
    assert attempt("198.51.100.21") == 401  # another reader behind the same proxy
    # What a reader writes into X-Forwarded-For himself is not believed.
    assert attempt("198.51.100.20", sent_by_reader="198.51.100.99") == 429


def test_without_a_trusted_proxy_setting_the_proxy_is_the_client(servers):
    server = servers()
    proxy = browser(server, "10.0.0.3")
    for n in range(10):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        try_password(proxy, f"guess{n}@{DOMAIN}", "wrong", headers=headers)
    assert try_password(proxy, f"last@{DOMAIN}", "wrong").status_code == 429


def test_cookies_are_secure_when_the_public_address_is_https(servers, monkeypatch):
    monkeypatch.setenv("HUIKU_BASE_URL", "https://huiku.example.org")
    server = servers()
    email = staff(server)
    client = browser(server)
    token = csrf_token_from(client, "https://localhost/login")
    response = client.post(
        "https://localhost/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD, "remember": "y"},
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    set_cookies = {
        header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")
    }
    for name in ("session", "remember_token"):
        attributes = [part.strip() for part in set_cookies[name].split(";")]
        assert {"Secure", "HttpOnly", "SameSite=Lax"} <= set(attributes), set_cookies[name]


@pytest.mark.parametrize(
    ("environment", "secure"),
    [
        ({}, False),
        ({"HUIKU_BASE_URL": "http://huiku.example.org"}, False),
        ({"HUIKU_BASE_URL": "https://huiku.example.org"}, True),
        ({"HUIKU_SESSION_COOKIE_SECURE": "1"}, True),
        (
            {"HUIKU_BASE_URL": "https://huiku.example.org", "HUIKU_SESSION_COOKIE_SECURE": "0"},
            False,
        ),
    ],
)
def test_which_settings_make_cookies_secure(tmp_path, monkeypatch, environment, secure):
    for name in ("HUIKU_BASE_URL", "HUIKU_SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Flask("settings", instance_path=str(tmp_path))
    config.load_config(settings, {"SECRET_KEY": "x"})
    assert settings.config["SESSION_COOKIE_SECURE"] is secure
    assert settings.config["REMEMBER_COOKIE_SECURE"] is secure
    assert (
        settings.config["SESSION_COOKIE_HTTPONLY"] and settings.config["REMEMBER_COOKIE_HTTPONLY"]
    )
    assert settings.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_limits_count_in_memory_unless_redis_is_configured(servers, monkeypatch):
    monkeypatch.delenv("HUIKU_REDIS_URL", raising=False)
    assert servers().config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("HUIKU_REDIS_URL", "redis://127.0.0.1:6379/3")
    assert servers().config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_with_redis_every_server_counts_the_same_failures(servers, monkeypatch):
    url = service_url("HUIKU_TEST_REDIS_URL", "Redis")
    if not url:
        pytest.skip("no Redis (set HUIKU_TEST_REDIS_URL)")
    monkeypatch.setenv("HUIKU_REDIS_URL", url)
    reader = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"  # Redis outlives tests
    first = servers(LOGIN_RATE_LIMIT="3 per minute")
    for n in range(3):
        assert try_password(browser(first, reader), f"g{n}@{DOMAIN}", "x").status_code == 401
    second = servers(LOGIN_RATE_LIMIT="3 per minute")
    assert try_password(browser(second, reader), f"g@{DOMAIN}", "x").status_code == 429
