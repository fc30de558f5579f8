"""Where pixels come from: pyramid levels for zoomed-out views, tiles for full resolution,
the original only when nothing smaller holds enough detail; always the right way up."""

# The shared fixtures come from test_image_api and are requested by name as arguments.
# ruff: noqa: F811

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from iiif.image_render import StoredImage, render
from iiif.image_request import Limits, parse_image_request, resolve
from repository.images import file_store
from repository.images.derivatives import load_derivative_set
from repository.images.pixels import open_displayed
from repository.images.tasks import build_asset_derivatives
from repository.images.tiles import load_tile_set, tile_set_dir
from tests.iiif.test_image_api import (  # noqa: F401 (fixtures used by name)
    BASE,
    Publish,
    assert_corners,
    cache_root,
    fetch_image,
    plain_configuration,
    publish,
)
from tests.ingest import image_factory as make
from tests.ingest.image_factory import BLUE, GREEN, RED, YELLOW, quadrants

LARGE = (2600, 1800)  # levels 2600, 1300 and 650 px wide are tiled; 325 px is one tile


def jpeg_bytes(tmp_path: Path, size: tuple[int, int], orientation: int | None = None) -> bytes:
    return make.jpeg(tmp_path / "upload.jpg", size, orientation=orientation).read_bytes()


def test_full_resolution_regions_are_read_from_tiles(
    client: FlaskClient, publish: Publish, tmp_path: Path
) -> None:
    asset = publish(jpeg_bytes(tmp_path, LARGE))
    store = file_store()
    assert load_tile_set(store, asset.sha256) is not None  # cut when the record was saved
    shutil.rmtree(tile_set_dir(store, asset.sha256))  # as on an instance older than tiles

    corner = fetch_image(client, f"{BASE}/{asset.public_id}/0,0,512,512/max/0/default.png")
    assert load_tile_set(store, asset.sha256) is None  # requests never cut tiles: the original
    build_asset_derivatives.call_local(asset.public_id)  # the task, as `prepare` runs it

    tiles = load_tile_set(store, asset.sha256)
    assert tiles is not None
    level = tiles.level(1)
    assert (level.width, level.height, level.columns, level.rows) == (2600, 1800, 6, 4)
    assert len(list(level.directory.glob("*.jpg"))) == 24
    assert [(lv.scale_factor, lv.columns, lv.rows) for lv in tiles.levels] == [
        (1, 6, 4),
        (2, 3, 2),
        (4, 2, 1),
    ]  # every level larger than one tile; the 325 px level is its own single tile
    assert corner.size == (512, 512)
    assert_corners(corner, [RED] * 4)

    # With the tiles built the original is no longer needed for any full-resolution view.
    store.original_path(asset.sha256).unlink()
    across = fetch_image(client, f"{BASE}/{asset.public_id}/1000,700,600,300/max/0/default.png")
    edge = fetch_image(client, f"{BASE}/{asset.public_id}/2560,1536,512,512/max/0/default.png")
    assert across.size == (600, 300)
    assert_corners(across, [RED, GREEN, BLUE, YELLOW])
    assert edge.size == (40, 264)
    assert_corners(edge, [YELLOW] * 4)


