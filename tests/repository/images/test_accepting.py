"""An import's image stored with all its files from one decode, which is also its check for
damage: a refused image leaves nothing in the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from repository.images import accepting
from repository.images.accepting import accept_image
from repository.images.derivatives import has_pyramid, load_derivative_set
from repository.images.storage import FileStore
from repository.images.tiles import load_tile_set
from repository.images.verify import ImageRejected
from tests.ingest import image_factory as make

MAX_PIXELS = 40_000_000


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "store")


def stored_files(store: FileStore) -> list[Path]:
    return sorted(path for path in store.root.rglob("*") if path.is_file())


def refusal(store: FileStore, path: Path, filename: str) -> ImageRejected:
    """Why ``accept_image`` refused the file, once it is clear that it left nothing stored."""
    with pytest.raises(ImageRejected) as refused:
        accept_image(store, path, filename, max_pixels=MAX_PIXELS)
    assert stored_files(store) == []
    return refused.value


def test_a_photograph_is_stored_with_its_pyramid_and_tiles(store: FileStore, tmp_path) -> None:
    photo = make.jpeg(tmp_path / "photo.jpg", (2600, 1800))

    accepted = accept_image(store, photo, "photo.jpg", max_pixels=MAX_PIXELS)

    sha256 = accepted.stored.sha256
    assert (accepted.verified.width, accepted.verified.height) == (2600, 1800)
    assert store.original_path(sha256).read_bytes() == photo.read_bytes()
    assert has_pyramid(load_derivative_set(store, sha256))
    assert load_tile_set(store, sha256).level(1) is not None


def test_a_photograph_missing_its_last_kilobytes_is_refused_and_nothing_kept(
    store: FileStore, tmp_path
) -> None:
    whole = make.noisy_jpeg(tmp_path / "whole.jpg", (2400, 1600)).read_bytes()
    cut = tmp_path / "almost.jpg"
    cut.write_bytes(whole[:-4096])  # the header is whole: only decoding finds the damage

    refused = refusal(store, cut, "almost.jpg")

    assert refused.code == "damaged"
    assert "almost.jpg is damaged or incomplete" in refused.message


def test_pillows_own_pixel_limit_is_a_refusal_and_nothing_kept(
    store: FileStore, tmp_path, monkeypatch
) -> None:
    # Pillow's TIFF decoder checks its global limit while decoding, after the header passed.
    scan = make.save(make.quadrants((200, 100)), tmp_path / "scan.tif", "TIFF")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    refused = refusal(store, scan, "scan.tif")

    assert refused.code == "too_many_pixels"
    assert "scan.tif is 200 × 100 pixels" in refused.message


def test_a_build_that_fails_for_another_reason_keeps_the_original_for_its_task(
    store: FileStore, tmp_path, monkeypatch
) -> None:
    def unexpected(*args, **kwargs):
        raise RuntimeError("an unexpected colour mode")

    monkeypatch.setattr(accepting, "build_image_files", unexpected)
    photo = make.jpeg(tmp_path / "photo.jpg", (900, 600))

    accepted = accept_image(store, photo, "photo.jpg", max_pixels=MAX_PIXELS)

    assert not accepted.built
    assert stored_files(store) == [store.original_path(accepted.stored.sha256)]
