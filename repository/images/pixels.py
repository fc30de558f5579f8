"""Decoding originals for the Image API: upright, as 8-bit RGB, no bigger than needed.

Pyramid levels and tiles are already RGB and upright; only originals need this care. The colour
handling matches the derivatives (transparency laid on white, 16-bit samples scaled to 8 bits),
so the full-resolution level looks like the levels below it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from repository.images.derivatives import to_rgb
from repository.images.verify import open_image, read_orientation

_JPEG_FORMATS = ("JPEG", "MPO")
_QUARTER_TURNS = (5, 6, 7, 8)


def open_displayed(path: Path, at_least: tuple[int, int] | None = None) -> Image.Image:
    """The original at ``path`` decoded upright as RGB.

    With ``at_least`` (a displayed width and height), a JPEG is decoded by libjpeg at the
    smallest of its 1/2, 1/4 or 1/8 scales that still holds that many pixels, so a small view
    of a large photograph never needs the full-size decode.
    """
    image = open_image(path)
    try:
        if at_least is not None and image.format in _JPEG_FORMATS:
            width, height = at_least
            if read_orientation(image) in _QUARTER_TURNS:
                width, height = height, width
            if width < image.width or height < image.height:
                image.draft("RGB", (max(1, width), max(1, height)))
        image.load()
        upright = ImageOps.exif_transpose(image)  # always a new image, so closing is safe
    finally:
        image.close()
    return to_rgb(upright)


def load_jpeg(path: Path) -> Image.Image:
    """A JPEG this server wrote (a pyramid level or a tile), decoded and its file closed."""
    image = open_image(path)  # no global pixel limit: the file is ours, its size is known
    try:
        image.load()  # a single-frame JPEG closes its file once loaded
    except BaseException:
        image.close()
        raise
    return image
