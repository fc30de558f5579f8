"""Thumbnails and a downscaled pyramid, so image requests rarely need to decode the original.

Each pyramid level halves the previous one (sizes round up, as IIIF scale factors do) until a
single tile covers the image. Level 0 is the stored original itself and is not copied; every
other level and thumbnail is an 8-bit RGB JPEG already turned the right way up (embedded colour
profiles are not applied). The ``manifest.json`` beside them records every size, so a server can
pick a level without opening any image.

A save makes only the thumbnails (``build_thumbnails``: one small decode), so the record's page
shows its images at once; the pyramid follows in a task (``build_derivatives``). A set of
thumbnails alone lists the original as its only level, which every reader can already use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps

from repository.images.storage import FileStore
from repository.images.verify import open_image, read_orientation, recently_verified
from repository.images.write_through import save_jpeg, write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
JPEG_QUALITY = 85
TILE_SIZE = 512  # IIIF tiles; the pyramid halves until one tile covers the image
THUMBNAIL_SIZES = (200, 600)


def thumbnail_name(size: int) -> str:
    """The file name of a thumbnail inside an image's derivative folder."""
    return f"thumb-{size}.jpg"


# Modes Pillow stores 16-bit samples in (scanned TIFFs often are).
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


@dataclass(frozen=True)
class Level:
    """One resolution of the image; ``scale_factor`` 1 is the original, 2 is half size, …"""

    scale_factor: int
    width: int
    height: int
    path: Path

    @property
    def is_original(self) -> bool:
        """The original still needs its EXIF orientation applied when decoded; levels do not."""
        return self.scale_factor == 1


@dataclass(frozen=True)
class Thumbnail:
    size: int
    width: int
    height: int
    path: Path


@dataclass(frozen=True)
class DerivativeSet:
    """The derivatives of one original; ``width``/``height`` are the full displayed size."""

    sha256: str
    width: int
    height: int
    orientation: int
    tile_size: int
    levels: tuple[Level, ...]
    thumbnails: tuple[Thumbnail, ...]

    def thumbnail(self, size: int) -> Path:
        for thumbnail in self.thumbnails:
            if thumbnail.size == size:
                return thumbnail.path
        built = ", ".join(str(t.size) for t in self.thumbnails) or "none"
        raise KeyError(f"no {size}px thumbnail was built (built: {built})")

    def best_level_for(self, scale: float) -> Level:
        """The smallest level still holding ``scale`` × full resolution in both directions.

        ``scale`` is output pixels per full-resolution pixel, e.g. 0.25 for a quarter-size view;
        beyond 1 only the original will do.
        """
        if not scale > 0:
            raise ValueError(f"scale must be positive, not {scale!r}")
        needed_width = self.width * scale - 1e-6
        needed_height = self.height * scale - 1e-6
        best = self.levels[0]
        for level in self.levels[1:]:
            if level.width >= needed_width and level.height >= needed_height:
                best = level
        return best


def build_derivatives(
    store: FileStore,
    sha256: str,
    *,
    tile_size: int = TILE_SIZE,
    thumbnail_sizes: Sequence[int] = THUMBNAIL_SIZES,
    force: bool = False,
    source: Callable[[tuple[int, int]], Image.Image] | None = None,
) -> DerivativeSet:
    """Write thumbnails, pyramid levels and the manifest for a stored original.

    A complete set built with the same settings is returned as it is unless ``force`` is given;
    otherwise the new set replaces the old one in a single step. ``source`` gives the displayed
    image at a level's size (``pixels.DisplayedLevels.at``), so that the tiles can be cut from
    the same decode; without it the original is decoded here, at half size when that is enough.
    """
    sizes = tuple(sorted(set(thumbnail_sizes)))
    if tile_size < 1 or not sizes or sizes[0] < 1:
        raise ValueError("tile_size and thumbnail sizes must be positive")
    if not force:
        existing = load_derivative_set(store, sha256)
        if existing is not None and _built_with(existing, tile_size, sizes, pyramid=True):
            return existing

    original = store.original_path(sha256)
    with open_image(original) as image:
        orientation = read_orientation(image)
        width, height = _displayed_size(image.size, orientation)
        chain = pyramid_chain(width, height, tile_size)
        thumbnails = {size: _fit(width, height, size) for size in sizes}
        # Decode the full resolution only when some thumbnail needs more than level 1 offers.
        start = 0
        if len(chain) > 1 and all(max(t) <= max(chain[1]) for t in thumbnails.values()):
            start = 1
        current = source(chain[start]) if source else _decode(image, chain[start], orientation)

    with store.writing_derivatives(sha256) as staging:
        pending = sorted(sizes, reverse=True)
        for index in range(start, len(chain)):
            if index > start:
                current = source(chain[index]) if source else shrink(current, chain[index])
            if index > 0:
                _save(current, staging / f"level-{index}.jpg")
            # Each thumbnail comes from the smallest level that is still at least as large.
            following = max(chain[index + 1]) if index + 1 < len(chain) else 0
            while pending and max(thumbnails[pending[0]]) > following:
                size = pending.pop(0)
                _save(shrink(current, thumbnails[size]), staging / thumbnail_name(size))
        _write_manifest(staging, sha256, orientation, tile_size, chain, thumbnails)

    result = load_derivative_set(store, sha256)
    assert result is not None
    return result


