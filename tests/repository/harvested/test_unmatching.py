"""A harvested record matched to a contributed one is searched through it while it is public;
when the contributed record is deleted, withdrawn or merged away, the harvested one is queued to
be indexed again in the same transaction, so it comes back in search."""

from __future__ import annotations

from sqlalchemy import select

from ingest.duplicates import merge_pair
from repository.extensions import db
from repository.models import DuplicateCandidate, RecordStatus
from repository.services import records
from tests.factories import SAMPLE_METADATA


def test_deleting_a_matched_draft_unmatches_and_requeues_the_harvested_record(
    make_collection, make_record, make_harvested, make_user, queued_index_tasks
):
    draft = make_record(make_collection("natural_history"), status=RecordStatus.DRAFT)
    harvested = make_harvested(matched_record_id=draft.id)
    records.delete_record(make_user("admin", library=draft.library), draft)
    db.session.refresh(harvested)
    assert harvested.matched_record_id is None
    assert (harvested.public_id, "upsert") in queued_index_tasks


def test_deleting_a_matched_published_record_requeues_the_harvested_record(
    make_collection, make_record, make_harvested, make_user, queued_index_tasks
):
    published = make_record(make_collection("natural_history"))
    harvested = make_harvested(matched_record_id=published.id)
    gone = published.public_id
    records.delete_record(make_user("admin", library=published.library), published)
    db.session.refresh(harvested)
    assert harvested.matched_record_id is None
    assert (gone, "delete") in queued_index_tasks
    assert (harvested.public_id, "upsert") in queued_index_tasks


def test_withdrawing_a_matched_record_requeues_the_harvested_record(
    make_collection, make_record, make_harvested, make_user, queued_index_tasks
):
    published = make_record(make_collection("natural_history"))
    harvested = make_harvested(matched_record_id=published.id)
    records.withdraw_record(make_user("admin", library=published.library), published)
    assert (harvested.public_id, "upsert") in queued_index_tasks


def test_a_record_merged_away_hands_its_harvested_matches_to_the_survivor(
    make_collection, make_record, make_harvested, make_user, queued_index_tasks
):
    plants = make_collection("natural_history")
    ginseng = {**SAMPLE_METADATA["natural_history"], "aliases": []}
    survivor = make_record(plants, **ginseng)
    merged = make_record(plants, **{**ginseng, "title": "野山参"})
    harvested = make_harvested(
        metadata={"title": ginseng["title"], "alternative": [ginseng["scientific_name"]]},
        matched_record_id=merged.id,
    )
    pair = db.session.scalar(select(DuplicateCandidate))
    merge_pair(make_user("reviewer", reviews=[plants]), pair.id, survivor.public_id)
    db.session.refresh(harvested)
    assert harvested.matched_record_id == survivor.id
    assert (harvested.public_id, "upsert") in queued_index_tasks
