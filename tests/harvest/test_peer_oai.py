"""Harvesting a second Huiku's ``/oai``: in full, then incrementally after changes there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from harvest.runs import request_run
from repository.extensions import db
from repository.models.harvest import HarvestedRecord, HarvestRun, HarvestSource
from repository.models.jobs import JobState
from tests.harvest.peer import Peer, change_corpus, publish_corpus


@pytest.fixture(scope="module")
def peer(live_server) -> Peer:
    return publish_corpus(live_server)


def _run(source: HarvestSource, *, full: bool = False) -> HarvestRun:
    run = request_run(source, full=full)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(HarvestRun, run.id)


def _by_public_id(source: HarvestSource) -> dict[str, HarvestedRecord]:
    found = db.session.scalars(
        select(HarvestedRecord).where(HarvestedRecord.source_id == source.id)
    ).all()
    return {record.identifier.rsplit(":", 1)[-1]: record for record in found}


def test_a_full_then_an_incremental_harvest_bring_exactly_the_changes(peer, make_source):
    source = make_source(f"{peer.server.url}/oai")
    full = _run(source, full=True)
    assert full.state is JobState.SUCCEEDED, full.message
    assert (full.created, full.updated, full.deleted, full.failed) == (3, 0, 0, 0)
    assert full.pages == 2  # two records a page: the resumption token was followed
    harvested = _by_public_id(source)
    first = harvested[peer.ids["P-0"]]
    assert first.public_id.startswith("h-")
    assert first.title == "吉林通志"
    assert first.metadata_["creator"] == ["作者0"]
    assert first.metadata_["coverage"] == ["吉林"]
    assert (first.year_start, first.year_end) == (1900, 1900)
    assert first.original_url.startswith(peer.server.url)
    assert source.cursor.startswith("2026-01-03")

    change_corpus(peer)
    incremental = _run(source)

    assert incremental.state is JobState.SUCCEEDED, incremental.message
    assert incremental.from_cursor.startswith("2026-01-03")
    assert (incremental.created, incremental.updated, incremental.deleted) == (1, 1, 1)
    harvested = _by_public_id(source)
    assert harvested[peer.ids["P-0"]].title == "吉林通志（光绪本）"
    assert harvested[peer.ids["P-1"]].deleted
    assert harvested[peer.ids["P-3"]].title == "吉林外记"
    assert not harvested[peer.ids["P-2"]].deleted
    assert source.cursor > incremental.from_cursor

    again = _run(source)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