def build_thumbnails(
    store: FileStore,
    sha256: str,
    *,
    tile_size: int = TILE_SIZE,
    thumbnail_sizes: Sequence[int] = THUMBNAIL_SIZES,
) -> DerivativeSet:
    """Only the thumbnails, from one decode at about their size (a JPEG at 1/8 scale when that
    is enough); the pyramid is left to ``build_derivatives``. An existing set that already has
    these thumbnails, with or without its pyramid, is returned as it is."""
    sizes = tuple(sorted(set(thumbnail_sizes)))
    existing = load_derivative_set(store, sha256)
    if existing is not None and _built_with(existing, tile_size, sizes, pyramid=False):
        return existing
    with open_image(store.original_path(sha256)) as image:
        orientation = read_orientation(image)
        width, height = _displayed_size(image.size, orientation)
        thumbnails = {size: _fit(width, height, size) for size in sizes}
        current = _from_check(sha256, thumbnails[sizes[-1]], orientation)
        if current is None:
            current = _decode(image, thumbnails[sizes[-1]], orientation)
    with store.writing_derivatives(sha256) as staging:
        for size in reversed(sizes):
            current = shrink(current, thumbnails[size])
            _save(current, staging / thumbnail_name(size))
        _write_manifest(staging, sha256, orientation, tile_size, [(width, height)], thumbnails)
    result = load_derivative_set(store, sha256)
    assert result is not None
    return result


def pyramid_chain(width: int, height: int, tile_size: int) -> list[tuple[int, int]]:
    """The sizes of every level, the original first: what a complete pyramid holds."""
    return [(width, height), *_pyramid_sizes(width, height, tile_size)]


def _write_manifest(
    staging: Path,
    sha256: str,
    orientation: int,
    tile_size: int,
    chain: Sequence[tuple[int, int]],
    thumbnails: dict[int, tuple[int, int]],
) -> None:
    width, height = chain[0]
    manifest = {
        "version": MANIFEST_VERSION,
        "sha256": sha256,
        "width": width,
        "height": height,
        "orientation": orientation,
        "tile_size": tile_size,
        "levels": [
            {
                "scale_factor": 2**index,
                "width": w,
                "height": h,
                "file": f"level-{index}.jpg" if index else None,
            }
            for index, (w, h) in enumerate(chain)
        ],
        "thumbnails": [
            {"size": size, "width": w, "height": h, "file": thumbnail_name(size)}
            for size, (w, h) in sorted(thumbnails.items())
        ],
    }
    write_text(staging / MANIFEST_NAME, json.dumps(manifest, indent=2))


