"""A cataloguer enters a record with images through the web form; bad input is refused whole."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Asset, Record, RecordStatus
from tests.conftest import csrf_token_from
from tests.ingest import image_factory


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


FIELDS = {
    "local_id": "CBS-0001",
    "title": "东北红豆杉",
    "scientific_name": "Taxus cuspidata Sieb. et Zucc.",
    "kingdom": "植物",
    "aliases": "紫杉\n赤柏松",
    "date": "2019-07",
}


def post_new(client, data, files=()):
    url = "/workspace/collections/changbaishan/records/new"
    token = csrf_token_from(client, url)
    form = {"csrf_token": token, **data}
    if files:
        form["new_images"] = [(io.BytesIO(content), name) for name, content in files]
        form["new_image_labels"] = "\n".join(f"图{n}" for n in range(1, len(files) + 1))
    return client.post(url, data=form, content_type="multipart/form-data")


def image_bytes(tmp_path: Path, maker, name: str, **kwargs) -> tuple[str, bytes]:
    return name, maker(tmp_path / name, **kwargs).read_bytes()


def record_count() -> int:
    return db.session.scalar(select(func.count(Record.id)))


def test_a_draft_with_images_is_saved_in_order_with_thumbnails(
    login, collection, contributor, tmp_path
):
    client = login(contributor)
    files = [
        image_bytes(tmp_path, image_factory.jpeg, "whole.jpg"),
        image_bytes(tmp_path, image_factory.png_with_alpha, "cone.png"),
    ]
    response = post_new(client, FIELDS, files)
    assert response.status_code == 302
    record = db.session.scalar(select(Record).where(Record.local_id == "CBS-0001"))
    assert record.status is RecordStatus.DRAFT
    assert record.metadata_["aliases"] == ["紫杉", "赤柏松"]
    assert [(a.label, a.mime_type) for a in record.assets] == [
        ("图1", "image/jpeg"),
        ("图2", "image/png"),
    ]
    assert all(a.derivatives_ready for a in record.assets)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("东北红豆杉" in page and "草稿" in page) or "Draft" in page
    assert client.get(f"/assets/{record.assets[0].public_id}/thumb-200.jpg").status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "complaint"),
    [
        ({"scientific_name": ""}, "scientific_name", "is required"),
        ({"kingdom": "矿物"}, "kingdom", "is not one of the allowed values"),
        ({"date": "2019-02-30"}, "date", "not a real calendar date"),
        ({"latitude": "42°N", "longitude": "128"}, "latitude", "not a decimal number"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_stored(
    login, collection, contributor, tmp_path, change, field, complaint
):
    client = login(contributor)
    client.get("/lang/en")
    response = post_new(
        client, {**FIELDS, **change}, [image_bytes(tmp_path, image_factory.jpeg, "ok.jpg")]
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert complaint in page
    assert 'value="东北红豆杉"' in page  # what was typed is kept for correcting
    assert record_count() == 0
    assert db.session.scalar(select(func.count(Asset.id))) == 0


@pytest.mark.parametrize(
    ("maker", "name", "complaint"),
    [
        (image_factory.text_file, "photo.jpg", "is not an image"),
        (image_factory.truncated_jpeg, "cut.jpg", "damaged or incomplete"),
        (image_factory.bomb_png, "bomb.png", "pixels"),
    ],
)
def test_bad_images_are_refused_with_the_file_named(
    login, collection, contributor, tmp_path, maker, name, complaint
):
    client = login(contributor)
    client.get("/lang/en")
    good = image_bytes(tmp_path, image_factory.jpeg, "good.jpg")
    response = post_new(client, FIELDS, [good, image_bytes(tmp_path, maker, name)])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert name in page and complaint in page
    assert record_count() == 0
    assert not list((Path(client.application.config["STORAGE_ROOT"]) / "originals").rglob("*" * 1))


def test_an_oversized_upload_is_refused_with_the_limit(
    login, collection, contributor, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    client = login(contributor)
    client.get("/lang/en")
    response = post_new(client, FIELDS, [("huge.jpg", b"\xff\xd8\xff" + b"0" * 110_000)])
    assert response.status_code == 422
    assert "huge.jpg is larger than the upload limit of 100 KB" in response.get_data(as_text=True)
    assert record_count() == 0


def test_a_post_without_csrf_token_stores_nothing(login, collection, contributor):
    client = login(contributor)
    response = client.post("/workspace/collections/changbaishan/records/new", data=FIELDS)
    assert response.status_code == 400
    assert record_count() == 0


def test_editing_another_librarys_record_is_forbidden_by_form_and_url(
    login, collection, make_user, make_record
):
    record = make_record(collection, status=RecordStatus.DRAFT)
    owner_colleague = login(make_user("contributor", library=record.library), separate=True)
    token = csrf_token_from(owner_colleague, f"/workspace/records/{record.public_id}/edit")
    outsider = login(make_user("contributor"))
    assert outsider.get(f"/workspace/records/{record.public_id}/edit").status_code == 404
    response = outsider.post(
        f"/workspace/records/{record.public_id}/edit",
        data={"csrf_token": csrf_token_from(outsider, "/workspace/"), **FIELDS, "title": "篡改"},
    )
    assert response.status_code == 404
    assert token  # the owner's library could edit it
    db.session.refresh(record)
    assert record.title == "人参"


def test_an_edit_relabels_reorders_and_removes_images_in_one_revision(
    login, collection, contributor, make_record, tmp_path
):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT, images=2)
    first, second = record.assets
    client = login(contributor)
    url = f"/workspace/records/{record.public_id}/edit"
    data = {
        "csrf_token": csrf_token_from(client, url),
        **{k: (", ".join(v) if isinstance(v, list) else v) for k, v in record.metadata_.items()},
        "aliases": "棒槌\n山参",
        "images-0-asset_id": first.public_id,
        "images-0-caption": "全株",
        "images-0-position": "2",
        "images-1-asset_id": second.public_id,
        "images-1-caption": "根",
        "images-1-position": "1",
        "new_images": [(io.BytesIO(image_factory.jpeg(tmp_path / "n.jpg").read_bytes()), "n.jpg")],
        "new_image_labels": "果实",
    }
    data["images-0-remove"] = ""
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(record)
    assert [a.label for a in record.assets] == ["根", "全株", "果实"]
    assert [r.action for r in record.revisions] == ["edit", "create"]
    history = client.get(f"/workspace/records/{record.public_id}/history").get_data(as_text=True)
    assert "#2" in history


def test_a_contributor_submits_and_a_reviewer_publishes_through_the_web(
    login, collection, contributor, make_user, make_record, client
):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)
    page = f"/records/{record.public_id}"
    login(contributor)
    response = client.post(
        f"/workspace/records/{record.public_id}/submit",
        data={"csrf_token": csrf_token_from(client, page)},
    )
    assert response.status_code == 302
    reviewer = login(make_user("reviewer", reviews=[collection]), separate=True)
    response = reviewer.post(
        f"/workspace/records/{record.public_id}/return",
        data={"csrf_token": csrf_token_from(reviewer, page), "comment": "请补充生境"},
    )
    assert response.status_code == 302
    assert "请补充生境" in client.get(page).get_data(as_text=True)  # the contributor sees why
    client.post(
        f"/workspace/records/{record.public_id}/submit",
        data={"csrf_token": csrf_token_from(client, page)},
    )
    reviewer.post(
        f"/workspace/records/{record.public_id}/publish",
        data={"csrf_token": csrf_token_from(reviewer, page)},
    )
    db.session.refresh(record)
    assert record.status is RecordStatus.PUBLISHED
    anonymous = client.application.test_client()
    assert anonymous.get(page).status_code == 200


def test_a_contributor_cannot_publish_through_the_url(login, collection, contributor, make_record):
    record = make_record(collection, contributor, status=RecordStatus.SUBMITTED)
    client = login(contributor)
    token = csrf_token_from(client, f"/records/{record.public_id}")
    response = client.post(
        f"/workspace/records/{record.public_id}/publish", data={"csrf_token": token}
    )
    assert response.status_code == 403
    db.session.refresh(record)
    assert record.status is RecordStatus.SUBMITTED


def test_a_local_identifier_clash_is_shown_on_the_form(login, collection, contributor, make_record):
    make_record(collection, contributor, local_id="CBS-0001")
    client = login(contributor)
    client.get("/lang/en")
    response = post_new(client, FIELDS)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "your library already has a record with CBS-0001" in page
    assert 'value="东北红豆杉"' in page


def test_naming_one_image_twice_for_removal_is_harmless(
    login, collection, contributor, make_record
):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT, images=2)
    client = login(contributor)
    url = f"/workspace/records/{record.public_id}/edit"
    doomed = record.assets[0].public_id
    data = {"csrf_token": csrf_token_from(client, url), **FIELDS, "local_id": record.local_id}
    for n in (0, 1):
        data |= {f"images-{n}-asset_id": doomed, f"images-{n}-remove": "y"}
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(record)
    assert len(record.assets) == 1


def test_the_working_history_stays_within_the_library_and_reviewers(
    login, collection, contributor, make_user, make_record
):
    record = make_record(collection, contributor)
    url = f"/workspace/records/{record.public_id}/history"
    assert login(make_user("contributor"), separate=True).get(url).status_code == 404
    assert login(contributor).get(url).status_code == 200
