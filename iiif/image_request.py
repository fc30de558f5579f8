"""IIIF Image API 3.0 request parameters: their syntax, and what they mean for one image.

Parsing needs nothing but the URL, so malformed requests are refused before the database is
asked anything; resolving against the image's width and height then gives the exact pixels to
cut and the output size, and the canonical form of the request (spec §4.7), which names the
response in the cache, the ``Link`` header and the ETag.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

#: Qualities every image offers; ``default`` is colour.
QUALITIES = ("default", "color", "gray", "bitonal")
#: Output formats the server writes, with their media types.
FORMATS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
#: Formats the specification names that this server does not write (501, not 400).
UNSUPPORTED_FORMATS = ("tif", "gif", "jp2", "pdf")

# Ten digits are more than any sensible pixel value; anything longer is refused before int().
_INTEGER = r"\d{1,10}"
_DECIMAL = r"(?:\d{1,10}(?:\.\d{0,10})?|\.\d{1,10})"
_PIXELS = re.compile(rf"({_INTEGER}),({_INTEGER}),({_INTEGER}),({_INTEGER})")
_PERCENT_REGION = re.compile(rf"pct:({_DECIMAL}),({_DECIMAL}),({_DECIMAL}),({_DECIMAL})")
_WIDTH_HEIGHT = re.compile(rf"({_INTEGER})?,({_INTEGER})?")
_PERCENT_SIZE = re.compile(rf"pct:({_DECIMAL})")
_ROTATION = re.compile(rf"(!?)({_DECIMAL})")


class ImageRequestError(Exception):
    """A request the server refuses; ``status`` is the HTTP status the spec gives for it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _bad(reason: str) -> ImageRequestError:
    return ImageRequestError(400, reason)


class RegionKind(StrEnum):
    FULL = "full"
    SQUARE = "square"
    PIXELS = "pixels"
    PERCENT = "percent"


class SizeKind(StrEnum):
    MAX = "max"
    WIDTH = "w,"
    HEIGHT = ",h"
    PERCENT = "pct"
    EXACT = "w,h"
    CONFINED = "!w,h"


@dataclass(frozen=True)
class Region:
    kind: RegionKind
    values: tuple[float, float, float, float] = (0, 0, 0, 0)


@dataclass(frozen=True)
class Size:
    kind: SizeKind
    upscale: bool = False
    width: int = 0
    height: int = 0
    percent: float = 0.0


@dataclass(frozen=True)
class ImageRequest:
    """The five parameters of an image request, checked for syntax only."""

    region: Region
    size: Size
    mirror: bool
    degrees: float
    quality: str
    format: str


@dataclass(frozen=True)
class Limits:
    """The largest output the server renders (advertised as maxWidth, maxHeight, maxArea)."""

    max_width: int
    max_height: int
    max_area: int

    @classmethod
    def from_config(cls, config: dict) -> Limits:
        width, height = int(config["IIIF_MAX_WIDTH"]), int(config["IIIF_MAX_HEIGHT"])
        return cls(width, height, min(int(config["IIIF_MAX_AREA"]), width * height))

    def allows(self, width: int, height: int) -> bool:
        return (
            width <= self.max_width
            and height <= self.max_height
            and width * height <= self.max_area
        )

    def fit(self, width: int, height: int, *, upscale: bool) -> tuple[int, int]:
        """The largest size of ``width``×``height``'s shape within the limits (``max``)."""
        scale = min(
            self.max_width / width,
            self.max_height / height,
            math.sqrt(self.max_area / (width * height)),
        )
        if scale >= 1 and not upscale:
            return width, height
        return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


@dataclass(frozen=True)
class ResolvedRequest:
    """A request applied to one image: which pixels, how big, turned how, in what form."""

    x: int
    y: int
    region_width: int
    region_height: int
    width: int  # output size, before rotation
    height: int
    mirror: bool
    degrees: float
    quality: str
    format: str
    canonical: str  # "{region}/{size}/{rotation}/{quality}.{format}"

    @property
    def scale(self) -> float:
        """Output pixels per source pixel, in the direction that needs the most detail."""
        return max(self.width / self.region_width, self.height / self.region_height)

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]


def parse_image_request(region: str, size: str, rotation: str, quality_format: str) -> ImageRequest:
    """Check the syntax of the four path segments after the identifier.

    Raises ImageRequestError: 400 for anything malformed, 501 for a format the specification
    names but this server does not write.
    """
    parsed_region = _parse_region(region)
    parsed_size = _parse_size(size)
    mirror, degrees = _parse_rotation(rotation)
    quality, dot, extension = quality_format.rpartition(".")
    if not dot:
        raise _bad("the last segment must be {quality}.{format}, e.g. default.jpg")
    if quality not in QUALITIES:
        raise _bad(f"unknown quality {quality[:20]!r}; use one of {', '.join(QUALITIES)}")
    if extension in UNSUPPORTED_FORMATS:
        raise ImageRequestError(501, f"format {extension} is not offered; use jpg, png or webp")
    if extension not in FORMATS:
        raise _bad(f"unknown format {extension[:20]!r}; use jpg, png or webp")
    return ImageRequest(parsed_region, parsed_size, mirror, degrees, quality, extension)


def _parse_region(text: str) -> Region:
    if text == "full":
        return Region(RegionKind.FULL)
    if text == "square":
        return Region(RegionKind.SQUARE)
    if match := _PIXELS.fullmatch(text):
        return Region(RegionKind.PIXELS, tuple(int(v) for v in match.groups()))
    if match := _PERCENT_REGION.fullmatch(text):
        values = tuple(float(v) for v in match.groups())
        return Region(RegionKind.PERCENT, values)
    raise _bad("region must be full, square, x,y,w,h or pct:x,y,w,h")


