"""Edits of published records wait for a reviewer; the public keeps the published version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from repository.errors import Conflict, InvalidTransition, PermissionDenied
from repository.extensions import db
from repository.models import RecordStatus
from repository.models.workflow import PendingEdit, PendingEditState
from repository.services import records, review
from search.query import SearchRequest
from tests.conftest import submit_form


def found(backend, text: str) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text)).hits]


def datestamp(client, public_id: str) -> str:
    xml = client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").get_data(as_text=True)
    match = re.search(rf":{public_id}</identifier>\s*<datestamp>([^<]+)</datestamp>", xml)
    assert match, xml[:800]
    return match.group(1)


def test_a_pending_edit_is_invisible_to_the_public_until_approved(
    alliance, make_record, client, app_backend, login
):
    record = make_record(alliance.collection, alliance.contributor, title="人参")
    published_stamp = datestamp(client, record.public_id)
    updated_at = record.updated_at

    assert records.update_record(
        alliance.contributor, record, {**record.metadata_, "title": "园参新名"}
    )

    db.session.refresh(record)
    assert record.title == "人参" and record.updated_at == updated_at
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    assert "人参" in page and "园参新名" not in page
    assert found(app_backend, "园参新名") == []
    assert found(app_backend, "人参") == [record.public_id]
    assert datestamp(client, record.public_id) == published_stamp
    edit = review.pending_edit_of(record)
    assert edit.metadata_["title"] == "园参新名"

    review.approve_edit(alliance.reviewer, edit.id)
    db.session.refresh(record)
    assert record.title == "园参新名"
    assert found(app_backend, "园参新名") == [record.public_id]
    assert record.updated_at > updated_at  # the OAI datestamp and IIIF fingerprint move now
    latest = record.revisions[0]
    assert (latest.action, latest.user_id) == ("edit", alliance.contributor.id)
    assert latest.metadata_before["title"] == "人参"


def test_a_second_edit_replaces_the_first_and_the_collection_can_turn_review_off(
    alliance, make_record
):
    record = make_record(alliance.collection, alliance.contributor)
    records.update_record(alliance.contributor, record, {**record.metadata_, "habitat": "林下"})
    records.update_record(alliance.colleague, record, {**record.metadata_, "habitat": "林缘"})
    edits = db.session.scalars(select(PendingEdit).where(PendingEdit.record_id == record.id)).all()
    assert [(e.metadata_["habitat"], e.proposed_by_id) for e in edits] == [
        ("林缘", alliance.colleague.id)
    ]

    alliance.collection.edits_need_review = False
    db.session.commit()
    other = make_record(alliance.collection, alliance.contributor)
    records.update_record(alliance.contributor, other, {**other.metadata_, "habitat": "林下"})
    assert other.metadata_["habitat"] == "林下"
    assert review.pending_edit_of(other) is None


def test_reviewers_edit_their_own_librarys_published_records_directly(
    alliance, make_record, make_user
):
    record = make_record(alliance.collection, alliance.contributor)
    with pytest.raises(PermissionDenied):  # a reviewer never edits another library's record
        records.update_record(alliance.reviewer, record, {**record.metadata_, "habitat": "林下"})
    home_reviewer = make_user("reviewer", library=alliance.home, reviews=[alliance.collection])
    records.update_record(home_reviewer, record, {**record.metadata_, "habitat": "林下"})
    assert record.metadata_["habitat"] == "林下"
    assert review.pending_edit_of(record) is None


def test_two_reviewers_deciding_the_same_edit_one_wins(alliance, make_record, login, client):
    record = make_record(alliance.collection, alliance.contributor)
    records.update_record(alliance.contributor, record, {**record.metadata_, "habitat": "林下"})
    edit = review.pending_edit_of(record)
    first = login(alliance.reviewer)
    url = f"/workspace/edits/{edit.id}"
    page = first.get(url).get_data(as_text=True)
    assert "林下" in page and "通过并发布" in page
    second = login(alliance.second_reviewer, separate=True)
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', second.get(url).get_data(as_text=True)
    )
    answer = submit_form(first, url, {}, action=f"{url}/approve")
    assert answer.status_code == 303
    late = second.post(f"{url}/reject", data={"csrf_token": token.group(1), "comment": "不对"})
    assert late.status_code == 409
    assert "另一位审核人员已经处理了这项修改" in late.get_data(as_text=True)
    db.session.refresh(record)
    assert record.metadata_["habitat"] == "林下"
    with pytest.raises(Conflict):
        review.approve_edit(alliance.second_reviewer, edit.id)


def test_returning_an_edit_needs_a_comment_and_keeps_the_published_version(alliance, make_record):
    record = make_record(alliance.collection, alliance.contributor)
    records.update_record(alliance.contributor, record, {**record.metadata_, "habitat": "林下"})
    edit = review.pending_edit_of(record)
    with pytest.raises(InvalidTransition):
        review.reject_edit(alliance.reviewer, edit.id, " ")
    with pytest.raises(PermissionDenied):
        review.approve_edit(alliance.outsider, edit.id)
    review.reject_edit(alliance.reviewer, edit.id, "请注明出处")
    db.session.refresh(edit)
    assert edit.state is PendingEditState.REJECTED
    assert "habitat" not in record.metadata_
    assert [r.action for r in record.revisions] == ["publish", "submit", "create"]


def test_history_shows_old_and_new_values_and_restores_as_a_new_revision(
    alliance, make_record, login
):
    alliance.collection.edits_need_review = False
    db.session.commit()
    record = make_record(alliance.collection, alliance.contributor, habitat="针阔混交林")
    records.update_record(alliance.contributor, record, {**record.metadata_, "habitat": "林缘"})
    browser = login(alliance.contributor)
    page = browser.get(f"/workspace/records/{record.public_id}/history").get_data(as_text=True)
    assert re.search(r"针阔混交林</td>\s*<td class=\"diff-new\">林缘", page), page
    first = record.revisions[-1].number
    answer = submit_form(
        browser,
        f"/workspace/records/{record.public_id}/history",
        {},
        action=f"/workspace/records/{record.public_id}/history/{first}/restore",
    )
    assert answer.status_code == 303
    db.session.refresh(record)
    assert record.metadata_["habitat"] == "针阔混交林"
    assert [r.action for r in record.revisions][:2] == ["restore", "edit"]
    assert record.status is RecordStatus.PUBLISHED


def test_restoring_another_librarys_record_is_refused(alliance, make_record, login):
    record = make_record(alliance.collection, alliance.contributor, habitat="针阔混交林")
    number = record.revisions[-1].number
    browser = login(alliance.outsider)
    token_page = browser.get("/workspace/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page).group(1)
    answer = browser.post(
        f"/workspace/records/{record.public_id}/history/{number}/restore",
        data={"csrf_token": token},
    )
    assert answer.status_code == 403
    with pytest.raises(PermissionDenied):
        review.restore_revision(alliance.outsider, record, number)
    assert len(record.revisions) == 3  # create, submit, publish: nothing added


def test_an_edit_that_changes_images_of_a_published_record_is_refused_clearly(
    alliance, make_record
):
    record = make_record(alliance.collection, alliance.contributor)

    def add_image(target) -> bool:
        return True

    with pytest.raises(InvalidTransition, match="images"):
        records.update_record(
            alliance.contributor,
            record,
            {**record.metadata_, "habitat": "林下"},
            edit_assets=add_image,
        )
    assert review.pending_edit_of(record) is None
