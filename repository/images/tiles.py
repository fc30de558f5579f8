"""Pyramid levels cut into tiles, so a deep-zoom tile is one stored JPEG.

The pyramid (``repository.images.derivatives``) already spares zoomed-out views the original, but
a full-resolution tile of a 6000×4000 photograph would still decode all 24 million pixels.
So every level larger than one tile is also stored as a grid of ``tile_size`` JPEG tiles, cut
from one decode of the original (first-generation pixels at every level); the smallest level is
its own single tile. A viewer's tile request then names a stored file, sent as it is
(``iiif.image_render``), as IIPImage sends the tiles of a pyramidal TIFF. The tiles are encoded
by two threads (Pillow releases the interpreter lock while encoding), so a build uses both
cores of a worker.

Layout under the storage root (rebuildable, like the derivatives)::

    iiif-tiles/ab/cd/<sha256>/tiles.json           what was built, at which sizes
    iiif-tiles/ab/cd/<sha256>/scale-1/<col>-<row>.jpg
    iiif-tiles/ab/cd/<sha256>/scale-2/...

A set is written to a staging folder and renamed into place in one step, under a file lock so
that two derivative tasks on one machine build it once. Requests only read a set that exists
(``existing_tile_set``); until then they render from the levels there are.

With object storage the bucket holds every set under the same keys, its ``tiles.json`` PUT
last (``FileStore.share_set``). A machine that did not build a set takes its ``tiles.json``
from the bucket and each tile the first time it is asked for: a viewer's deep zoom into one
corner fetches the few tiles it shows, not the hundred of the whole photograph.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from repository.images.derivatives import DerivativeSet
from repository.images.pixels import DisplayedLevels, load_jpeg
from repository.images.storage import FileStore, validate_sha256
from repository.images.write_through import save_jpeg, write_text

log = logging.getLogger(__name__)

TILE_QUALITY = 90
ENCODING_THREADS = 2
MANIFEST_NAME = "tiles.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class TiledLevel:
    """One pyramid level as a grid of tiles; the last column and row may be narrower."""

    scale_factor: int
    width: int
    height: int
    tile_size: int
    store: FileStore
    key: str  # the level's folder in the store

    @property
    def directory(self) -> Path:
        return self.store.path(self.key)

    @property
    def columns(self) -> int:
        return -(-self.width // self.tile_size)

    @property
    def rows(self) -> int:
        return -(-self.height // self.tile_size)

    def tile_path(self, column: int, row: int) -> Path:
        """The tile's file on this machine, fetched from the bucket on first use. A tile that
        cannot be had gives a path that does not exist: the caller renders from the level."""
        key = f"{self.key}/{column}-{row}.jpg"
        path = self.store.path(key)
        if self.store.shared and not path.is_file():
            try:
                self.store.fetch(key, path)
            except OSError as error:
                log.warning("tile %s not fetched: %s", key, error)
        return path

    def read(self, box: tuple[float, float, float, float]) -> tuple[Image.Image, int, int]:
        """The tiles under ``box`` (level pixels) as one image, with its offset in the level."""
        size = self.tile_size
        first_column, first_row = int(box[0] // size), int(box[1] // size)
        last_column = min(self.columns - 1, max(first_column, math.ceil(box[2] / size) - 1))
        last_row = min(self.rows - 1, max(first_row, math.ceil(box[3] / size) - 1))
        left, top = first_column * size, first_row * size
        if first_column == last_column and first_row == last_row:
            return load_jpeg(self.tile_path(first_column, first_row)), left, top
        right = min(self.width, (last_column + 1) * size)
        bottom = min(self.height, (last_row + 1) * size)
        canvas = Image.new("RGB", (right - left, bottom - top))
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                tile = load_jpeg(self.tile_path(column, row))
                canvas.paste(tile, (column * size - left, row * size - top))
        return canvas, left, top


@dataclass(frozen=True)
class TileSet:
    sha256: str
    levels: tuple[TiledLevel, ...]

    def level(self, scale_factor: int) -> TiledLevel | None:
        for level in self.levels:
            if level.scale_factor == scale_factor:
                return level
        return None


def tiled_scale_factors(derivatives: DerivativeSet) -> tuple[int, ...]:
    """The pyramid levels larger than one tile: each is cut into tiles."""
    return tuple(
        level.scale_factor
        for level in derivatives.levels
        if max(level.width, level.height) > derivatives.tile_size
    )


def tile_set_key(sha256: str) -> str:
    """The folder of an image's tile set in the store."""
    validate_sha256(sha256)
    return f"iiif-tiles/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def tile_set_dir(store: FileStore, sha256: str) -> Path:
    return store.path(tile_set_key(sha256))


