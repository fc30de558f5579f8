"""Which IIIF answers are kept under their URLs for nginx, and what takes them away again.

Only answers of public records may be kept, since nginx sends them without asking anyone; a
record that stops being public, or changes, must take its kept answers with it at once.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository import public_answers as answers_store
from repository.models import Record, RecordStatus
from repository.services import records
from repository.transactions import unit_of_work
from tests.factories import SAMPLE_METADATA, jpeg_bytes

BASE = "/iiif/image/3"
TILE = "0,0,256,256/128,96/0/default.jpg"
VIEWER_TILE = "0,0,256,192/256,192/0/default.jpg"  # canonically 0,0,256,192/max/0/default.jpg
PRESENTATION = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
_local_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def public_answers(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Answers kept (as in the nginx profile) under a cache folder of this test's own."""
    keys = ("IIIF_PUBLIC_ANSWERS", "BASE_URL", "IIIF_CACHE_ROOT", "IIIF_X_ACCEL_PREFIX")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(
        IIIF_PUBLIC_ANSWERS=True,
        BASE_URL="https://images.example.org",
        IIIF_CACHE_ROOT=str(tmp_path / "iiif-cache"),
        IIIF_X_ACCEL_PREFIX=None,
    )
    yield tmp_path / "iiif-cache" / "public"
    app.config.update(saved)


def kept(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def publish(make_collection, make_user) -> Callable[..., Record]:
    def publish_record(status: RecordStatus = RecordStatus.PUBLISHED) -> Record:
        contributor = make_user("contributor")
        collection = make_collection()
        data = {**SAMPLE_METADATA["natural_history"], "local_id": f"KEPT-{next(_local_ids)}"}
        upload = ImageUpload(jpeg_bytes((400, 300)), "picture.jpg", "图")
        record = save_new_record(contributor, collection, data, [upload])
        if status is not RecordStatus.DRAFT:
            records.submit_record(contributor, record)
        if status is RecordStatus.PUBLISHED:
            records.publish_record(make_user("admin", library=contributor.library), record)
        return record

    return publish_record


def ask_everything(client: FlaskClient, record: Record) -> list[int]:
    asset = record.assets[0].public_id
    return [
        client.get(f"{BASE}/{asset}/{TILE}").status_code,
        client.get(f"{BASE}/{asset}/{VIEWER_TILE}").status_code,
        client.get(
            f"/iiif/3/manifests/{record.public_id}", headers={"Accept": PRESENTATION}
        ).status_code,
    ]


def test_public_answers_are_kept_under_the_urls_asked_and_canonical(
    client: FlaskClient, publish, public_answers: Path
) -> None:
    record = publish()
    asset = record.assets[0].public_id

    assert ask_everything(client, record) == [200, 200, 200]

    assert kept(public_answers) == sorted(
        [
            f"iiif/3/manifests/{record.public_id}",
            f"iiif/3/manifests/{record.public_id}.gz",
            f"iiif/image/3/{asset}/{TILE}",
            f"iiif/image/3/{asset}/{VIEWER_TILE}",
            f"iiif/image/3/{asset}/0,0,256,192/max/0/default.jpg",
        ]
    )
    again = client.get(f"{BASE}/{asset}/{VIEWER_TILE}")
    assert Image.open(io.BytesIO(again.data)).size == (256, 192)
    assert again.headers["Link"].startswith(
        f"<https://images.example.org{BASE}/{asset}/{VIEWER_TILE}>"
    )


@pytest.mark.parametrize("status", [RecordStatus.DRAFT, RecordStatus.SUBMITTED])
def test_nothing_of_a_record_that_is_not_public_is_kept(
    client: FlaskClient, publish, public_answers: Path, status: RecordStatus
) -> None:
    record = publish(status)

    assert ask_everything(client, record) == [404, 404, 404]
    assert kept(public_answers) == []


def test_withdrawing_removes_every_kept_answer_of_the_record(
    client: FlaskClient, publish, make_user, public_answers: Path
) -> None:
    record, other = publish(), publish()
    ask_everything(client, other)
    others = kept(public_answers)
    ask_everything(client, record)

    records.withdraw_record(make_user("admin", library=record.library), record)

    assert all(record.public_id not in path for path in kept(public_answers))
    assert all(record.assets[0].public_id not in path for path in kept(public_answers))
    assert kept(public_answers) == others  # the other record's answers stay
    assert ask_everything(client, record) == [404, 404, 404]
    assert kept(public_answers) == others


def test_an_edit_removes_the_manifest_but_not_the_tiles(
    client: FlaskClient, publish, make_user, public_answers: Path
) -> None:
    from ingest.services import save_record

    record = publish()
    ask_everything(client, record)
    before = kept(public_answers)
    edit = {**record.metadata_, "title": "野山参"}

    save_record(record.created_by, record, edit)  # waits for a reviewer: nothing public changed
    waiting = kept(public_answers)
    save_record(make_user("admin", library=record.library), record, edit)

    assert waiting == before
    left = kept(public_answers)
    assert not any("manifests" in path for path in left)
    assert len(left) == 3
    manifest = client.get(f"/iiif/3/manifests/{record.public_id}", headers={"Accept": PRESENTATION})
    assert manifest.status_code == 200 and manifest.get_json()["label"] == {"none": ["野山参"]}


def test_unpublishing_a_collection_removes_everything_kept(
    client: FlaskClient, publish, public_answers: Path
) -> None:
    record = publish()
    ask_everything(client, record)

    with unit_of_work():
        record.collection.published = False

    assert kept(public_answers) == []
    assert ask_everything(client, record) == [404, 404, 404]


def test_an_answer_written_while_its_record_was_withdrawn_is_taken_back(
    app: Flask, publish, make_user, public_answers: Path, tmp_path: Path
) -> None:
    """The view checked the record before the withdrawal and writes after its clean-up."""
    record = publish()
    asset = record.assets[0].public_id
    records.withdraw_record(make_user("admin", library=record.library), record)
    rendered = tmp_path / "rendered.jpg"
    rendered.write_bytes(jpeg_bytes().getvalue())

    with app.test_request_context():
        answers_store.publish_image(asset, [TILE], rendered)

    assert kept(public_answers) == []


@pytest.mark.parametrize(
    "path",
    [
        "/iiif/image/3/..%2F..%2Fsecret/full/max/0/default.jpg",
        "/iiif/image/3/abc/../../../full/max/0/default.jpg",
        "/iiif/image/3/abc/full/max/0/default.exe",
        "/iiif/3/manifests/..",
    ],
)
def test_odd_paths_are_left_to_the_application(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code in (400, 404)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