def test_stored_tiles_levels_and_thumbnails_are_sent_as_they_are(
    client: FlaskClient, publish: Publish, tmp_path: Path
) -> None:
    asset = publish(jpeg_bytes(tmp_path, LARGE))
    store = file_store()
    tiles = load_tile_set(store, asset.sha256)
    derivatives = load_derivative_set(store, asset.sha256)
    assert tiles is not None and derivatives is not None

    def body(request: str) -> bytes:
        response = client.get(f"{BASE}/{asset.public_id}/{request}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.data

    stored = {
        "512,512,512,512/512,/0/default.jpg": tiles.level(1).tile_path(1, 1),
        "2560,1536,40,264/40,/0/color.jpg": tiles.level(1).tile_path(5, 3),  # the corner
        "2048,1024,552,776/276,/0/default.jpg": tiles.level(2).tile_path(2, 1),
        "0,0,2048,1800/512,/0/default.jpg": tiles.level(4).tile_path(0, 0),
        "full/pct:50/0/default.jpg": derivatives.levels[1].path,
        "full/325,/0/default.jpg": derivatives.levels[3].path,
        "full/200,/0/default.jpg": derivatives.thumbnail(200),
    }
    for request, path in stored.items():
        assert body(request) == path.read_bytes(), request

    # Anything else is rendered from those pixels.
    rendered = {
        "512,512,512,512/512,/0/gray.jpg": tiles.level(1).tile_path(1, 1),
        "512,512,512,512/512,/90/default.jpg": tiles.level(1).tile_path(1, 1),
        "512,512,512,512/512,/0/default.png": tiles.level(1).tile_path(1, 1),
        "500,512,512,512/512,/0/default.jpg": tiles.level(1).tile_path(1, 1),
        "full/pct:49/0/default.jpg": derivatives.levels[1].path,
    }
    for request, path in rendered.items():
        assert body(request) != path.read_bytes(), request
    corner = fetch_image(client, f"{BASE}/{asset.public_id}/2560,1536,40,264/40,/0/default.jpg")
    assert corner.size == (40, 264)
    assert_corners(corner, [YELLOW] * 4)


def test_zoomed_out_views_never_read_the_original(
    client: FlaskClient, publish: Publish, tmp_path: Path
) -> None:
    asset = publish(jpeg_bytes(tmp_path, LARGE))
    store = file_store()
    store.original_path(asset.sha256).unlink()
    shutil.rmtree(tile_set_dir(store, asset.sha256))

    overview = fetch_image(client, f"{BASE}/{asset.public_id}/full/650,/0/default.jpg")
    half_scale_tile = fetch_image(
        client, f"{BASE}/{asset.public_id}/0,0,1024,1024/512,/0/default.jpg"
    )
    thumbnail = fetch_image(client, f"{BASE}/{asset.public_id}/full/!200,200/0/default.jpg")

    assert overview.size == (650, 450)
    assert_corners(overview, [RED, GREEN, BLUE, YELLOW])
    assert half_scale_tile.size == (512, 512)
    assert_corners(half_scale_tile, [RED] * 4)
    assert thumbnail.size == (200, 138)
    assert load_tile_set(store, asset.sha256) is None


def test_a_missing_original_is_a_short_server_error(client, publish: Publish, tmp_path) -> None:
    asset = publish(jpeg_bytes(tmp_path, LARGE))
    file_store().original_path(asset.sha256).unlink()
    shutil.rmtree(tile_set_dir(file_store(), asset.sha256))  # nothing left at full resolution

    response = client.get(f"{BASE}/{asset.public_id}/0,0,512,512/max/0/default.jpg")

    assert response.status_code == 500
    assert response.get_data(as_text=True) == "500: the stored image could not be read\n"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("size", [(400, 300), (2400, 1800)])
def test_exif_orientation_is_applied_at_every_level(
    client: FlaskClient, publish: Publish, tmp_path: Path, orientation: int, size
) -> None:
    asset = publish(jpeg_bytes(tmp_path, size, orientation))
    assert (asset.width, asset.height) == size

    full = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/0/default.png")
    small = fetch_image(client, f"{BASE}/{asset.public_id}/full/!100,100/0/default.png")
    top_left = fetch_image(client, f"{BASE}/{asset.public_id}/0,0,100,100/max/0/default.png")
    bottom_right = fetch_image(
        client,
        f"{BASE}/{asset.public_id}/{size[0] - 100},{size[1] - 100},100,100/max/0/default.png",
    )

    assert full.size == size
    assert_corners(full, [RED, GREEN, BLUE, YELLOW])
    assert_corners(small, [RED, GREEN, BLUE, YELLOW])
    assert_corners(top_left, [RED] * 4)
    assert_corners(bottom_right, [YELLOW] * 4)


def test_missing_derivatives_are_rebuilt(client: FlaskClient, publish: Publish) -> None:
    asset = publish(quadrants((1200, 900)))
    store = file_store()
    shutil.rmtree(store.derivative_dir(asset.sha256))

    info = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()
    image = fetch_image(client, f"{BASE}/{asset.public_id}/full/300,/0/default.png")

    assert [size["width"] for size in info["sizes"]] == [200, 300, 600, 1200]
    assert load_derivative_set(store, asset.sha256) is not None
    assert_corners(image, [RED, GREEN, BLUE, YELLOW])


@pytest.mark.parametrize("orientation", [None, 6])
def test_originals_decode_at_reduced_scale_when_that_is_enough(
    tmp_path: Path, orientation: int | None
) -> None:
    path = make.jpeg(tmp_path / "photo.jpg", LARGE, orientation=orientation)

    quarter = open_displayed(path, at_least=(650, 450))
    not_quite_quarter = open_displayed(path, at_least=(651, 450))
    full = open_displayed(path)

    assert quarter.size == (650, 450)
    assert not_quite_quarter.size == (1300, 900)
    assert full.size == LARGE
    assert_corners(quarter, [RED, GREEN, BLUE, YELLOW])


def test_rendering_straight_from_an_original_without_a_pyramid(tmp_path: Path) -> None:
    store = file_store()
    sha256 = store.put_original(make.jpeg(tmp_path / "photo.jpg", LARGE, orientation=8)).sha256
    image = StoredImage(store, sha256, *LARGE, derivatives=None)
    limits = Limits(10_000, 10_000, 40_000_000)

    def rendered(*segments: str) -> Image.Image:
        plan = resolve(parse_image_request(*segments), *LARGE, limits)
        with Image.open(io.BytesIO(render(image, plan))) as result:
            result.load()
            return result

    overview = rendered("full", "!500,500", "0", "default.png")
    detail = rendered("1250,850,100,100", "max", "0", "default.png")

    assert overview.size == (500, 346)
    assert_corners(overview, [RED, GREEN, BLUE, YELLOW])
    assert detail.size == (100, 100)
    assert_corners(detail, [RED, GREEN, BLUE, YELLOW])


def test_prepare_command_builds_tiles_for_published_images(
    app: Flask, publish: Publish, tmp_path: Path
) -> None:
    large = publish(jpeg_bytes(tmp_path, LARGE))
    small = publish(quadrants((400, 300)))

    result = app.test_cli_runner().invoke(args=["iiif-image", "prepare"])

    assert result.exit_code == 0, result.output
    assert "2 images ready, 1 of them with tiled levels" in result.output
    assert load_tile_set(file_store(), large.sha256) is not None
    assert not tile_set_dir(file_store(), small.sha256).exists()
