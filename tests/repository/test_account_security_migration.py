"""The account-security revision: up with existing accounts, down, and up again, on SQLite and on
PostgreSQL (in a schema of its own, beside the test database's)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from repository.app import MIGRATIONS, create_app
from repository.extensions import db

REVISION = "a7c31e5b9d20"
BEFORE = ScriptDirectory(str(MIGRATIONS)).get_revision(REVISION).down_revision


@pytest.fixture(autouse=True)
def isolated_database():
    """These tests migrate databases of their own."""
    yield


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, database_url: str, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL is not the test database (set HUIKU_TEST_DATABASE_URL)")
    schema = f"migration_{secrets.token_hex(4)}"
    admin = create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_existing_accounts_get_a_session_token_and_the_revision_goes_back(
    database: str, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database, "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                schema = connection.execute(text("SELECT current_schema()")).scalar()
            assert schema.startswith("migration_")  # not the test database's own schema
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO library (code, name_zh, name_en, region, active, created_at)"
                    " VALUES ('MIG', '迁移馆', '', '', true, CURRENT_TIMESTAMP)"
                )
            )
            for email in ("a@example.org", "b@example.org"):
                connection.execute(
                    text(
                        "INSERT INTO user_account (email, name, library_id, role, password_hash,"
                        " active, created_at) SELECT :email, '', id, 'contributor', '', true,"
                        " CURRENT_TIMESTAMP FROM library WHERE code = 'MIG'"
                    ),
                    {"email": email},
                )

        upgrade(revision=REVISION)
        with db.engine.connect() as connection:
            tokens = connection.execute(text("SELECT session_token FROM user_account")).scalars()
            tokens = list(tokens)
        assert len(tokens) == 2 and len(set(tokens)) == 2
        assert all(len(token) == 32 and int(token, 16) >= 0 for token in tokens)
        assert not next(
            c
            for c in inspect(db.engine).get_columns("user_account")
            if c["name"] == "session_token"
        )["nullable"]
        assert {"email_hash", "attempts", "last_attempt_at", "retry_at"} <= columns(
            "sign_in_throttle"
        )

        downgrade(revision=BEFORE)
        assert "session_token" not in columns("user_account")
        assert not inspect(db.engine).has_table("sign_in_throttle")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM user_account")).scalar() == 2

        upgrade(revision="heads")
        assert "session_token" in columns("user_account")
        db.session.remove()
        db.engine.dispose()
