"""IIIF tile sets on object storage: cut once by whichever machine builds them, then read by
every machine from the bucket, tile by tile, without the original."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from repository.extensions import db
from repository.images import file_store, s3
from repository.images.accepting import remove_unused
from repository.images.derivatives import build_derivatives, load_derivative_set
from repository.images.pixels import load_jpeg
from repository.images.s3 import S3Settings, S3Store
from repository.images.tasks import build_image_files
from repository.images.tiles import ensure_tile_set, existing_tile_set, tile_set_dir
from repository.models import Record
from repository.services import records
from tests.ingest.image_factory import BLUE, GREEN
from tests.ingest.test_record_form import FIELDS, post_new
from tests.storage.s3_server import object_names
from tests.storage.test_s3_end_to_end import near, picture_bytes
from tests.storage.test_s3_faults import Proxy

IIIF = "/iiif/image/3"


@pytest.fixture
def photograph(tmp_path: Path) -> Path:
    """2600×1800: three tiled levels of 512-pixel tiles, 24 tiles at full resolution."""
    path = tmp_path / "photograph.jpg"
    path.write_bytes(picture_bytes())
    return path


@pytest.fixture
def builder(s3_settings: S3Settings, tmp_path: Path) -> S3Store:
    return S3Store(tmp_path / "worker", s3_settings)


@pytest.fixture
def reader(s3_settings: S3Settings, tmp_path: Path) -> S3Store:
    return S3Store(tmp_path / "web", s3_settings)


def tile_objects(settings: S3Settings, sha256: str) -> list[str]:
    prefix = f"huiku/iiif-tiles/{sha256[:2]}/{sha256[2:4]}/{sha256}/"
    return [name for name in object_names(settings) if name.startswith(prefix)]


def copies_of_tiles(store: S3Store, sha256: str) -> list[str]:
    folder = tile_set_dir(store, sha256)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))


def test_a_set_cut_on_one_machine_is_read_tile_by_tile_on_another(
    builder, reader, photograph, s3_settings
):
    sha256 = builder.put_original(photograph).sha256
    build_image_files(builder, sha256)
    assert len(tile_objects(s3_settings, sha256)) == 24 + 6 + 2 + 1  # and tiles.json

    tiles = existing_tile_set(reader, load_derivative_set(reader, sha256))

    assert tiles is not None and [lv.scale_factor for lv in tiles.levels] == [1, 2, 4]
    corner = tiles.level(1).tile_path(5, 0)  # the top right: 40×512, green
    built = tile_set_dir(builder, sha256) / "scale-1" / "5-0.jpg"
    assert corner.read_bytes() == built.read_bytes()
    assert near(load_jpeg(corner).getpixel((20, 256)), GREEN)
    assert copies_of_tiles(reader, sha256) == ["scale-1/5-0.jpg"]  # that tile, not the set
    assert not reader.original_location(sha256).exists()  # described and read without it


def test_a_machine_finding_the_set_in_the_bucket_does_not_cut_it_again(builder, reader, photograph):
    sha256 = builder.put_original(photograph).sha256
    build_image_files(builder, sha256)
    in_bucket = tile_set_dir(builder, sha256) / "tiles.json"

    again = ensure_tile_set(reader, load_derivative_set(reader, sha256))

    assert again is not None and len(again.levels) == 3
    assert (tile_set_dir(reader, sha256) / "tiles.json").read_bytes() == in_bucket.read_bytes()
    assert copies_of_tiles(reader, sha256) == []  # nothing decoded, nothing encoded here


def test_a_set_cut_again_replaces_the_tiles_another_machine_held(
    builder, reader, photograph, s3_settings, monkeypatch
):
    sha256 = builder.put_original(photograph).sha256
    build_image_files(builder, sha256)
    old = existing_tile_set(reader, load_derivative_set(reader, sha256))
    assert load_jpeg(old.level(1).tile_path(1, 0)).size == (512, 512)

    derivatives = build_derivatives(builder, sha256, tile_size=1024, force=True)
    ensure_tile_set(builder, derivatives)
    monkeypatch.setattr(s3, "RECHECK_SECONDS", 0)
    new = existing_tile_set(reader, load_derivative_set(reader, sha256))

    assert new is not None and new.level(1).tile_size == 1024
    assert load_jpeg(new.level(1).tile_path(1, 0)).size == (1024, 1024)
    assert copies_of_tiles(reader, sha256) == ["scale-1/1-0.jpg"]  # the old tiles are gone
    assert len(tile_objects(s3_settings, sha256)) == 3 * 2 + 2 * 1 + 1  # so are the objects


def test_a_set_this_machine_cut_before_it_was_shared_reaches_the_bucket(
    builder, reader, photograph, s3_settings
):
    sha256 = builder.put_original(photograph).sha256
    build_image_files(builder, sha256)
    for name in tile_objects(s3_settings, sha256):  # as on an instance older than shared tiles
        builder.client.delete_object(Bucket=s3_settings.bucket, Key=name)
    assert existing_tile_set(reader, load_derivative_set(reader, sha256)) is None

    ensure_tile_set(builder, load_derivative_set(builder, sha256))

    assert len(tile_objects(s3_settings, sha256)) == 33
    assert existing_tile_set(reader, load_derivative_set(reader, sha256)) is not None


def test_the_tiles_of_a_failed_save_leave_the_bucket_with_its_original(
    s3_app, builder, photograph, s3_settings
):
    sha256 = builder.put_original(photograph).sha256
    build_image_files(builder, sha256)
    assert tile_objects(s3_settings, sha256)

    assert remove_unused(builder, [sha256]) == {sha256}  # no asset refers to it

    assert tile_objects(s3_settings, sha256) == []
    assert not [name for name in object_names(s3_settings) if sha256 in name]
    assert not tile_set_dir(builder, sha256).exists()


def test_a_tile_the_bucket_cannot_give_is_rendered_from_the_level_it_was_cut_from(
    s3_app, s3_url, client, login, make_collection, make_user, tmp_path
):
    make_collection("natural_history", slug="changbaishan")
    contributor = make_user("contributor")
    saved = post_new(login(contributor), FIELDS, [("taxus.jpg", picture_bytes())])
    assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    admin = make_user("admin", library=record.library)
    records.submit_record(admin, record)
    records.publish_record(admin, record)
    [asset] = record.assets
    proxy = Proxy(s3_url)
    s3_app.config["S3_ENDPOINT_URL"] = proxy.url
    s3_app.config["STORAGE_ROOT"] = str(tmp_path / "another-web-server")
    s3_app.config["IIIF_CACHE_ROOT"] = str(tmp_path / "another-web-server-cache")
    try:
        half = client.get(f"{IIIF}/{asset.public_id}/0,0,1024,1024/512,/0/default.jpg")
        assert half.status_code == 200
        here = tile_set_dir(file_store(), asset.sha256)  # on the other server
        assert (here / "tiles.json").is_file() and (here / "scale-2" / "0-0.jpg").is_file()
        proxy.stop()

        other = client.get(f"{IIIF}/{asset.public_id}/0,1024,1024,776/512,/0/default.jpg")
    finally:
        proxy.stop()

    assert other.status_code == 200, other.get_data(as_text=True)[:300]
    image = Image.open(io.BytesIO(other.data)).convert("RGB")
    assert image.size == (512, 388)
    assert near(image.getpixel((100, 100)), BLUE)  # the lower left, from the level's pixels
    assert not (here / "scale-2" / "0-1.jpg").exists()