def load_tile_set(store: FileStore, sha256: str) -> TileSet | None:
    """The tile set described on this machine, or None when absent, unreadable or of another
    version."""
    prefix = tile_set_key(sha256)
    directory = store.path(prefix)
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        if manifest["version"] != MANIFEST_VERSION or manifest["sha256"] != sha256:
            return None
        levels = tuple(
            TiledLevel(
                scale_factor=int(level["scale_factor"]),
                width=int(level["width"]),
                height=int(level["height"]),
                tile_size=int(manifest["tile_size"]),
                store=store,
                key=f"{prefix}/scale-{int(level['scale_factor'])}",
            )
            for level in manifest["levels"]
        )
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    return TileSet(sha256, levels)


def existing_tile_set(store: FileStore, derivatives: DerivativeSet) -> TileSet | None:
    """The tile set built for these levels, if there is one; never builds (requests).

    A set of fewer levels (built when only levels past 2048 px were tiled) is still used for
    the levels it has, until the task (``huiku iiif-image prepare``) cuts the full set.
    """
    wanted = tiled_scale_factors(derivatives)
    if not wanted:
        return None
    return _find(store, derivatives, wanted, subset=True)


def _find(
    store: FileStore, derivatives: DerivativeSet, wanted: tuple[int, ...], *, subset: bool = False
) -> TileSet | None:
    """The matching set on this machine, else (object storage) the one in the bucket, whose
    ``tiles.json`` then replaces what this machine had."""
    existing = load_tile_set(store, derivatives.sha256)
    if existing is not None and _matches(existing, derivatives, wanted, subset=subset):
        return existing
    if not store.shared:
        return None
    shared = _take_shared(store, derivatives.sha256)
    if shared is not None and _matches(shared, derivatives, wanted, subset=subset):
        return shared
    return None


def _take_shared(store: FileStore, sha256: str) -> TileSet | None:
    """This machine's copy of the set's description taken anew from the bucket; its tiles
    follow one by one as they are read. None when the bucket has none or cannot be asked."""
    prefix = tile_set_key(sha256)
    final = store.path(prefix)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{sha256}.", suffix=".fetch", dir=final.parent))
    try:
        staging.chmod(0o755)
        if not store.fetch(f"{prefix}/{MANIFEST_NAME}", staging / MANIFEST_NAME):
            shutil.rmtree(staging, ignore_errors=True)
            return None
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        log.warning("tiles of %s not looked up: %s", sha256, error)
        return None
    _publish(staging, final)  # tiles of another set, had there been one, go with it
    return load_tile_set(store, sha256)


Source = Callable[[tuple[int, int]], Image.Image]


def ensure_tile_set(
    store: FileStore, derivatives: DerivativeSet, source: Source | None = None
) -> TileSet | None:
    """The tile set of an image, built first if missing; None if no level needs tiles.

    Built by the derivative task (``repository.images.tasks``), not in requests. ``source``
    as for ``build_tile_set``.
    """
    wanted = tiled_scale_factors(derivatives)
    if not wanted:
        return None
    existing = _find(store, derivatives, wanted)
    if existing is not None:
        _share_if_missing(store, derivatives.sha256)
        return existing
    with _build_lock(store, derivatives.sha256):
        existing = load_tile_set(store, derivatives.sha256)  # built while we waited?
        if existing is not None and _matches(existing, derivatives, wanted):
            return existing
        return build_tile_set(store, derivatives, source)


