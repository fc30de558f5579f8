"""A library's own system creates, reads, corrects and submits records through the JSON API.

Every answer is also held to the OpenAPI description (see ``api_client``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Asset, Record, RecordRevision, RecordStatus
from repository.services import collections as collection_service
from tests.factories import jpeg_bytes
from tests.ingest import image_factory
from tests.ingest.api_client import ApiClient, issue_token

GINSENG = {
    "local_id": "CBS-API-1",
    "title": "人参",
    "scientific_name": "Panax ginseng C. A. Mey.",
    "kingdom": "植物",
    "aliases": "棒槌；山参",
    "latitude": "42.05",
    "longitude": "128.06",
    "date": "2011-06-18",
}


def api_as(client, spec, user) -> ApiClient:
    return ApiClient(client, spec, issue_token(user))


def record_count() -> int:
    return db.session.scalar(select(func.count(Record.id)))


def revisions_of(public_id: str) -> int:
    return db.session.scalar(
        select(func.count(RecordRevision.id))
        .join(Record, Record.id == RecordRevision.record_id)
        .where(Record.public_id == public_id)
    )


def create(api: ApiClient, metadata: dict, slug: str = "changbaishan"):
    return api.post(f"/api/collections/{slug}/records", json={"metadata": metadata})


# --- create and read --------------------------------------------------------------------------


def test_a_record_is_created_as_a_draft_of_the_tokens_library(api, collection, contributor):
    response = create(api, GINSENG)
    assert response.status_code == 201
    document = response.get_json()
    assert response.headers["Location"].endswith(f"/api/records/{document['id']}")
    assert document["status"] == "draft"
    assert document["library"] == contributor.library.code
    assert document["metadata"]["aliases"] == ["棒槌", "山参"]  # full-width ; understood
    assert document["metadata"]["latitude"] == 42.05
    assert document["years"] == [2011, 2011]

    again = api.get(f"/api/records/{document['id']}")
    assert again.status_code == 200
    assert again.get_json() == document
    record = db.session.scalar(select(Record).where(Record.public_id == document["id"]))
    assert record.created_by == contributor
    assert revisions_of(document["id"]) == 1


def test_english_vocabulary_labels_and_lists_are_accepted(api, collection):
    response = create(api, {**GINSENG, "kingdom": "Plants", "aliases": ["棒槌", " 山参 "]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["metadata"]["kingdom"] == "植物"
    assert response.get_json()["metadata"]["aliases"] == ["棒槌", "山参"]


@pytest.mark.parametrize(
    ("change", "path", "complaint"),
    [
        ({"scientific_name": ""}, "metadata.scientific_name", "is required"),
        ({"kingdom": "矿物"}, "metadata.kingdom", "not one of the allowed values"),
        ({"latitude": "42°N"}, "metadata.latitude", "not a decimal number"),
        ({"latitude": "95", "longitude": "128"}, "metadata.latitude", "outside"),
        ({"date": "2019-02-30"}, "metadata.date", "not a real calendar date"),
        ({"habitat": ["林下", "山坡"]}, "metadata.habitat", "one value, not a list"),
        ({"colour": "green"}, "metadata.colour", "is not a field"),
        ({"images": ["a.jpg"]}, "metadata.images", "uploaded as files"),
        ({"title": 42}, "metadata.title", "must be text"),
        ({"title": True}, "metadata.title", "must be text"),
        ({"aliases": ["棒槌", 7]}, "metadata.aliases", "text or a list of texts"),
        ({"kingdom": " plants"}, "metadata.kingdom", "not one of the allowed values"),
        ({"latitude": True}, "metadata.latitude", "must be text"),
    ],
)
def test_bad_metadata_is_422_with_the_field_path(api, collection, change, path, complaint):
    response = create(api, {**GINSENG, **change})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert path in errors, errors
    assert complaint in errors[path][0]["en"]
    assert errors[path][0]["zh"] and errors[path][0]["zh"] != errors[path][0]["en"]
    assert record_count() == 0


def test_every_bad_field_is_named_at_once(api, collection):
    response = create(api, {"local_id": "X-1", "kingdom": "矿物", "latitude": "north"})
    errors = response.get_json()["errors"]
    assert response.status_code == 422
    assert {"metadata.title", "metadata.scientific_name", "metadata.kingdom"} <= set(errors)
    assert "metadata.latitude" in errors


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("not json", "body"),
        ([1, 2], "body"),
        ({}, "metadata"),
        ({"metadata": "人参"}, "metadata"),
        ({"metadata": GINSENG, "status": "published"}, "status"),
    ],
)
def test_a_body_that_is_not_a_record_is_422(api, collection, body, path):
    if isinstance(body, str):
        response = api.post(
            "/api/collections/changbaishan/records", data=body, content_type="application/json"
        )
    else:
        response = api.post("/api/collections/changbaishan/records", json=body)
    assert response.status_code == 422
    assert path in response.get_json()["errors"]
    assert record_count() == 0


def test_a_local_id_the_library_already_has_is_409_naming_the_record(
    api, client, spec, collection, make_user, contributor
):
    first = create(api, GINSENG).get_json()
    clash = create(api, {**GINSENG, "title": "野山参"})
    assert clash.status_code == 409
    body = clash.get_json()
    assert body["existing_record"] == first["id"]
    assert "metadata.local_id" in body["errors"]
    assert record_count() == 1
    # The same local_id at another library is that library's own business.
    other = api_as(client, spec, make_user("contributor"))
    assert create(other, GINSENG).status_code == 201


def test_unknown_collection_and_record_are_404(api, collection):
    assert create(api, GINSENG, slug="no-such-collection").status_code == 404
    response = api.get("/api/records/zzzzzzzzzz")
    assert response.status_code == 404
    assert response.get_json()["error"] == "no record zzzzzzzzzz"


def test_an_unpublished_collection_takes_records_only_from_admins(
    client, spec, make_user, contributor
):
    hidden = collection_service.create_collection("hidden-herbarium", "natural_history", "内部")
    hidden.published = False
    db.session.commit()
    response = create(api_as(client, spec, contributor), GINSENG, slug="hidden-herbarium")
    assert response.status_code == 403
    admin = make_user("admin", library=contributor.library)
    assert create(api_as(client, spec, admin), GINSENG, slug="hidden-herbarium").status_code == 201


def test_drafts_are_seen_by_their_library_and_reviewers_only(
    client, spec, collection, make_user, make_record, contributor
):
    draft = make_record(collection, contributor, status=RecordStatus.DRAFT)
    colleague = api_as(client, spec, make_user("contributor", library=contributor.library))
    assert colleague.get(f"/api/records/{draft.public_id}").status_code == 200
    outsider = api_as(client, spec, make_user("contributor"))
    assert outsider.get(f"/api/records/{draft.public_id}").status_code == 404
    reviewer = api_as(client, spec, make_user("reviewer", reviews=[collection]))
    assert reviewer.get(f"/api/records/{draft.public_id}").status_code == 200
    published = make_record(collection, contributor)
    assert outsider.get(f"/api/records/{published.public_id}").get_json()["status"] == "published"


# --- update -----------------------------------------------------------------------------------


def test_put_replaces_the_metadata_and_writes_one_revision(api, collection):
    record_id = create(api, GINSENG).get_json()["id"]
    replaced = {**GINSENG, "title": "野山参", "habitat": "针阔混交林下"}
    del replaced["aliases"]
    response = api.put(f"/api/records/{record_id}", json={"metadata": replaced})
    assert response.status_code == 200
    metadata = response.get_json()["metadata"]
    assert metadata["title"] == "野山参" and metadata["habitat"] == "针阔混交林下"
    assert "aliases" not in metadata
    assert revisions_of(record_id) == 2
    # Sending the same again changes nothing and writes no revision.
    assert api.put(f"/api/records/{record_id}", json={"metadata": replaced}).status_code == 200
    assert revisions_of(record_id) == 2


def test_patch_changes_only_the_named_fields_and_null_clears(api, collection):
    record_id = create(api, GINSENG).get_json()["id"]
    response = api.patch(
        f"/api/records/{record_id}", json={"metadata": {"family": "五加科", "aliases": None}}
    )
    assert response.status_code == 200
    metadata = response.get_json()["metadata"]
    assert metadata["family"] == "五加科"
    assert "aliases" not in metadata
    assert metadata["scientific_name"] == GINSENG["scientific_name"]

    bad = api.patch(f"/api/records/{record_id}", json={"metadata": {"kingdom": "矿物"}})
    assert bad.status_code == 422 and "metadata.kingdom" in bad.get_json()["errors"]
    assert db.session.scalar(select(Record).where(Record.public_id == record_id)).metadata_[
        "kingdom"
    ] == ("植物")


def test_renaming_to_a_taken_local_id_is_409(api, collection):
    first = create(api, GINSENG).get_json()["id"]
    second = create(api, {**GINSENG, "local_id": "CBS-API-2"}).get_json()["id"]
    response = api.patch(f"/api/records/{second}", json={"metadata": {"local_id": "CBS-API-1"}})
    assert response.status_code == 409
    assert response.get_json()["existing_record"] == first


def test_another_librarys_records_cannot_be_changed(
    client, spec, collection, make_user, make_record
):
    published = make_record(collection)  # visible to all, editable by its library only
    draft = make_record(collection, status=RecordStatus.DRAFT)
    outsider = api_as(client, spec, make_user("contributor"))
    body = {"metadata": {**GINSENG, "local_id": published.local_id}}
    assert outsider.put(f"/api/records/{published.public_id}", json=body).status_code == 403
    assert outsider.put(f"/api/records/{draft.public_id}", json=body).status_code == 404
    assert outsider.post(f"/api/records/{published.public_id}/submit").status_code == 403
    assert db.session.get(Record, published.id).metadata_["title"] == "人参"


def test_a_submitted_record_is_frozen(api, collection):
    record_id = create(api, GINSENG).get_json()["id"]
    assert api.post(f"/api/records/{record_id}/submit").status_code == 200
    response = api.patch(f"/api/records/{record_id}", json={"metadata": {"title": "改"}})
    assert response.status_code == 403


# --- submit -----------------------------------------------------------------------------------


def test_submitting_hands_the_draft_to_reviewers_with_a_note(api, collection):
    record_id = create(api, GINSENG).get_json()["id"]
    response = api.post(f"/api/records/{record_id}/submit", json={"comment": "请审核"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "submitted"
    record = db.session.scalar(select(Record).where(Record.public_id == record_id))
    assert record.revisions[0].comment == "请审核"

    # A submitted record is frozen for its library (as on the web), so it cannot go again.
    assert api.post(f"/api/records/{record_id}/submit").status_code == 403


def test_only_a_draft_can_be_submitted(api, collection, make_record, contributor):
    published = make_record(collection, contributor)
    response = api.post(f"/api/records/{published.public_id}/submit")
    assert response.status_code == 409
    assert response.get_json()["error"] == "a record that is published cannot be submitted"


def test_a_submit_note_must_be_text(api, collection):
    record_id = create(api, GINSENG).get_json()["id"]
    response = api.post(f"/api/records/{record_id}/submit", json={"comment": ["a"]})
    assert response.status_code == 422 and "comment" in response.get_json()["errors"]
    response = api.post(f"/api/records/{record_id}/submit", json={"note": "a"})
    assert response.status_code == 422 and "note" in response.get_json()["errors"]
    assert api.get(f"/api/records/{record_id}").get_json()["status"] == "draft"


# --- images -----------------------------------------------------------------------------------


def upload(api: ApiClient, record_id: str, files: list[tuple[str, bytes]], labels=()):
    data = {"images": [(io.BytesIO(content), name) for name, content in files]}
    if labels:
        data["labels"] = list(labels)
    return api.post(
        f"/api/records/{record_id}/images", data=data, content_type="multipart/form-data"
    )


def test_images_are_appended_in_order_with_labels_and_derivatives(api, collection, tmp_path):
    record_id = create(api, GINSENG).get_json()["id"]
    files = [
        ("whole.jpg", image_factory.jpeg(tmp_path / "whole.jpg").read_bytes()),
        ("root.png", image_factory.png_with_alpha(tmp_path / "root.png").read_bytes()),
    ]
    response = upload(api, record_id, files, labels=["全株", "根"])
    assert response.status_code == 200
    images = response.get_json()["images"]
    assert [(i["label"], i["mime_type"]) for i in images] == [
        ("全株", "image/jpeg"),
        ("根", "image/png"),
    ]
    more = upload(api, record_id, [("leaf.jpg", jpeg_bytes().read())])
    assert [i["label"] for i in more.get_json()["images"]] == ["全株", "根", "leaf"]
    assets = db.session.scalars(select(Asset).order_by(Asset.position)).all()
    assert all(asset.derivatives_ready for asset in assets)
    assert revisions_of(record_id) == 3


def test_a_file_that_is_not_an_image_refuses_the_whole_upload(api, collection, tmp_path):
    record_id = create(api, GINSENG).get_json()["id"]
    files = [
        ("good.jpg", jpeg_bytes().read()),
        ("notes.jpg", image_factory.text_file(tmp_path / "notes.jpg").read_bytes()),
    ]
    response = upload(api, record_id, files)
    assert response.status_code == 422
    messages = response.get_json()["errors"]["images"]
    assert "notes.jpg" in messages[0]["en"] and "not an image" in messages[0]["en"]
    assert db.session.scalar(select(func.count(Asset.id))) == 0
    assert not list((Path(api.client.application.config["STORAGE_ROOT"]) / "originals").rglob("*"))


def test_an_upload_without_files_is_422(api, collection):
    record_id = create(api, GINSENG).get_json()["id"]
    response = api.post(f"/api/records/{record_id}/images", data={"labels": "x"})
    assert response.status_code == 422 and "images" in response.get_json()["errors"]


def test_a_file_over_the_upload_limit_is_named(api, collection, app, monkeypatch):
    record_id = create(api, GINSENG).get_json()["id"]
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    response = upload(api, record_id, [("huge.jpg", b"\xff\xd8\xff" + b"0" * 110_000)])
    assert response.status_code == 422
    message = response.get_json()["errors"]["images"][0]["en"]
    assert "huge.jpg is larger than the upload limit of 100 KB" in message


def test_a_request_over_the_size_limit_is_413_with_the_limit(api, collection, app, monkeypatch):
    record_id = create(api, GINSENG).get_json()["id"]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200 * 1024)
    response = upload(api, record_id, [("huge.jpg", b"\xff\xd8\xff" + b"0" * 300_000)])
    assert response.status_code == 413
    assert "larger than the limit of 200 KB" in response.get_json()["error"]
    assert db.session.scalar(select(func.count(Asset.id))) == 0


def test_images_of_another_librarys_record_are_refused(
    client, spec, collection, make_user, make_record
):
    published = make_record(collection)
    outsider = api_as(client, spec, make_user("contributor"))
    response = upload(outsider, published.public_id, [("a.jpg", jpeg_bytes().read())])
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Asset.id))) == 0
