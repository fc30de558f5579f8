"""The README's first command: `huiku demo` (what scripts/demo runs) on a fresh instance with
nothing configured (SQLite, the embedded search, no services) loads a demo one can search."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from repository.app import create_app
from repository.extensions import db

HUIKU = Path(sys.executable).with_name("huiku")


@pytest.fixture(autouse=True)
def isolated_database():
    """These tests run the command on their own instance, outside the shared test database."""
    yield


def huiku_demo(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUIKU_")}
    env["HUIKU_INSTANCE_PATH"] = str(instance)
    return subprocess.run(
        [str(HUIKU), "demo", "--no-serve", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_huiku_demo_loads_a_searchable_demo_once_on_the_embedded_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    first = huiku_demo(instance, "--limit", "3")
    assert first.returncode == 0, first.stderr
    assert "Demo records: 3 created, 0 already present." in first.stdout
    assert "Search index: 3 records." in first.stdout
    assert "reviewer@jl-sl.example.org" in first.stdout and "huiku-demo" in first.stdout
    assert (instance / "huiku.sqlite3").is_file() and (instance / "search.sqlite3").is_file()

    again = huiku_demo(instance, "--limit", "3")
    assert again.returncode == 0, again.stderr
    assert "Demo records: 0 created, 3 already present." in again.stdout

    for name in [key for key in os.environ if key.startswith("HUIKU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(instance))
    app = create_app()
    try:
        page = app.test_client().get("/search?q=人参").get_data(as_text=True)
        titles = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<h2>(.*?)</h2>", page)]
        assert titles[0] == "人参"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
