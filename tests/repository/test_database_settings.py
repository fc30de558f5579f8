"""How Huiku's connections to PostgreSQL are set up."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from repository.app import create_app
from repository.extensions import db


def _engine_options(url: str, tmp_path, monkeypatch) -> dict:
    monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path))
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": url})
    return app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_postgresql_plans_each_execution_for_its_own_parameters(app):
    """A prepared batch look-up must not keep a plan made when the table was nearly empty."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the test database is not PostgreSQL (HUIKU_TEST_DATABASE_URL)")
    with app.app_context():
        mode = db.session.execute(text("SHOW plan_cache_mode")).scalar_one()
    assert mode == "force_custom_plan"


def test_options_given_in_the_database_url_are_kept(tmp_path, monkeypatch):
    url = "postgresql+psycopg://huiku@127.0.0.1:1/huiku?options=-c%20statement_timeout%3D5000"
    options = _engine_options(url, tmp_path, monkeypatch)
    assert options["connect_args"]["options"] == (
        "-c statement_timeout=5000 -c plan_cache_mode=force_custom_plan"
    )
    assert options["pool_pre_ping"] is True


def test_sqlite_connections_take_no_postgresql_options(tmp_path, monkeypatch):
    options = _engine_options(f"sqlite:///{tmp_path / 'huiku.sqlite3'}", tmp_path, monkeypatch)
    assert "connect_args" not in options