def load_derivative_set(store: FileStore, sha256: str) -> DerivativeSet | None:
    """The derivatives described by the manifest; None when absent or unreadable (rebuild)."""
    directory = store.derivative_dir(sha256)
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        if manifest["version"] != MANIFEST_VERSION or manifest["sha256"] != sha256:
            return None
        original = store.original_location(sha256)  # described, not fetched
        levels = tuple(
            Level(
                scale_factor=int(level["scale_factor"]),
                width=int(level["width"]),
                height=int(level["height"]),
                path=directory / level["file"] if level["file"] else original,
            )
            for level in manifest["levels"]
        )
        thumbnails = tuple(
            Thumbnail(
                size=int(t["size"]),
                width=int(t["width"]),
                height=int(t["height"]),
                path=directory / t["file"],
            )
            for t in manifest["thumbnails"]
        )
        return DerivativeSet(
            sha256=sha256,
            width=int(manifest["width"]),
            height=int(manifest["height"]),
            orientation=int(manifest["orientation"]),
            tile_size=int(manifest["tile_size"]),
            levels=levels,
            thumbnails=thumbnails,
        )
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _built_with(
    existing: DerivativeSet, tile_size: int, sizes: tuple[int, ...], *, pyramid: bool
) -> bool:
    """Whether ``existing`` has these thumbnails (and, with ``pyramid``, every level) on disk."""
    files = [level.path for level in existing.levels[1:]] + [t.path for t in existing.thumbnails]
    levels = [(level.width, level.height) for level in existing.levels]
    return (
        existing.tile_size == tile_size
        and tuple(t.size for t in existing.thumbnails) == sizes
        and (not pyramid or levels == pyramid_chain(existing.width, existing.height, tile_size))
        and all(path.is_file() for path in files)
    )


def has_pyramid(derivatives: DerivativeSet) -> bool:
    """Whether the set holds every level, not only the thumbnails of a fresh save."""
    levels = [(level.width, level.height) for level in derivatives.levels]
    return levels == pyramid_chain(derivatives.width, derivatives.height, derivatives.tile_size)


def _displayed_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    width, height = size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _pyramid_sizes(width: int, height: int, tile_size: int) -> list[tuple[int, int]]:
    sizes = []
    while max(width, height) > tile_size:
        width, height = -(-width // 2), -(-height // 2)
        sizes.append((width, height))
    return sizes


def _fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """Fit within ``longest`` × ``longest``, keeping the aspect ratio and never enlarging."""
    if max(width, height) <= longest:
        return width, height
    if width >= height:
        return longest, max(1, round(height * longest / width))
    return max(1, round(width * longest / height)), longest


def _decode(image: ImageFile.ImageFile, target: tuple[int, int], orientation: int) -> Image.Image:
    """Decode at (about) ``target`` size, the right way up, as RGB."""
    if image.format in ("JPEG", "MPO"):
        # libjpeg can decode at 1/2, 1/4 or 1/8 scale directly, so a 6000×4000 photo never has
        # to exist in memory at full size to make a 3000×2000 level. Asking for a little less
        # than half makes odd sizes qualify for the 1/2 scale too.
        stored_width, stored_height = _displayed_size(target, orientation)
        if (stored_width, stored_height) != image.size:
            image.draft("RGB", (max(1, stored_width - 1), max(1, stored_height - 1)))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    result = shrink(to_rgb(image), target)
    # Closing the file also frees the image it was decoded into, so hand back a separate one.
    return image.copy() if result is image else result


# What EXIF orientation 2–8 asks for, as in ImageOps.exif_transpose.
_ORIENTATION_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _from_check(sha256: str, target: tuple[int, int], orientation: int) -> Image.Image | None:
    """The pixels the upload's check decoded, upright at ``target`` size, if they are enough."""
    checked = recently_verified(sha256)
    if checked is None:
        return None
    turn = _ORIENTATION_TURNS.get(orientation)
    upright = checked.transpose(turn) if turn is not None else checked
    if upright.width < target[0] or upright.height < target[1]:
        return None
    return shrink(to_rgb(upright), target)


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB for JPEG output; transparency is laid on white, as on a page."""
    if image.mode == "RGB":
        return image
    if image.mode in _SIXTEEN_BIT or (image.mode == "I" and image.getextrema()[1] > 255):
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif image.mode == "F":
        low, high = image.getextrema()
        spread = (high - low) or 1
        image = image.point(lambda value: (value - low) * (255 / spread)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        page = Image.new("RGB", rgba.size, (255, 255, 255))
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return image.convert("RGB")


def shrink(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """``image`` at ``target`` size: exact 2×2 averages for a pyramid step, Lanczos otherwise."""
    if image.size == target:
        return image
    if ((image.width + 1) // 2, (image.height + 1) // 2) == target:
        return image.reduce(2)  # exact 2×2 averaging: the usual pyramid step, and fast
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _save(image: Image.Image, path: Path) -> None:
    save_jpeg(image, path, JPEG_QUALITY)
