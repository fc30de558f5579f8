"""Kept counts per month, contributor and images stay equal to counting the records."""

from datetime import UTC, datetime

from sqlalchemy import select

from repository.extensions import db
from repository.models import Asset, RecordStatus
from repository.models.records import RecordCount
from repository.services import record_counts, records


def kept() -> dict[tuple, tuple[int, int]]:
    rows = db.session.execute(select(RecordCount))
    return {
        (c.collection_id, c.library_id, c.status, c.month, c.contributor_id): (c.records, c.images)
        for (c,) in rows
        if c.records or c.images
    }


def recounted() -> dict[tuple, tuple[int, int]]:
    with db.session.begin_nested() as nested:
        record_counts.recount()
        found = kept()
        nested.rollback()
    return found


def test_counts_follow_images_contributors_and_months(make_collection, make_record, make_user):
    collection = make_collection()
    contributor = make_user("contributor")
    admin = make_user("admin", library=contributor.library)
    first = make_record(collection, contributor, images=2)
    second = make_record(collection, contributor, status=RecordStatus.DRAFT, images=1)
    make_record(collection, images=1)  # another library's
    month = datetime.now(UTC).strftime("%Y-%m")
    key = (collection.id, contributor.library_id, "published", month, contributor.id)
    assert kept()[key] == (1, 2)
    assert kept() == recounted()

    records.submit_record(contributor, second)
    records.publish_record(admin, second)  # the record takes its image to its new count
    assert kept()[key] == (2, 3)
    db.session.delete(first.assets[0])  # an image removed
    db.session.flush()
    assert kept()[key] == (2, 2)
    records.withdraw_record(admin, first)
    assert kept() == recounted()
    records.delete_record(admin, second)
    assert kept() == recounted()
    assert key not in kept()


def test_an_image_moved_to_another_record_moves_its_count(make_collection, make_record):
    collection = make_collection()
    giver = make_record(collection, images=2)
    taker = make_record(collection, status=RecordStatus.DRAFT)
    moved = giver.assets[0]
    moved.position = 5
    taker.assets.append(moved)  # as merging duplicates does
    db.session.flush()
    assert db.session.get(Asset, moved.id).record_id == taker.id
    assert kept() == recounted()


def test_a_record_created_in_an_earlier_month_counts_there(make_collection, make_record, make_user):
    record = make_record(collection := make_collection(), images=1)
    record.created_at = datetime(2025, 3, 9, 23, 30, tzinfo=UTC)
    db.session.flush()
    record_counts.recount()
    assert any(key[3] == "2025-03" and key[0] == collection.id for key in kept())
    # it leaves the 2025-03 count it is in
    records.withdraw_record(make_user("admin", library=record.library), record)
    assert kept() == recounted()
