"""With nothing configured, Huiku keeps everything in its instance folder on SQLite."""

import sqlite3

import pytest
from flask_migrate import check, upgrade

from repository.app import create_app
from repository.extensions import db


@pytest.fixture(autouse=True)
def isolated_database():
    """These tests build their own apps on their own SQLite files, outside the shared database."""
    yield


def test_a_fresh_instance_runs_on_sqlite_in_its_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("HUIKU_DATABASE_URL", "HUIKU_STORAGE_ROOT", "HUIKU_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'huiku.sqlite3'}"
    assert app.config["STORAGE_ROOT"] == str(tmp_path / "instance" / "storage")
    assert len(app.config["SECRET_KEY"]) == 64
    with app.app_context():
        upgrade()
        check()  # the migrations describe exactly the models: no revision is missing
        from demo.loader import load_demo

        assert load_demo(limit=2).created == 2
        db.session.remove()
        db.engine.dispose()
    database = sqlite3.connect(tmp_path / "instance" / "huiku.sqlite3")
    assert database.execute("SELECT count(*) FROM record").fetchone() == (2,)
    database.close()
    page = app.test_client().get("/").get_data(as_text=True)
    assert "长白山" in page
    assert list((tmp_path / "instance" / "storage" / "originals").rglob("*"))
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]  # kept across restarts


def test_environment_variables_override_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HUIKU_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("HUIKU_STORAGE_ROOT", str(tmp_path / "images"))
    monkeypatch.setenv("HUIKU_SESSION_COOKIE_SECURE", "1")
    (tmp_path / "huiku.cfg").write_text('RECORDS_PER_PAGE = 7\nALLIANCE_NAME_EN = "Test"\n')
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("other.db")
    assert app.config["STORAGE_ROOT"] == str(tmp_path / "images")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["RECORDS_PER_PAGE"] == 7
