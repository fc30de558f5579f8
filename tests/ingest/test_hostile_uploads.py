"""Writes that once ended in a 500: lists or objects inside a repeatable field, and multipart
bodies with a part that has no name (built by hand, as no browser would send them)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Asset, IngestJob, Record
from repository.profiles import MetadataInvalid
from tests.conftest import csrf_token_from
from tests.factories import jpeg_bytes
from tests.ingest.imports.conftest import HEADERS, ROWS, csv_bytes

SLUG = "changbaishan"
GINSENG = {
    "local_id": "CBS-NEST-1",
    "title": "人参",
    "scientific_name": "Panax ginseng C. A. Mey.",
    "kingdom": "植物",
}


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# --- a list or an object inside a repeatable field ---------------------------------------------

NESTED = [
    ("photographer", [{}]),
    ("aliases", [["a"]]),
    ("aliases", ["棒槌", {"zh": "山参"}]),
    ("aliases", {"a": 1}),
    ("photographer", [True]),
]


@pytest.mark.parametrize(("key", "value"), NESTED)
def test_nested_values_in_a_repeatable_field_are_422_with_the_path(api, collection, key, value):
    created = api.post(f"/api/collections/{SLUG}/records", json={"metadata": GINSENG})
    assert created.status_code == 201
    record_id = created.get_json()["id"]
    bad = {**GINSENG, key: value}
    for method, url in [
        ("POST", f"/api/collections/{SLUG}/records"),
        ("PUT", f"/api/records/{record_id}"),
        ("PATCH", f"/api/records/{record_id}"),
    ]:
        body = {"metadata": {key: value} if method == "PATCH" else bad}
        response = api.request(method, url, json=body)
        assert response.status_code == 422, (method, response.get_json())
        errors = response.get_json()["errors"]
        path = f"metadata.{key}"
        assert list(errors) == [path], (method, errors)
        assert "must be text" in errors[path][0]["en"]
        assert "应为文本" in errors[path][0]["zh"]
    assert count(Record) == 1
    assert key not in api.get(f"/api/records/{record_id}").get_json()["metadata"]


@pytest.mark.parametrize(("key", "value"), NESTED)
def test_the_profile_refuses_nested_values_whoever_sends_them(collection, key, value):
    with pytest.raises(MetadataInvalid) as refused:
        collection.profile.validate({**GINSENG, key: value})
    [message] = refused.value.errors[key]
    assert "must be text" in message and "应为文本" in message.zh


def test_the_profile_still_takes_plain_lists_and_numbers(collection):
    metadata = {**GINSENG, "aliases": ["棒槌", " 棒槌 ", None, 2008], "photographer": "张三；李四"}
    cleaned = collection.profile.validate(metadata)
    assert cleaned["aliases"] == ["棒槌", "2008"]
    assert cleaned["photographer"] == ["张三", "李四"]


# --- multipart parts without a name ------------------------------------------------------------

BOUNDARY = "huiku-test-boundary"


def multipart(*parts: tuple[str, bytes]) -> tuple[bytes, str]:
    """A multipart body from (Content-Disposition and other headers, content) pairs."""
    body = b""
    for headers, content in parts:
        body += f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


def field(name: str, value: str) -> tuple[str, bytes]:
    return f'Content-Disposition: form-data; name="{name}"', value.encode()


def table_part(name: str | None = "table", filename: str = "plants.csv") -> tuple[str, bytes]:
    named = f' name="{name}";' if name is not None else ""
    return (
        f'Content-Disposition: form-data;{named} filename="{filename}"\r\nContent-Type: text/csv',
        csv_bytes([HEADERS, *ROWS]),
    )


NAMELESS = {
    "a nameless file": table_part(None),
    "a nameless field": ("Content-Disposition: form-data", b"value"),
}


@pytest.mark.parametrize("part", list(NAMELESS.values()), ids=list(NAMELESS))
def test_the_import_api_names_a_nameless_part_instead_of_failing(api, collection, part):
    for parts in ([part], [table_part(), field("dry_run", "true"), part]):
        body, content_type = multipart(*parts)
        response = api.client.post(
            f"/api/collections/{SLUG}/imports",
            data=body,
            content_type=content_type,
            headers={"Authorization": f"Bearer {api.token}"},
        )
        assert response.status_code < 500
        assert response.status_code in (202, 422), response.get_json()
        if response.status_code == 422:
            assert "" in response.get_json()["errors"] or "table" in response.get_json()["errors"]
    assert count(Record) == 0


@pytest.mark.parametrize("part", list(NAMELESS.values()), ids=list(NAMELESS))
def test_the_import_page_takes_a_nameless_part_without_failing(
    login, collection, contributor, part
):
    browser = login(contributor)
    page = f"/workspace/collections/{SLUG}/import"
    token = csrf_token_from(browser, page)
    for parts in (
        [field("csrf_token", token), part],
        [field("csrf_token", token), table_part(), field("mode", "dry_run"), part],
    ):
        body, content_type = multipart(*parts)
        response = browser.post(page, data=body, content_type=content_type)
        assert response.status_code in (302, 422), response.get_data(as_text=True)[:500]
    assert count(Record) == 0


@pytest.mark.parametrize("part", list(NAMELESS.values()), ids=list(NAMELESS))
def test_the_record_forms_take_a_nameless_part_without_failing(
    login, collection, contributor, make_record, part
):
    browser = login(contributor)
    new = f"/workspace/collections/{SLUG}/records/new"
    metadata = [field(key, value) for key, value in GINSENG.items()]
    body, content_type = multipart(
        field("csrf_token", csrf_token_from(browser, new)), *metadata, part
    )
    created = browser.post(new, data=body, content_type=content_type)
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    record = db.session.scalar(select(Record).where(Record.local_id == GINSENG["local_id"]))
    edit = f"/workspace/records/{record.public_id}/edit"
    changed = [field(key, value) for key, value in {**GINSENG, "title": "山参"}.items()]
    body, content_type = multipart(
        field("csrf_token", csrf_token_from(browser, edit)), *changed, part
    )
    assert browser.post(edit, data=body, content_type=content_type).status_code == 302
    assert db.session.get(Record, record.id).metadata_["title"] == "山参"


def test_control_characters_leave_uploaded_file_names(api, collection):
    record_id = api.post(f"/api/collections/{SLUG}/records", json={"metadata": GINSENG})
    record_id = record_id.get_json()["id"]
    image = (
        'Content-Disposition: form-data; name="images"; filename="gin\x00seng\x07.jpg"\r\n'
        "Content-Type: image/jpeg",
        jpeg_bytes().getvalue(),
    )
    body, content_type = multipart(image)
    response = api.client.post(
        f"/api/records/{record_id}/images",
        data=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200, response.get_json()
    assert db.session.scalar(select(Asset.original_filename)) == "ginseng.jpg"


def test_a_table_whose_file_name_holds_a_nul_is_imported(login, collection, contributor):
    browser = login(contributor)
    page = f"/workspace/collections/{SLUG}/import"
    body, content_type = multipart(
        field("csrf_token", csrf_token_from(browser, page)),
        table_part(filename="plan\x00ts.csv"),
        field("mode", "dry_run"),
    )
    response = browser.post(page, data=body, content_type=content_type)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert count(IngestJob) == 1


def test_a_nameless_part_beside_images_changes_nothing(api, collection):
    record_id = api.post(f"/api/collections/{SLUG}/records", json={"metadata": GINSENG})
    record_id = record_id.get_json()["id"]
    image = (
        'Content-Disposition: form-data; name="images"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg",
        jpeg_bytes().getvalue(),
    )
    body, content_type = multipart(image, NAMELESS["a nameless file"])
    response = api.client.post(
        f"/api/records/{record_id}/images",
        data=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200
    assert count(Asset) == 1
