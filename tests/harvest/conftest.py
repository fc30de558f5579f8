"""Fixtures of the harvesting tests: local servers allowed, sources to harvest."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from repository.extensions import db
from repository.models import Library
from repository.models.harvest import HarvestSource, SourceKind
from tests.harvest.faulty import faulty  # noqa: F401 - the ``faulty`` fixture
from tests.harvest.peer import Peer, publish_corpus


@pytest.fixture(autouse=True)
def harvest_settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers on 127.0.0.1 may be harvested; a request waits 2 seconds at most."""
    monkeypatch.setitem(app.config, "HARVEST_ALLOW_PRIVATE_ADDRESSES", ["127.0.0.1"])
    monkeypatch.setitem(app.config, "HARVEST_READ_TIMEOUT", 2.0)


@pytest.fixture
def make_source(make_library) -> Callable[..., HarvestSource]:
    counter = iter(range(1, 1000))

    def make(base_url: str, kind: SourceKind = SourceKind.OAI, **values) -> HarvestSource:
        library: Library = values.pop("library", None) or make_library()
        source = HarvestSource(
            slug=values.pop("slug", f"source-{next(counter)}"),
            name=values.pop("name", "A peer repository"),
            kind=kind,
            base_url=base_url,
            library_id=library.id,
            interval_hours=values.pop("interval_hours", 0),
            **values,
        )
        db.session.add(source)
        db.session.commit()
        return source

    return make


@pytest.fixture(scope="module")
def peer(live_server) -> Peer:
    """A second Huiku with three published records, one per test module (the tests change it)."""
    return publish_corpus(live_server)
