"""Rendering one resolved image request from the smallest source that holds enough detail.

A request whose answer is already stored — a tile of a tiled level, a whole pyramid level (a
size listed in ``info.json``), a thumbnail, as a plain JPEG — is answered with that file's
bytes: nothing decoded or encoded, as IIPImage sends its pyramid's tiles. Otherwise the source
is picked from the pyramid by the scale the output needs (``best_level_for``): a zoomed-out
view reads a small level, never the original. Within that level only the tiles under the region
are decoded when the level is tiled; an original read directly is decoded by libjpeg at reduced
scale where possible. Then: cut and scale in one resampling step, mirror, rotate,
apply the quality and encode (spec order).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from iiif.image_request import ResolvedRequest
from repository.images.derivatives import DerivativeSet
from repository.images.pixels import load_jpeg, open_displayed
from repository.images.storage import FileStore
from repository.images.tiles import existing_tile_set, tiled_scale_factors

JPEG_QUALITY = 85
WEBP_QUALITY = 80
PNG_COMPRESSION = 4  # zlib level: nearly the size of 9 at a fraction of the time
_TRANSPARENT_FORMATS = ("png", "webp")
# Clockwise quarter turns as Pillow transpositions (Pillow's own ROTATE_90 turns anticlockwise).
_QUARTER_TURNS = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
WHITE = (255, 255, 255)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class StoredImage:
    """An image as the renderer sees it: the store, its digest, displayed size and pyramid."""

    store: FileStore
    sha256: str
    width: int
    height: int
    derivatives: DerivativeSet | None


def render(image: StoredImage, plan: ResolvedRequest) -> bytes:
    """The encoded bytes answering ``plan`` for ``image``."""
    stored = stored_answer(image, plan)
    if stored is not None:
        try:
            return stored.read_bytes()
        except FileNotFoundError:  # removed meanwhile (a rebuild): render instead
            pass
    source, box = _source_pixels(image, plan)
    pixels = _cut_and_scale(source, box, (plan.width, plan.height))
    transparent = plan.format in _TRANSPARENT_FORMATS and plan.quality != "bitonal"
    pixels = _turn(pixels, plan.mirror, plan.degrees, transparent)
    pixels = _apply_quality(pixels, plan.quality)
    return _encode(pixels, plan.format)


def stored_answer(image: StoredImage, plan: ResolvedRequest) -> Path | None:
    """The stored JPEG that is exactly the answer to ``plan``, if there is one."""
    derivatives = image.derivatives
    unchanged = plan.quality in ("default", "color") and not plan.mirror and plan.degrees == 0
    if derivatives is None or plan.format != "jpg" or not unchanged:
        return None
    size = (plan.width, plan.height)
    if (plan.x, plan.y, plan.region_width, plan.region_height) == (0, 0, image.width, image.height):
        for thumbnail in derivatives.thumbnails:
            if (thumbnail.width, thumbnail.height) == size:
                return thumbnail.path
        for level in derivatives.levels[1:]:
            if (level.width, level.height) == size:
                return level.path
    tiles = existing_tile_set(image.store, derivatives)
    for tiled in tiles.levels if tiles is not None else ():
        span = tiled.tile_size * tiled.scale_factor
        if plan.x % span or plan.y % span:
            continue
        column, row = plan.x // span, plan.y // span
        left, top = column * tiled.tile_size, row * tiled.tile_size
        stored = (
            min(tiled.tile_size, tiled.width - left),
            min(tiled.tile_size, tiled.height - top),
        )
        covered = (min(span, image.width - plan.x), min(span, image.height - plan.y))
        if (plan.region_width, plan.region_height) == covered and size == stored:
            return tiled.tile_path(column, row)
    return None


def _source_pixels(image: StoredImage, plan: ResolvedRequest) -> tuple[Image.Image, Box]:
    """Pixels holding the region at enough resolution, and the region's box within them."""
    left, top = plan.x, plan.y
    right, bottom = left + plan.region_width, top + plan.region_height
    derivatives = image.derivatives
    if derivatives is not None:
        level = derivatives.best_level_for(plan.scale)
        factor = level.scale_factor
        if factor in tiled_scale_factors(derivatives):
            tiles = existing_tile_set(image.store, derivatives)
            tiled = tiles.level(factor) if tiles is not None else None
            if tiled is not None:
                level_box = (left / factor, top / factor, right / factor, bottom / factor)
                try:
                    pixels, offset_x, offset_y = tiled.read(level_box)
                except FileNotFoundError:  # a tile gone or not fetched: the level has them too
                    pass
                else:
                    return pixels, _shift(level_box, offset_x, offset_y)
        if not level.is_original:
            pixels = load_jpeg(level.path)
            return pixels, (left / factor, top / factor, right / factor, bottom / factor)
    # The original: at full size when the output needs it, else at a reduced JPEG scale.
    needed = (
        math.ceil(image.width * plan.scale - 1e-9),
        math.ceil(image.height * plan.scale - 1e-9),
    )
    pixels = open_displayed(image.store.original_path(image.sha256), at_least=needed)
    scale_x, scale_y = pixels.width / image.width, pixels.height / image.height
    return pixels, (left * scale_x, top * scale_y, right * scale_x, bottom * scale_y)


def _shift(box: Box, offset_x: int, offset_y: int) -> Box:
    return box[0] - offset_x, box[1] - offset_y, box[2] - offset_x, box[3] - offset_y


def _cut_and_scale(source: Image.Image, box: Box, size: tuple[int, int]) -> Image.Image:
    """The box of ``source`` at ``size``; an exact pixel crop when no resampling is needed."""
    box = (
        max(0.0, box[0]),
        max(0.0, box[1]),
        min(float(source.width), box[2]),
        min(float(source.height), box[3]),
    )
    whole_pixels = all(float(value).is_integer() for value in box)
    if whole_pixels and (box[2] - box[0], box[3] - box[1]) == size:
        if box == (0, 0, source.width, source.height):
            return source
        return source.crop(tuple(int(value) for value in box))
    shrinking = size[0] <= box[2] - box[0] and size[1] <= box[3] - box[1]
    resample = Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC
    return source.resize(size, resample, box=box, reducing_gap=3.0)


def _turn(pixels: Image.Image, mirror: bool, degrees: float, transparent: bool) -> Image.Image:
    """Mirror (about the vertical axis), then rotate clockwise."""
    if mirror:
        pixels = pixels.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if degrees == 0:
        return pixels
    if degrees in _QUARTER_TURNS:
        return pixels.transpose(_QUARTER_TURNS[int(degrees)])
    if transparent:
        pixels = pixels.convert("RGBA")
        fill: tuple[int, ...] = (0, 0, 0, 0)
    else:
        fill = WHITE
    return pixels.rotate(-degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def _apply_quality(pixels: Image.Image, quality: str) -> Image.Image:
    if quality == "gray":
        return pixels.convert("LA" if pixels.mode == "RGBA" else "L")
    if quality == "bitonal":
        return pixels.convert("L").convert("1", dither=Image.Dither.NONE)  # threshold at 128
    return pixels  # default and color are the same here: full colour


def _encode(pixels: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    if format == "jpg":
        pixels.save(buffer, "JPEG", quality=JPEG_QUALITY)
    elif format == "png":
        pixels.save(buffer, "PNG", compress_level=PNG_COMPRESSION)
    else:
        if pixels.mode not in ("RGB", "RGBA"):
            pixels = pixels.convert("RGBA" if pixels.mode == "LA" else "RGB")
        pixels.save(buffer, "WEBP", quality=WEBP_QUALITY)
    return buffer.getvalue()
