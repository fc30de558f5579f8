"""Decoding originals for the Image API: upright, as 8-bit RGB, no bigger than needed.

Pyramid levels and tiles are already RGB and upright; only originals need this care. The colour
handling matches the derivatives (transparency laid on white, 16-bit samples scaled to 8 bits),
so the full-resolution level looks like the levels below it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from repository.images.derivatives import shrink, to_rgb
from repository.images.verify import DECODE_ERRORS, open_image, read_orientation

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
        if image.fp is None and read_orientation(image) == 1:
            # Loading closed the file (a single-frame image), so the decoded pixels can be
            # handed on as they are: copying a 24-megapixel photograph costs a tenth of a build.
            return to_rgb(image)
        upright = ImageOps.exif_transpose(image)  # always a new image, so closing is safe
    except BaseException:
        image.close()
        raise
    image.close()
    return to_rgb(upright)


class DamagedImage(OSError):
    """The original's data could not be decoded to its end (damaged or incomplete)."""


class DisplayedLevels:
    """One original decoded once, upright as RGB, and halved as often as asked.

    The pyramid and the tiles are built from the same pixels, so an image is decoded once per
    build however many levels and tiles are cut from it. Every size asked for is kept until the
    object goes away (about a third more than the original's pixels for a whole pyramid).

    With ``full_size`` False (nothing needs the full resolution, e.g. no tiles), a JPEG is
    decoded at the smallest of libjpeg's scales that holds the first size asked for.
    """

    def __init__(self, path: Path, *, full_size: bool = True) -> None:
        self.path = Path(path)
        self.full_size = full_size
        self._images: dict[tuple[int, int], Image.Image] = {}

    def at(self, size: tuple[int, int]) -> Image.Image:
        """The displayed image at ``size``, shrunk from the smallest kept image that is larger."""
        image = self._images.get(size)
        if image is not None:
            return image
        width, height = size
        larger = [kept for kept in self._images.values() if kept.width >= width]
        larger = [kept for kept in larger if kept.height >= height]
        if not larger:  # the first call, or one for more than a reduced decode holds
            # A pixel less lets an odd size, rounded up at the next level, take libjpeg's ½.
            at_least = None if self.full_size else (max(1, width - 1), max(1, height - 1))
            decoded = self._decode(at_least)
            if decoded.width < width or decoded.height < height:
                decoded = self._decode(None)
            self.full_size = True  # from now on, whatever else is asked for
            self._images[decoded.size] = decoded
            larger = [decoded]
        source = min(larger, key=lambda kept: kept.width * kept.height)
        image = self._images[size] = shrink(source, size)
        return image

    def _decode(self, at_least: tuple[int, int] | None) -> Image.Image:
        try:
            return open_displayed(self.path, at_least)
        except DECODE_ERRORS as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # the file, not its content: missing, unreadable
            raise DamagedImage(f"cannot decode {self.path.name}: {error}") from error


def load_jpeg(path: Path) -> Image.Image:
    """A JPEG this server wrote (a pyramid level or a tile), decoded and its file closed."""
    image = open_image(path)  # no global pixel limit: the file is ours, its size is known
    try:
        image.load()  # a single-frame JPEG closes its file once loaded
    except BaseException:
        image.close()
        raise
    return image
