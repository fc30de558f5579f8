"""A record's life: draft → submitted → published (→ withdrawn), each step by the right person."""

import pytest
from sqlalchemy import select

from repository.errors import InvalidTransition, PermissionDenied
from repository.extensions import db
from repository.models import IndexTask, RecordStatus, Tombstone
from repository.profiles import MetadataInvalid
from repository.services import records


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history")


@pytest.fixture(autouse=True)
def outbox_kept(app):
    """Leave the index outbox unapplied, to see the rows each change writes with it."""
    app.config["SEARCH_APPLY_ON_COMMIT"] = False
    yield
    app.config["SEARCH_APPLY_ON_COMMIT"] = True


def index_tasks(record):
    return db.session.scalars(
        select(IndexTask.action).where(IndexTask.record_id == record.id).order_by(IndexTask.id)
    ).all()


def test_a_new_record_is_a_draft_of_the_contributors_library(collection, make_user, make_record):
    contributor = make_user("contributor")
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)
    assert record.status is RecordStatus.DRAFT
    assert record.library == contributor.library
    assert record.title == "人参"
    assert record.title_sort == "ren2 shen1"
    assert (record.year_start, record.year_end) == (2011, 2011)
    assert [r.action for r in record.revisions] == ["create"]
    assert index_tasks(record) == []  # drafts never reach the search index


def test_publishing_writes_a_revision_and_an_index_task(collection, make_user, make_record):
    contributor = make_user("contributor")
    reviewer = make_user("reviewer", reviews=[collection])
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)
    records.submit_record(contributor, record, "请审核")
    records.publish_record(reviewer, record)
    assert record.status is RecordStatus.PUBLISHED
    assert record.published_at is not None
    assert [r.action for r in record.revisions] == ["publish", "submit", "create"]
    assert index_tasks(record) == ["upsert"]


def test_a_returned_record_carries_the_reviewers_comment(collection, make_user, make_record):
    contributor = make_user("contributor")
    reviewer = make_user("reviewer", reviews=[collection])
    record = make_record(collection, contributor, status=RecordStatus.SUBMITTED)
    with pytest.raises(InvalidTransition):
        records.return_record(reviewer, record, "  ")
    records.return_record(reviewer, record, "学名缺少命名人")
    assert record.status is RecordStatus.DRAFT
    assert record.review_comment == "学名缺少命名人"
    assert record.revisions[0].comment == "学名缺少命名人"


def test_only_reviewers_of_the_collection_publish(
    collection, make_collection, make_user, make_record
):
    contributor = make_user("contributor")
    other_reviewer = make_user("reviewer", reviews=[make_collection("ich")])
    record = make_record(collection, contributor, status=RecordStatus.SUBMITTED)
    for user in (contributor, other_reviewer):
        with pytest.raises(PermissionDenied):
            records.publish_record(user, record)
    assert record.status is RecordStatus.SUBMITTED


def test_a_library_never_changes_another_librarys_record(collection, make_user, make_record):
    record = make_record(collection, make_user("contributor"), status=RecordStatus.DRAFT)
    outsider = make_user("reviewer", reviews=[collection])  # even a reviewer of the collection
    with pytest.raises(PermissionDenied):
        records.update_record(outsider, record, {**record.metadata_, "title": "改名"})
    db.session.refresh(record)
    assert record.title == "人参"
    assert len(record.revisions) == 1


def test_editing_a_published_record_reindexes_it_and_keeps_history(
    collection, make_user, make_record
):
    collection.edits_need_review = (
        False  # with review on, the edit waits (tests/repository/workspace)
    )
    contributor = make_user("contributor")
    record = make_record(collection, contributor)
    changed = records.update_record(
        contributor, record, {**record.metadata_, "habitat": "针阔混交林下"}
    )
    assert changed
    assert record.status is RecordStatus.PUBLISHED
    assert index_tasks(record) == ["upsert", "upsert"]
    latest = record.revisions[0]
    assert latest.action == "edit"
    assert latest.changed_fields() == ["habitat"]
    assert records.update_record(contributor, record, dict(record.metadata_)) is False


def test_invalid_edits_leave_the_record_untouched(collection, make_user, make_record):
    contributor = make_user("contributor")
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)
    with pytest.raises(MetadataInvalid):
        records.update_record(contributor, record, {**record.metadata_, "kingdom": "矿物"})
    db.session.refresh(record)
    assert record.metadata_["kingdom"] == "植物"
    assert len(record.revisions) == 1


def test_local_ids_are_unique_within_a_library(collection, make_user, make_record):
    contributor = make_user("contributor")
    make_record(collection, contributor, local_id="NH-0001")
    with pytest.raises(MetadataInvalid, match="NH-0001"):
        make_record(collection, contributor, local_id="NH-0001")
    # another library may use the same local identifier
    assert (
        make_record(collection, make_user("contributor"), local_id="NH-0001").local_id == "NH-0001"
    )


def test_withdrawing_leaves_a_tombstone_and_removes_from_the_index(
    collection, make_user, make_record
):
    record = make_record(collection, status=RecordStatus.WITHDRAWN)
    assert record.status is RecordStatus.WITHDRAWN
    assert index_tasks(record) == ["upsert", "delete"]
    tombstone = db.session.scalar(
        select(Tombstone).where(Tombstone.record_public_id == record.public_id)
    )
    assert tombstone.reason == "withdrawn"


def test_submitted_records_are_frozen_for_their_library(collection, make_user, make_record):
    contributor = make_user("contributor")
    record = make_record(collection, contributor, status=RecordStatus.SUBMITTED)
    with pytest.raises(PermissionDenied):
        records.update_record(contributor, record, {**record.metadata_, "title": "改名"})
    with pytest.raises(PermissionDenied):  # nor may the library publish it itself
        records.publish_record(contributor, record)


def test_public_ids_are_short_and_url_safe(collection, make_record):
    record = make_record(collection)
    assert len(record.public_id) == 10
    assert record.public_id.isalnum() and record.public_id.islower()


def test_every_derived_column_is_one_an_import_prepares_for_a_new_record():
    """An import's checker prepares new records column by column (``DERIVED_COLUMNS``)."""
    from repository.profiles import get_profile
    from tests.factories import SAMPLE_METADATA

    for name, metadata in SAMPLE_METADATA.items():
        profile = get_profile(name)
        derived = records.derived_columns(
            profile, profile.validate({**metadata, "local_id": "L-1"})
        )
        assert tuple(derived) == records.DERIVED_COLUMNS