def _parse_size(text: str) -> Size:
    upscale = text.startswith("^")
    body = text[1:] if upscale else text
    if body == "max":
        return Size(SizeKind.MAX, upscale)
    if match := _PERCENT_SIZE.fullmatch(body):
        percent = float(match.group(1))
        if percent <= 0:
            raise _bad("size pct:n needs n above zero")
        return Size(SizeKind.PERCENT, upscale, percent=percent)
    confined = body.startswith("!")
    match = _WIDTH_HEIGHT.fullmatch(body[1:] if confined else body)
    if match is None or match.groups() == (None, None):
        raise _bad("size must be max, w, ,h, pct:n, w,h or !w,h (each may start with ^)")
    width, height = (int(v) if v is not None else None for v in match.groups())
    if width == 0 or height == 0:
        raise _bad("size width and height must be above zero")
    if confined or (width is not None and height is not None):
        if width is None or height is None:
            raise _bad("size !w,h needs both a width and a height")
        kind = SizeKind.CONFINED if confined else SizeKind.EXACT
        return Size(kind, upscale, width=width, height=height)
    if width is not None:
        return Size(SizeKind.WIDTH, upscale, width=width)
    return Size(SizeKind.HEIGHT, upscale, height=height or 0)


def _parse_rotation(text: str) -> tuple[bool, float]:
    match = _ROTATION.fullmatch(text)
    if match is None:
        raise _bad("rotation must be a number of degrees from 0 to 360, optionally after !")
    degrees = float(match.group(2))
    if degrees > 360:
        raise _bad("rotation must be between 0 and 360 degrees")
    return bool(match.group(1)), degrees % 360


def resolve(
    request: ImageRequest, image_width: int, image_height: int, limits: Limits
) -> ResolvedRequest:
    """Apply a parsed request to an image of the given (displayed) size.

    Raises ImageRequestError (400) for a region outside the image, upscaling without ``^``
    and outputs past the limits.
    """
    x, y, region_width, region_height = _region_pixels(request.region, image_width, image_height)
    width, height = _output_size(request.size, region_width, region_height, limits)

    whole = (x, y, region_width, region_height) == (0, 0, image_width, image_height)
    region_text = "full" if whole else f"{x},{y},{region_width},{region_height}"
    if (width, height) == limits.fit(region_width, region_height, upscale=False):
        size_text = "max"
    elif width > region_width or height > region_height:
        size_text = f"^{width},{height}"
    else:
        size_text = f"{width},{height}"
    rotation_text = ("!" if request.mirror else "") + _degrees_text(request.degrees)
    canonical = f"{region_text}/{size_text}/{rotation_text}/{request.quality}.{request.format}"
    return ResolvedRequest(
        x=x,
        y=y,
        region_width=region_width,
        region_height=region_height,
        width=width,
        height=height,
        mirror=request.mirror,
        degrees=request.degrees,
        quality=request.quality,
        format=request.format,
        canonical=canonical,
    )


def _region_pixels(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    if region.kind is RegionKind.FULL:
        return 0, 0, width, height
    if region.kind is RegionKind.SQUARE:
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if region.kind is RegionKind.PIXELS:
        x, y, w, h = (int(v) for v in region.values)
        if w == 0 or h == 0:
            raise _bad("region width and height must be above zero")
        if x >= width or y >= height:
            raise _bad(f"region starts outside the {width}×{height} image")
        return x, y, min(w, width - x), min(h, height - y)
    px, py, pw, ph = region.values
    if pw <= 0 or ph <= 0:
        raise _bad("region width and height must be above zero")
    x, y = round(px * width / 100), round(py * height / 100)
    if x >= width or y >= height:
        raise _bad("region starts outside the image")
    # A region asked for is at least one pixel, however small its percentage.
    right = min(width, max(x + 1, round((px + pw) * width / 100)))
    bottom = min(height, max(y + 1, round((py + ph) * height / 100)))
    return x, y, right - x, bottom - y


def _output_size(size: Size, width: int, height: int, limits: Limits) -> tuple[int, int]:
    if size.kind is SizeKind.MAX:
        return limits.fit(width, height, upscale=size.upscale)
    if size.kind is SizeKind.WIDTH:
        out = size.width, max(1, round(height * size.width / width))
    elif size.kind is SizeKind.HEIGHT:
        out = max(1, round(width * size.height / height)), size.height
    elif size.kind is SizeKind.PERCENT:
        out = (
            max(1, round(width * size.percent / 100)),
            max(1, round(height * size.percent / 100)),
        )
    elif size.kind is SizeKind.EXACT:
        out = size.width, size.height
    elif size.width * height <= size.height * width:  # !w,h bound by the width
        out = size.width, max(1, min(size.height, round(height * size.width / width)))
    else:
        out = max(1, min(size.width, round(width * size.height / height))), size.height
    if not size.upscale and (out[0] > width or out[1] > height):
        raise _bad(
            f"size {out[0]}×{out[1]} is larger than the {width}×{height} region; "
            "prefix the size with ^ to upscale"
        )
    if not limits.allows(*out):
        raise _bad(
            f"size {out[0]}×{out[1]} is past the limits (maxWidth {limits.max_width}, "
            f"maxHeight {limits.max_height}, maxArea {limits.max_area})"
        )
    return out


def _degrees_text(degrees: float) -> str:
    if degrees == int(degrees):
        return str(int(degrees))
    return f"{degrees:.6f}".rstrip("0").rstrip(".")