def build_tile_set(
    store: FileStore, derivatives: DerivativeSet, source: Source | None = None
) -> TileSet | None:
    """Cut every large level into tiles from a single decode of the original.

    ``source`` gives the displayed image at a level's size (``DisplayedLevels.at``), so that a
    caller building the pyramid too decodes the original only once.
    """
    wanted = tiled_scale_factors(derivatives)
    if not wanted:
        return None
    sha256, tile_size = derivatives.sha256, derivatives.tile_size
    final = tile_set_dir(store, sha256)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{sha256}.", suffix=".staging", dir=final.parent))
    try:
        if source is None:
            source = DisplayedLevels(store.original_path(sha256)).at
        written = []
        with ThreadPoolExecutor(ENCODING_THREADS, thread_name_prefix="tiles") as encoders:
            cut = []
            for level in derivatives.levels:
                if level.scale_factor in wanted:
                    image = source((level.width, level.height))
                    directory = staging / f"scale-{level.scale_factor}"
                    cut += _cut(encoders, image, directory, tile_size)
                    written.append(level)
            for future in cut:
                future.result()  # an encoding error fails the build
        manifest = {
            "version": MANIFEST_VERSION,
            "sha256": sha256,
            "tile_size": tile_size,
            "quality": TILE_QUALITY,
            "levels": [
                {"scale_factor": lv.scale_factor, "width": lv.width, "height": lv.height}
                for lv in written
            ],
        }
        write_text(staging / MANIFEST_NAME, json.dumps(manifest, indent=2))
        staging.chmod(0o755)  # mkdtemp makes it private; nginx may read tiles one day
        store.share_set(tile_set_key(sha256), staging, MANIFEST_NAME)
        _publish(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result = load_tile_set(store, sha256)
    assert result is not None
    return result


def _share_if_missing(store: FileStore, sha256: str) -> None:
    """A set this machine built before sets were shared reaches the bucket when its task runs
    again (``huiku iiif-image prepare``)."""
    prefix = tile_set_key(sha256)
    if store.shared and not store.exists(f"{prefix}/{MANIFEST_NAME}"):
        store.share_set(prefix, store.path(prefix), MANIFEST_NAME)


def _matches(
    tiles: TileSet, derivatives: DerivativeSet, wanted: tuple[int, ...], *, subset: bool = False
) -> bool:
    """Whether ``tiles`` has exactly the wanted levels (with ``subset``: some of them)."""
    sizes = {(lv.scale_factor, lv.width, lv.height) for lv in tiles.levels}
    expected = {
        (lv.scale_factor, lv.width, lv.height)
        for lv in derivatives.levels
        if lv.scale_factor in wanted
    }
    tile_sizes = {lv.tile_size for lv in tiles.levels}
    levels_match = (sizes and sizes <= expected) if subset else sizes == expected
    return bool(levels_match) and tile_sizes == {derivatives.tile_size}


def _cut(encoders: ThreadPoolExecutor, image: Image.Image, directory: Path, tile_size: int) -> list:
    """Hand each tile of ``image`` to the encoders; their futures, to wait for."""
    directory.mkdir()
    futures = []
    for top in range(0, image.height, tile_size):
        for left in range(0, image.width, tile_size):
            box = (
                left,
                top,
                min(left + tile_size, image.width),
                min(top + tile_size, image.height),
            )
            path = directory / f"{left // tile_size}-{top // tile_size}.jpg"
            futures.append(encoders.submit(_save_tile, image, box, path))
    return futures


def _save_tile(image: Image.Image, box: tuple[int, int, int, int], path: Path) -> None:
    save_jpeg(image.crop(box), path, TILE_QUALITY)


def _publish(staging: Path, final: Path) -> None:
    """Swap the new set in with renames only, so readers never see half a set."""
    aside = final.with_name(f".{final.name}.{secrets.token_hex(4)}.old")
    try:
        os.replace(final, aside)
    except FileNotFoundError:
        aside = None
    os.replace(staging, final)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


@contextmanager
def _build_lock(store: FileStore, sha256: str) -> Iterator[None]:
    """An exclusive lock per image across threads and processes, held while building."""
    directory = tile_set_dir(store, sha256).parent
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f".{sha256}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
