"""Thumbnails and pyramid levels: right sizes, right way up, right colours, built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from repository.images.derivatives import (
    THUMBNAIL_SIZES,
    build_derivatives,
    build_thumbnails,
    load_derivative_set,
    thumbnail_name,
)
from repository.images.storage import FileStore
from repository.images.verify import recently_verified, verify_image
from tests.ingest import image_factory as make
from tests.ingest.image_factory import BLUE, GREEN, RED, YELLOW

WHITE = (255, 255, 255)


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "store")


def put(store: FileStore, path: Path) -> str:
    return store.put_original(path).sha256


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def quadrant_colours(path: Path) -> list[tuple[int, ...]]:
    """Colours at the centres of the top-left, top-right, bottom-left and bottom-right."""
    with Image.open(path) as image:
        w, h = image.size
        points = [(w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4)]
        points.append((3 * w // 4, 3 * h // 4))
        return [image.convert("RGB").getpixel(point) for point in points]


def looks_like(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_colours(path: Path, expected: list[tuple[int, int, int]]) -> None:
    actual = quadrant_colours(path)
    assert all(looks_like(a, e) for a, e in zip(actual, expected, strict=True)), actual


def test_a_3000_by_2000_image_is_halved_until_one_tile_covers_it(
    store: FileStore, tmp_path: Path
) -> None:
    sha256 = put(store, make.save(make.quadrants((3000, 2000)), tmp_path / "big.png", "PNG"))

    built = build_derivatives(store, sha256, tile_size=512)

    assert (built.width, built.height) == (3000, 2000)
    sizes = [(level.scale_factor, level.width, level.height) for level in built.levels]
    assert sizes == [(1, 3000, 2000), (2, 1500, 1000), (4, 750, 500), (8, 375, 250)]
    assert built.levels[0].path == store.original_path(sha256)  # level 0 is not copied
    directory = store.derivative_dir(sha256)
    for number, level in enumerate(built.levels[1:], start=1):
        assert level.path == directory / f"level-{number}.jpg"
        assert size_of(level.path) == (level.width, level.height)
        assert_colours(level.path, [RED, GREEN, BLUE, YELLOW])
    assert size_of(built.thumbnail(200)) == (200, 133)
    assert size_of(built.thumbnail(600)) == (600, 400)
    assert sorted(p.name for p in directory.iterdir()) == [
        "level-1.jpg",
        "level-2.jpg",
        "level-3.jpg",
        "manifest.json",
        "thumb-200.jpg",
        "thumb-600.jpg",
    ]


def test_a_6000_by_4000_camera_jpeg_gets_its_pyramid(store: FileStore, tmp_path: Path) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "camera.jpg", (6000, 4000)))

    built = build_derivatives(store, sha256)

    sizes = [(level.width, level.height) for level in built.levels]
    assert sizes == [(6000, 4000), (3000, 2000), (1500, 1000), (750, 500), (375, 250)]
    for level in built.levels[1:]:
        assert size_of(level.path) == (level.width, level.height)
    assert_colours(built.levels[1].path, [RED, GREEN, BLUE, YELLOW])
    assert_colours(built.thumbnail(200), [RED, GREEN, BLUE, YELLOW])


def test_odd_sizes_round_up_at_every_level(store: FileStore, tmp_path: Path) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "odd.jpg", (1001, 777)))

    built = build_derivatives(store, sha256, tile_size=256)

    sizes = [(level.width, level.height) for level in built.levels]
    assert sizes == [(1001, 777), (501, 389), (251, 195)]
    for level in built.levels[1:]:
        assert size_of(level.path) == (level.width, level.height)


def test_small_images_get_no_levels_and_are_never_enlarged(store: FileStore, tmp_path) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "small.jpg", (300, 200)))

    built = build_derivatives(store, sha256)

    assert [(level.width, level.height) for level in built.levels] == [(300, 200)]
    assert size_of(built.thumbnail(200)) == (200, 133)
    assert size_of(built.thumbnail(600)) == (300, 200)
    assert_colours(built.thumbnail(600), [RED, GREEN, BLUE, YELLOW])


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_derivatives_of_a_turned_photo_are_upright(
    store: FileStore, tmp_path: Path, orientation: int
) -> None:
    # Displayed: red top-left, green top-right, blue bottom-left, yellow bottom-right.
    sha256 = put(store, make.jpeg(tmp_path / "turned.jpg", (1200, 800), orientation=orientation))

    built = build_derivatives(store, sha256)

    assert (built.width, built.height) == (1200, 800)
    assert (built.levels[1].width, built.levels[1].height) == (600, 400)
    assert built.levels[0].is_original  # the server must still turn level 0 itself
    assert size_of(built.levels[1].path) == (600, 400)
    for path in (built.levels[1].path, built.thumbnail(200), built.thumbnail(600)):
        assert_colours(path, [RED, GREEN, BLUE, YELLOW])
    with Image.open(built.thumbnail(200)) as thumbnail:
        assert thumbnail.size == (200, 133)
        assert looks_like(thumbnail.getpixel((2, 2)), RED)


@pytest.mark.parametrize(
    "write", [make.png_with_alpha, make.palette_png_with_transparency], ids=["rgba", "palette"]
)
def test_transparent_areas_are_shown_on_white(store: FileStore, tmp_path: Path, write) -> None:
    sha256 = put(store, write(tmp_path / "cutout.png"))

    built = build_derivatives(store, sha256)

    assert_colours(built.thumbnail(200), [RED, WHITE, RED, WHITE])


def test_a_16_bit_scan_keeps_its_tones(store: FileStore, tmp_path: Path) -> None:
    sha256 = put(store, make.sixteen_bit_tiff(tmp_path / "scan.tif", value=32768))  # mid-grey

    built = build_derivatives(store, sha256)

    assert_colours(built.thumbnail(200), [(128, 128, 128)] * 4)


def test_a_cmyk_jpeg_keeps_its_colours(store: FileStore, tmp_path: Path) -> None:
    sha256 = put(store, make.cmyk_jpeg(tmp_path / "print.jpg"))

    built = build_derivatives(store, sha256)

    with Image.open(built.thumbnail(200)) as thumbnail:
        assert thumbnail.mode == "RGB"
        red, green, blue = thumbnail.getpixel((100, 60))
    assert red > 200 and green < 60 and blue < 60


def test_the_manifest_describes_everything_without_opening_an_image(
    store: FileStore, tmp_path: Path
) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "photo.jpg", (2000, 1000), orientation=6))
    assert load_derivative_set(store, sha256) is None

    built = build_derivatives(store, sha256, tile_size=512)

    manifest = json.loads((store.derivative_dir(sha256) / "manifest.json").read_text())
    assert (manifest["width"], manifest["height"], manifest["orientation"]) == (2000, 1000, 6)
    assert [(lv["width"], lv["height"], lv["file"]) for lv in manifest["levels"]] == [
        (2000, 1000, None),
        (1000, 500, "level-1.jpg"),
        (500, 250, "level-2.jpg"),
    ]
    assert [(t["size"], t["width"], t["height"]) for t in manifest["thumbnails"]] == [
        (200, 200, 100),
        (600, 600, 300),
    ]
    assert load_derivative_set(store, sha256) == built


def test_the_smallest_level_that_is_still_sharp_enough_is_chosen(
    store: FileStore, tmp_path: Path
) -> None:
    sha256 = put(store, make.save(make.quadrants((3000, 2000)), tmp_path / "big.png", "PNG"))
    built = build_derivatives(store, sha256, tile_size=512)

    def factor(scale: float) -> int:
        return built.best_level_for(scale).scale_factor

    assert factor(2.0) == 1  # enlarging: only the original has the detail
    assert factor(1.0) == 1
    assert factor(0.51) == 1
    assert factor(0.5) == 2  # a 1500-pixel-wide view: level 1 is exactly enough
    assert factor(1500 / 3000) == 2
    assert factor(0.4) == 2  # level 2 (750 wide) would be blurry for a 1200-pixel view
    assert factor(0.25) == 4
    assert factor(0.01) == 8
    with pytest.raises(ValueError):
        built.best_level_for(0)


def test_building_again_reuses_the_finished_set(store: FileStore, tmp_path: Path) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "photo.jpg", (1200, 800)))
    first = build_derivatives(store, sha256)
    directory = store.derivative_dir(sha256)
    written = {p.name: p.stat().st_mtime_ns for p in directory.iterdir()}

    again = build_derivatives(store, sha256)

    assert again == first
    assert {p.name: p.stat().st_mtime_ns for p in directory.iterdir()} == written


def test_a_forced_rebuild_produces_the_same_set_in_one_piece(store: FileStore, tmp_path) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "photo.jpg", (1200, 800)))
    first = build_derivatives(store, sha256)
    manifest = (store.derivative_dir(sha256) / "manifest.json").read_text()

    rebuilt = build_derivatives(store, sha256, force=True)

    assert rebuilt == first
    assert (store.derivative_dir(sha256) / "manifest.json").read_text() == manifest
    assert [p.name for p in store.derivative_dir(sha256).parent.iterdir()] == [sha256]


def test_new_settings_or_a_damaged_set_are_rebuilt(store: FileStore, tmp_path: Path) -> None:
    sha256 = put(store, make.jpeg(tmp_path / "photo.jpg", (1200, 800)))
    build_derivatives(store, sha256, tile_size=512)

    finer = build_derivatives(store, sha256, tile_size=256, thumbnail_sizes=(100,))
    assert [level.width for level in finer.levels] == [1200, 600, 300, 150]
    assert size_of(finer.thumbnail(100)) == (100, 67)
    with pytest.raises(KeyError):
        finer.thumbnail(200)

    (store.derivative_dir(sha256) / "manifest.json").write_text("{ half a manifest")
    assert load_derivative_set(store, sha256) is None
    repaired = build_derivatives(store, sha256, tile_size=256, thumbnail_sizes=(100,))
    assert repaired == finer


def test_an_original_that_was_never_stored_has_no_derivatives(store: FileStore) -> None:
    with pytest.raises(FileNotFoundError):
        build_derivatives(store, "0" * 64)
    assert load_derivative_set(store, "0" * 64) is None


@pytest.mark.parametrize("orientation", [None, 6])
def test_thumbnails_after_a_check_reuse_its_decode_and_look_the_same(
    store: FileStore, tmp_path: Path, orientation: int | None
) -> None:
    """A save checks the upload, then makes its thumbnails from the pixels the check decoded."""
    path = make.jpeg(tmp_path / "photo.jpg", (2400, 1600), orientation=orientation)
    sha256 = put(store, path)
    build_thumbnails(store, sha256)  # no check in between: decoded afresh
    thumbnails = store.derivative_dir(sha256)
    fresh = {size: (thumbnails / thumbnail_name(size)).read_bytes() for size in THUMBNAIL_SIZES}
    store.remove_derivatives(sha256)

    verify_image(path, "photo.jpg", max_pixels=50_000_000)
    build_thumbnails(store, sha256)

    assert recently_verified(sha256) is None  # the check's pixels were used, and only once
    for size in THUMBNAIL_SIZES:
        assert (thumbnails / thumbnail_name(size)).read_bytes() == fresh[size]
    expected = [RED, GREEN, BLUE, YELLOW]
    assert_colours(thumbnails / thumbnail_name(600), expected)
