"""Harvesting a second Huiku's IIIF Change Discovery stream and its IIIF Collection."""

from __future__ import annotations

from sqlalchemy import select

from repository.extensions import db
from repository.models.harvest import HarvestedRecord, HarvestSource, SourceKind
from repository.models.jobs import JobState
from tests.harvest.peer import change_corpus
from tests.harvest.running import run_now


def _by_public_id(source: HarvestSource) -> dict[str, HarvestedRecord]:
    found = db.session.scalars(
        select(HarvestedRecord).where(HarvestedRecord.source_id == source.id)
    ).all()
    return {record.identifier.rstrip("/").rsplit("/", 1)[-1]: record for record in found}


def test_the_collection_then_the_stream_bring_exactly_the_changes(peer, make_source):
    collection = make_source(
        f"{peer.server.url}/iiif/3/collections/peer-docs", SourceKind.IIIF_COLLECTION
    )
    walked = run_now(collection, full=True)
    assert walked.state is JobState.SUCCEEDED, walked.message
    assert (walked.created, walked.failed) == (3, 0)
    first = _by_public_id(collection)[peer.ids["P-0"]]
    assert first.title == "吉林通志"
    assert first.manifest_url.endswith(peer.ids["P-0"])
    assert first.original_url.startswith(peer.server.url)

    stream = make_source(f"{peer.server.url}/iiif/discovery/changes", SourceKind.IIIF_DISCOVERY)
    full = run_now(stream, full=True)
    assert full.state is JobState.SUCCEEDED, full.message
    assert (full.created, full.updated, full.deleted, full.failed) == (3, 0, 0, 0)
    assert stream.cursor.startswith("2026-01-03")

    change_corpus(peer)
    incremental = run_now(stream)

    assert incremental.state is JobState.SUCCEEDED, incremental.message
    assert (incremental.created, incremental.updated, incremental.deleted) == (1, 1, 1)
    harvested = _by_public_id(stream)
    assert harvested[peer.ids["P-0"]].title == "吉林通志（光绪本）"
    assert harvested[peer.ids["P-1"]].deleted
    assert harvested[peer.ids["P-3"]].title == "吉林外记"
    assert not harvested[peer.ids["P-2"]].deleted

    # The collection no longer lists the withdrawn record: a new walk marks it deleted.
    rewalked = run_now(collection)
    assert (rewalked.created, rewalked.updated, rewalked.deleted) == (1, 1, 1)
