"""An image's files are on disk, and out of memory, once they are built.

Residency in the page cache is read with util-linux's ``fincore``, as an administrator would.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from repository.images.pixels import load_jpeg
from repository.images.storage import FileStore
from repository.images.tasks import build_image_files
from repository.images.tiles import load_tile_set
from tests.ingest.image_factory import quadrants

LARGE = (2600, 1800)  # tiled at full resolution and at half


def resident_bytes(path: Path) -> int:
    """How much of the file the page cache holds."""
    result = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip() or 0)


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    if shutil.which("fincore") is None:
        pytest.skip("util-linux's fincore is not installed")
    kind = subprocess.run(["stat", "-f", "-c", "%T", str(tmp_path)], capture_output=True)
    if kind.stdout.strip() == b"tmpfs":
        pytest.skip("a tmpfs keeps every file in memory: the page cache is the file system")
    return FileStore(tmp_path / "storage")


def test_built_files_and_the_original_leave_the_page_cache(store, tmp_path):
    photo = tmp_path / "photo.jpg"
    quadrants(LARGE).save(photo, "JPEG", quality=95)
    stored = store.put_original(photo, move=True)

    build_image_files(store, stored.sha256)

    # The original and every JPEG built (the small descriptions are read back by the build).
    images = [stored.path, *store.root.rglob("*.jpg")]
    tiles = [path for path in images if "iiif-tiles" in path.parts]
    assert len(tiles) > 20 and len(images) > len(tiles) + 3
    # A file written the ordinary way stays cached: the measure can tell the difference.
    control = tmp_path / "control.jpg"
    control.write_bytes(bytes(64 * 1024))
    assert resident_bytes(control) > 0
    resident = {str(path.relative_to(store.root)): resident_bytes(path) for path in images}
    assert resident == dict.fromkeys(resident, 0)


def test_files_let_go_of_are_whole_on_disk(store, tmp_path):
    photo = tmp_path / "photo.jpg"
    quadrants(LARGE).save(photo, "JPEG", quality=95)
    stored = store.put_original(photo, move=True)
    build_image_files(store, stored.sha256)

    tile_set = load_tile_set(store, stored.sha256)
    assert tile_set is not None
    full = tile_set.level(1)
    corner = load_jpeg(full.tile_path(full.columns - 1, full.rows - 1))
    assert corner.size == (LARGE[0] - 512 * (full.columns - 1), LARGE[1] - 512 * (full.rows - 1))
