"""Harvest sources and harvested records made directly through the models, as a harvest
would leave them."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from repository.extensions import db
from repository.models import HarvestedRecord, HarvestSource, IndexTask, Library, SourceKind

_numbers = itertools.count(1)


@pytest.fixture
def make_source(make_library) -> Callable[..., HarvestSource]:
    def make(
        library: Library | None = None, *, name: str = "Old Maps Archive", enabled: bool = True
    ) -> HarvestSource:
        n = next(_numbers)
        source = HarvestSource(
            slug=f"maps-{n}",
            name=name,
            kind=SourceKind.OAI,
            base_url="https://maps.example.org/oai",
            library_id=(library or make_library()).id,
            enabled=enabled,
        )
        db.session.add(source)
        db.session.commit()
        return source

    return make


@pytest.fixture
def make_harvested(make_source) -> Callable[..., HarvestedRecord]:
    def make(source: HarvestSource | None = None, **values: Any) -> HarvestedRecord:
        n = next(_numbers)
        metadata = values.pop(
            "metadata",
            {
                "title": "长白山人参图",
                "creator": ["佚名"],
                "subject": ["Plants", "人参"],
                "description": "清代绘本，绘长白山野山参。",
                "date": "光绪十七年",
            },
        )
        harvested = HarvestedRecord(
            source=source or make_source(),
            identifier=values.pop("identifier", f"oai:maps.example.org:{n}"),
            datestamp="2026-11-30T08:00:00Z",
            metadata_=metadata,
            title=values.pop("title", metadata.get("title", "")),
            original_url=values.pop("original_url", f"https://maps.example.org/items/{n}"),
            thumbnail_url=values.pop(
                "thumbnail_url", f"https://maps.example.org/items/{n}/thumb.jpg"
            ),
            **values,
        )
        db.session.add(harvested)
        db.session.commit()
        return harvested

    return make


@pytest.fixture
def queued_index_tasks() -> Iterator[list[tuple[str, str]]]:
    """(public id, action) of every index task written while the test runs: the outbox is
    applied, and emptied, right after each commit, so the rows are seen as they are flushed."""
    seen: list[tuple[str, str]] = []

    def collect(session: Session, _context) -> None:
        seen.extend(
            (task.record_public_id, task.action)
            for task in session.new
            if isinstance(task, IndexTask)
        )

    event.listen(Session, "after_flush", collect)
    try:
        yield seen
    finally:
        event.remove(Session, "after_flush", collect)
