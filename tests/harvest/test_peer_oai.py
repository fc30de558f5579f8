"""Harvesting a second Huiku's ``/oai``: in full, then incrementally after changes there."""

from __future__ import annotations

from sqlalchemy import select

from repository.extensions import db
from repository.models.harvest import HarvestedRecord, HarvestSource
from repository.models.jobs import JobState
from tests.harvest.peer import change_corpus
from tests.harvest.running import run_now


def _by_public_id(source: HarvestSource) -> dict[str, HarvestedRecord]:
    found = db.session.scalars(
        select(HarvestedRecord).where(HarvestedRecord.source_id == source.id)
    ).all()
    return {record.identifier.rsplit(":", 1)[-1]: record for record in found}


def test_a_full_then_an_incremental_harvest_bring_exactly_the_changes(peer, make_source):
    source = make_source(f"{peer.server.url}/oai")
    full = run_now(source, full=True)
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
    incremental = run_now(source)

    assert incremental.state is JobState.SUCCEEDED, incremental.message
    assert incremental.from_cursor.startswith("2026-01-03")
    assert (incremental.created, incremental.updated, incremental.deleted) == (1, 1, 1)
    harvested = _by_public_id(source)
    assert harvested[peer.ids["P-0"]].title == "吉林通志（光绪本）"
    assert harvested[peer.ids["P-1"]].deleted
    assert harvested[peer.ids["P-3"]].title == "吉林外记"
    assert not harvested[peer.ids["P-2"]].deleted
    assert source.cursor > incremental.from_cursor

    again = run_now(source)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
