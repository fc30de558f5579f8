"""Images and imports on S3-compatible storage, across machines that share only the bucket.

Each "machine" is a storage root of its own (its local copies); switching roots between steps
and deleting the previous machine's copies shows that nothing depends on a disk being shared:
the web server that took an upload, the worker that runs the import and the server that
answers readers each see the files only through the bucket, a real S3 server over HTTP; so do
rendered IIIF responses.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from ingest.imports import run_import, start_import, start_import_again
from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.extensions import db
from repository.images.s3 import S3Settings
from repository.models import Asset, IngestJob, JobState, Record, RecordStatus
from repository.services import records
from tests.ingest.image_factory import BLUE, GREEN, RED, YELLOW, quadrants
from tests.ingest.imports.conftest import csv_bytes, zip_bytes
from tests.ingest.test_record_form import FIELDS, post_new
from tests.storage.s3_server import object_names, raw_client

IIIF = "/iiif/image/3"


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


@pytest.fixture
def machine(s3_app: Flask, tmp_path: Path):
    """Switch the app to another machine: empty local copies and an empty IIIF cache."""
    saved = {key: s3_app.config[key] for key in ("STORAGE_ROOT", "IIIF_CACHE_ROOT")}

    def become(name: str) -> Path:
        root = tmp_path / name
        s3_app.config["STORAGE_ROOT"] = str(root / "storage")
        s3_app.config["IIIF_CACHE_ROOT"] = str(root / "iiif-cache")
        return root

    yield become
    s3_app.config.update(saved)


def picture_bytes(size: tuple[int, int] = (2600, 1800)) -> bytes:
    """Four coloured quadrants, large enough for a pyramid and full-resolution tiles."""
    buffer = io.BytesIO()
    quadrants(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def image_of(response) -> Image.Image:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image.convert("RGB")


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def publish(make_user, record: Record) -> None:
    admin = make_user("admin", library=record.library)
    if record.status is RecordStatus.DRAFT:
        records.submit_record(admin, record)
    records.publish_record(admin, record)


def assert_served_from_the_bucket(client, asset: Asset) -> None:
    """Thumbnails, info.json and tiles of every corner, on a machine with no copies yet."""
    thumbnail = image_of(client.get(f"/assets/{asset.public_id}/thumb-200.jpg"))
    assert max(thumbnail.size) == 200
    info = client.get(f"{IIIF}/{asset.public_id}/info.json").get_json()
    assert (info["width"], info["height"]) == (asset.width, asset.height)
    w, h = asset.width, asset.height
    for (x, y), colour in (
        ((0, 0), RED),
        ((w - 512, 0), GREEN),
        ((0, h - 512), BLUE),
        ((w - 512, h - 512), YELLOW),
    ):
        tile = image_of(client.get(f"{IIIF}/{asset.public_id}/{x},{y},512,512/512,/0/default.jpg"))
        assert tile.size == (512, 512)
        assert near(tile.getpixel((256, 256)), colour), (x, y, tile.getpixel((256, 256)))


def test_an_image_saved_through_the_form_is_served_by_a_machine_that_never_saw_it(
    login, client, collection, contributor, make_user, machine, s3_settings: S3Settings
):
    web = machine("web")
    response = post_new(login(contributor), FIELDS, [("taxus.jpg", picture_bytes())])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    [asset] = record.assets
    names = object_names(s3_settings)
    digest = asset.sha256
    assert f"huiku/originals/{digest[:2]}/{digest[2:4]}/{digest}" in names
    derivatives = f"huiku/derivatives/{digest[:2]}/{digest[2:4]}/{digest}/"
    assert {derivatives + "manifest.json", derivatives + "thumb-200.jpg"} <= set(names)
    publish(make_user, record)

    shutil.rmtree(web)  # the web server that took the upload is gone
    reader = machine("reader")
    assert_served_from_the_bucket(client, asset)
    copies = reader / "storage"
    assert not (copies / "originals").exists()  # the task's tiles held every pixel asked for
    tiles = f"huiku/iiif-tiles/{digest[:2]}/{digest[2:4]}/{digest}/"
    in_bucket = [name for name in object_names(s3_settings) if name.startswith(tiles)]
    fetched = list((copies / "iiif-tiles").rglob("*.jpg"))
    assert 4 <= len(fetched) < len(in_bucket) - 20  # those under the corners, not the set


def test_an_import_runs_on_a_worker_that_shares_only_the_bucket(
    client, collection, contributor, make_user, machine, s3_settings: S3Settings, tmp_path
):
    upload = tmp_path / "upload"
    upload.mkdir()
    table = upload / "plants.csv"
    table.write_bytes(
        csv_bytes(
            [
                ["local_id", "title", "scientific_name", "kingdom", "images"],
                ["CBS-101", "人参", "Panax ginseng", "植物", "ginseng.jpg"],
                ["CBS-102", "松茸", "Tricholoma matsutake", "真菌", ""],
            ]
        )
    )
    images = upload / "images.zip"
    images.write_bytes(zip_bytes({"photos/ginseng.jpg": picture_bytes()}))

    web = machine("web")
    job = start_import(contributor, collection, table, images, dry_run=False)
    stored = set(object_names(s3_settings))
    assert {
        f"huiku/imports/{job.public_id}/table.csv",
        f"huiku/imports/{job.public_id}/images.zip",
    } <= stored
    shutil.rmtree(web)

    worker = machine("worker")
    job = run_import(db.session.get(IngestJob, job.id))
    assert job.counts["created"] == 2, job.report
    assert f"huiku/imports/{job.public_id}/images.zip" not in object_names(s3_settings)
    shutil.rmtree(worker)

    machine("reader")
    record = db.session.scalar(select(Record).where(Record.local_id == "CBS-101"))
    [asset] = record.assets
    publish(make_user, record)
    assert_served_from_the_bucket(client, asset)


def test_a_response_rendered_on_one_machine_is_sent_by_the_others(
    client, collection, contributor, make_user, machine, s3_settings: S3Settings
):
    machine("web")
    record = save_new_record(
        contributor,
        collection,
        {**FIELDS, "local_id": "CBS-IIIF"},
        [ImageUpload(io.BytesIO(picture_bytes((800, 600))), "quadrants.jpg")],
    )
    publish(make_user, record)
    [asset] = record.assets
    region = f"{IIIF}/{asset.public_id}/400,0,400,300/200,/0/default.png"
    first = image_of(client.get(region))
    assert near(first.getpixel((100, 75)), GREEN)
    assert any(name.startswith("huiku/iiif-cache/") for name in object_names(s3_settings))

    # Only the shared cache can answer now: the original and its derivatives are gone.
    bucket = raw_client(s3_settings)
    for name in object_names(s3_settings):
        if not name.startswith("huiku/iiif-cache/"):
            bucket.delete_object(Bucket=s3_settings.bucket, Key=name)
    machine("reader")
    second = client.get(region)
    assert second.status_code == 200
    assert second.data == client.get(region).data
    assert near(image_of(second).getpixel((100, 75)), GREEN)
    other_region = f"{IIIF}/{asset.public_id}/0,0,400,300/200,/0/default.png"
    assert client.get(other_region).status_code == 500  # not rendered before: needs the original


def test_a_folder_of_images_and_a_checked_dry_run_reach_workers_through_the_bucket(
    collection, contributor, machine, s3_settings: S3Settings, tmp_path
):
    upload = tmp_path / "upload"
    (upload / "photos" / "spring").mkdir(parents=True)
    table = upload / "plants.csv"
    table.write_bytes(
        csv_bytes(
            [
                ["local_id", "title", "scientific_name", "kingdom", "images"],
                ["CBS-201", "人参", "Panax ginseng", "植物", "ginseng.jpg"],
                ["CBS-202", "东北红豆杉", "Taxus cuspidata", "植物", "taxus.jpg"],
            ]
        )
    )
    (upload / "photos" / "ginseng.jpg").write_bytes(picture_bytes((400, 300)))
    (upload / "photos" / "spring" / "taxus.jpg").write_bytes(picture_bytes((300, 400)))

    machine("cli")  # `huiku import` on an editor's machine, with a folder of photographs
    dry = start_import(contributor, collection, table, upload / "photos", dry_run=True)
    folder = f"huiku/imports/{dry.public_id}/images/"
    assert sum(name.startswith(folder) for name in object_names(s3_settings)) == 2

    machine("worker-1")
    dry = run_import(db.session.get(IngestJob, dry.id))
    assert dry.state is JobState.SUCCEEDED, dry.report
    assert (dry.counts["failed"], dry.counts["images"]) == (0, 2)  # both photographs found
    assert not db.session.scalars(select(Record).where(Record.local_id == "CBS-201")).all()

    machine("web")  # "import what the dry run checked", on a web server without the files
    job = start_import_again(contributor, dry)
    machine("worker-2")
    job = run_import(db.session.get(IngestJob, job.id))
    assert job.counts["created"] == 2, job.report
    imported = db.session.scalars(select(Record).where(Record.local_id.like("CBS-20%"))).all()
    assert sorted(len(record.assets) for record in imported) == [1, 1]


def test_every_machine_answers_a_thumbnail_with_the_same_validators(
    login, client, collection, contributor, make_user, machine
):
    machine("web")
    response = post_new(login(contributor), FIELDS, [("taxus.jpg", picture_bytes((640, 480)))])
    assert response.status_code == 302
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    publish(make_user, record)
    url = f"/assets/{record.assets[0].public_id}/thumb-600.jpg"
    first = client.get(url)

    machine("reader")
    second = client.get(url)

    assert second.status_code == 200 and second.data == first.data
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]
