"""A reviewer adopts a harvested record into a collection they review: an ordinary draft of the
source's library, with the metadata mapped by Dublin Core and the source kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from repository.errors import Conflict, InvalidTransition, PermissionDenied
from repository.extensions import db
from repository.models import Collection, Record, RecordRevision, RecordStatus
from repository.models.audit import AuditEntry
from repository.services import harvested as service
from tests.conftest import submit_form

GINSENG = {
    "title": "人参",
    "alternative": ["Panax ginseng C. A. Mey."],
    "creator": ["王立"],
    "subject": ["Plants", "五加科 Araliaceae"],
    "description": "多年生草本，生于针阔混交林下。",
    "date": "2011-06-18",
    "rights": "https://creativecommons.org/licenses/by/4.0/",
}


@pytest.fixture
def flora(make_collection) -> Collection:
    return make_collection("natural_history", slug="flora")


@pytest.fixture
def reviewer(make_user, flora):
    return make_user("reviewer", reviews=[flora])


def _records_in(collection: Collection) -> list[Record]:
    return list(db.session.scalars(select(Record).where(Record.collection_id == collection.id)))


def test_a_reviewer_adopts_a_record_as_a_draft_of_the_sources_library(
    client, login, flora, reviewer, make_harvested, queued_index_tasks
):
    harvested = make_harvested(metadata=GINSENG)
    login(reviewer)
    page = f"/harvested/{harvested.public_id}"
    assert "Adopt into a collection" in client.get(page + "?lang=en").get_data(as_text=True)
    response = submit_form(client, page, {"collection": "flora"}, action=page + "/adopt")
    assert response.status_code == 303
    [record] = _records_in(flora)
    assert response.location.endswith(f"/records/{record.public_id}")
    assert record.status is RecordStatus.DRAFT
    assert record.library_id == harvested.source.library_id != reviewer.library_id
    assert record.created_by_id == reviewer.id
    assert record.metadata_ == {
        "local_id": f"{harvested.source.slug}:{harvested.identifier}",
        "title": "人参",
        "scientific_name": "Panax ginseng C. A. Mey.",
        "kingdom": "植物",
        "family": "五加科 Araliaceae",
        "photographer": ["王立"],
        "date": "2011-06-18",
        "description": "多年生草本，生于针阔混交林下。",
        "rights": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert (record.year_start, record.year_end) == (2011, 2011)
    [revision] = db.session.scalars(
        select(RecordRevision).where(RecordRevision.record_id == record.id)
    )
    assert revision.action == "create" and revision.user_id == reviewer.id
    assert harvested.original_url in revision.comment and harvested.public_id in revision.comment
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "record.adopt"))
    assert entry.actor_id == reviewer.id and entry.library_id == record.library_id
    assert entry.after["harvested"] == harvested.public_id
    db.session.refresh(harvested)
    assert harvested.adopted_record_id == record.id == harvested.matched_record_id
    # Searched on its own again until the draft is published; the draft itself is not indexed.
    assert (harvested.public_id, "upsert") in queued_index_tasks
    assert all(public_id != record.public_id for public_id, _ in queued_index_tasks)


def test_fields_the_source_does_not_give_are_asked_for_then_the_draft_is_made(
    client, login, make_collection, make_user, make_harvested
):
    ich = make_collection("ich", slug="ich")
    login(make_user("reviewer", reviews=[ich]))
    harvested = make_harvested(
        metadata={"title": "朝鲜族洞箫音乐", "type": "Traditional music", "coverage": ["延边"]}
    )
    page = f"/harvested/{harvested.public_id}"
    asked = submit_form(client, page, {"collection": "ich"}, action=page + "/adopt?lang=en")
    assert asked.status_code == 422
    html = asked.get_data(as_text=True)
    assert "Level (level) is required" in html and 'name="field-level"' in html
    assert _records_in(ich) == []
    done = submit_form(
        client, page, {"collection": "ich", "field-level": "省级"}, action=page + "/adopt"
    )
    assert done.status_code == 303
    [record] = _records_in(ich)
    assert record.metadata_["category"] == "传统音乐" and record.metadata_["level"] == "省级"
    assert record.metadata_["region"] == ["延边"] and record.title == "朝鲜族洞箫音乐"


def test_a_generic_collection_keeps_the_source_in_its_source_and_relation_fields(
    make_collection, make_user, make_harvested
):
    documents = make_collection("generic", slug="documents")
    harvested = make_harvested(metadata={"title": "吉林通志", "relation": ["https://x.org/a"]})
    record = service.adopt(harvested, documents, make_user("admin"))
    assert record.metadata_["source"] == harvested.original_url
    assert record.metadata_["relation"] == ["https://x.org/a", harvested.original_url]


def test_someone_who_does_not_review_the_collection_may_not_adopt(
    client, login, flora, make_user, make_collection, make_harvested
):
    harvested = make_harvested(metadata=GINSENG)
    other = make_user("reviewer", reviews=[make_collection("ich")])
    with pytest.raises(PermissionDenied):
        service.adopt(harvested, flora, other)
    login(make_user("contributor"))
    page = f"/harvested/{harvested.public_id}"
    assert "Adopt into a collection" not in client.get(page + "?lang=en").get_data(as_text=True)
    token_page = "/records/none"  # the contributor's page has no form: post with a fresh token
    response = client.post(page + "/adopt?lang=en", data={"collection": "flora"})
    assert response.status_code in (400, 403), token_page
    assert _records_in(flora) == []


def test_a_contributor_posting_the_form_is_refused_with_a_clear_message(
    client, login, flora, make_user, make_harvested, reviewer
):
    harvested = make_harvested(metadata=GINSENG)
    contributor = make_user("contributor")
    login(contributor)
    # The CSRF token of any form of the site serves; the adoption itself is refused.
    page = f"/harvested/{harvested.public_id}"
    response = submit_form(
        client, "/workspace/", {"collection": "flora"}, action=page + "/adopt?lang=en"
    )
    assert response.status_code == 403
    assert "only a reviewer of the collection flora" in response.get_data(as_text=True)
    assert _records_in(flora) == []


def test_a_record_adopted_already_is_refused_with_a_link_to_the_draft(
    client, login, flora, reviewer, make_harvested
):
    harvested = make_harvested(metadata=GINSENG)
    draft = service.adopt(harvested, flora, reviewer)
    with pytest.raises(service.AlreadyAdopted) as refused:
        service.adopt(harvested, flora, reviewer)
    assert refused.value.record.id == draft.id and draft.public_id in str(refused.value.message)
    assert "已被采纳" in refused.value.message.zh
    login(reviewer)
    html = client.get(f"/harvested/{harvested.public_id}?lang=en").get_data(as_text=True)
    assert f'href="/records/{draft.public_id}"' in html and "Adopt into a collection" not in html
    assert len(_records_in(flora)) == 1


def test_a_record_deleted_at_its_source_cannot_be_adopted(flora, reviewer, make_harvested):
    harvested = make_harvested(metadata=GINSENG, deleted=True)
    with pytest.raises(InvalidTransition) as refused:
        service.adopt(harvested, flora, reviewer)
    assert "deleted at its source" in str(refused.value.message)
    assert _records_in(flora) == []


def test_an_unpublished_or_unknown_collection_is_refused(
    client, login, flora, reviewer, make_harvested
):
    harvested = make_harvested(metadata=GINSENG)
    flora.published = False
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        service.adopt(harvested, flora, reviewer)
    assert "not published" in str(refused.value.message) and "尚未发布" in refused.value.message.zh
    flora.published = True
    db.session.commit()
    login(reviewer)
    page = f"/harvested/{harvested.public_id}"
    response = submit_form(client, page, {"collection": "nowhere"}, action=page + "/adopt?lang=en")
    assert response.status_code == 404 and "no collection nowhere" in response.get_data(
        as_text=True
    )
    assert _records_in(flora) == []
