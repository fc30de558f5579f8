"""Verification of uploaded images before anything is derived from them or published.

The format is decided by the bytes, never by the file name; the pixel count is checked from the
header before any decoding, so a decompression bomb is refused without being expanded; and all
the image data is then decoded once (a JPEG at 1/8 scale, which still reads every byte of it), so
damaged or incomplete files are caught at upload rather than when a reader first opens them.
An import that builds an image's files as it checks it (``repository.images.accepting``) asks
for the header checks only: its full decode checks the data instead.

Pillow's global ``Image.MAX_IMAGE_PIXELS`` is neither relied on nor changed: the limit is the
caller's ``max_pixels``. (Pillow's TIFF decoder still consults the global while decoding; should
it object, the file is refused as too large like any other.)

The pixels a JPEG's check decoded at 1/8 scale are kept a little while under the file's SHA-256
(``recently_verified``), so the thumbnails the save makes next come from that decode instead of
a second one: the check and the thumbnails of a camera photograph read its data once.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageFile, features

from repository.images.storage_errors import size_limit_message
from repository.messages import Message

Image.init()  # registers every format Pillow was built with, WebP included when available

# Pillow format id → MIME type, for the formats the repository accepts.
_MIME_TYPES = {
    format_id: mime_type
    for format_id, mime_type in (
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("TIFF", "image/tiff"),
        ("WEBP", "image/webp"),
    )
    # The WebP opener is registered even when Pillow was built without libwebp.
    if format_id in Image.OPEN and (format_id != "WEBP" or features.check("webp"))
}
_DISPLAY_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WebP"}

#: Pillow format ids that are accepted, in the order they are tried.
ACCEPTED_FORMATS: tuple[str, ...] = tuple(_MIME_TYPES)

# What Pillow plugins raise on malformed data, besides the OSError family.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)

#: What Pillow raises when its own global pixel limit stops a decode.
PILLOW_PIXEL_LIMIT = (Image.DecompressionBombError, Image.DecompressionBombWarning)

# Common image formats Pillow cannot identify at all, so the refusal can still name them.
_OTHER_SIGNATURES = {b"ftypheic": "HEIC", b"ftypheix": "HEIC", b"ftypmif1": "HEIF"}

_PREFIX_LENGTH = 16

# Pixels of recent checks by SHA-256, newest last, at most this many bytes of pixels in all: an
# import checks a batch of up to ten images before saving them (a 24-megapixel photograph's
# ⅛ scale is 1.1 MB); a check never followed by a save (a dry run) leaves at most this behind.
_RECENT_BYTES = 24 * 1024 * 1024
_recent: OrderedDict[str, Image.Image] = OrderedDict()
_recent_lock = threading.Lock()


@dataclass(frozen=True)
class VerifiedImage:
    """What verification learnt; width and height are as displayed, after EXIF orientation."""

    format: str
    mime_type: str
    width: int
    height: int
    orientation: int


class ImageRejected(Exception):
    """An upload that cannot be accepted; ``message`` says why in words the uploader can act on.

    ``code`` is one of ``empty``, ``not_image``, ``unsupported_format``, ``damaged``,
    ``too_many_pixels`` and ``too_large``.
    """

    def __init__(self, code: str, message: Message, filename: str) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.filename = filename


def verify_image(
    path: Path,
    filename: str,
    *,
    max_pixels: int,
    sha256: str | None = None,
    decode: bool = True,
) -> VerifiedImage:
    """Check that ``path`` holds a complete JPEG, PNG, TIFF or WebP image of at most ``max_pixels``.

    ``filename`` is the name the uploader knows the file by; every refusal names it. ``sha256``
    is the file's digest when the caller has already computed it (else it is read again).
    Without ``decode`` only the header is checked: for a caller that decodes all of the image
    next anyway and treats a failure there as damage (``repository.images.accepting``).
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set, so incomplete files would pass as whole"
        )
    path = Path(path)
    if path.stat().st_size == 0:
        raise _rejection("empty", filename)
    with path.open("rb") as stream:
        prefix = stream.read(_PREFIX_LENGTH)
    format_id = identify_format(prefix)
    if format_id is None:
        other = _other_format(prefix)
        if other is None:
            raise _rejection("not_image", filename)
        raise _rejection("unsupported_format", filename, found=other)

    width = height = 0
    try:
        with _open_as(path, format_id) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise _rejection("damaged", filename)
            if width * height > max_pixels:
                raise _too_many_pixels(filename, width, height, max_pixels)
            orientation = read_orientation(image)
            if decode:
                _decode_all(image, path, sha256)
    except ImageRejected:
        raise
    except PILLOW_PIXEL_LIMIT as error:
        raise pillow_limit_refusal(error, filename, width, height, max_pixels) from None
    except DECODE_ERRORS:
        raise _rejection("damaged", filename) from None

    if orientation in (5, 6, 7, 8):  # a quarter turn: the long side changes direction
        width, height = height, width
    return VerifiedImage(
        format=format_id,
        mime_type=_MIME_TYPES[format_id],
        width=width,
        height=height,
        orientation=orientation,
    )


def _decode_all(image: ImageFile.ImageFile, path: Path, sha256: str | None) -> None:
    """Decode all of the image data once, so that damaged or incomplete files fail here.

    A JPEG is decoded at 1/8 scale: libjpeg still reads and checks every entropy-coded byte,
    in a third of the time of a full decode; its pixels are kept for the thumbnails.
    """
    jpeg = image.format in ("JPEG", "MPO")
    if jpeg:
        image.draft(image.mode, (-(-image.width // 8), -(-image.height // 8)))
    image.load()
    if jpeg:
        _remember(path, image.copy(), sha256)


def recently_verified(sha256: str) -> Image.Image | None:
    """The pixels (as stored, before orientation) a check of these bytes decoded, handed out
    once; None when there was no such check in this process or it was forgotten."""
    with _recent_lock:
        return _recent.pop(sha256, None)


def _remember(path: Path, pixels: Image.Image, sha256: str | None) -> None:
    if sha256 is None:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(1024 * 1024):
                digest.update(chunk)
        sha256 = digest.hexdigest()
    with _recent_lock:
        _recent[sha256] = pixels
        while sum(len(kept.mode) * kept.width * kept.height for kept in _recent.values()) > (
            _RECENT_BYTES
        ):
            _recent.popitem(last=False)


def pillow_limit_refusal(
    error: Exception, filename: str, width: int, height: int, max_pixels: int
) -> ImageRejected:
    """Pillow's own pixel limit, met while decoding (a TIFF), or its warning escalated to an
    error, as the refusal of an image with too many pixels, naming the lower of the limits."""
    pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
    if isinstance(error, Image.DecompressionBombError):
        pillow_limit *= 2
    return _too_many_pixels(filename, width, height, min(max_pixels, pillow_limit))


def damaged(filename: str) -> ImageRejected:
    """The refusal of an image whose data could not be decoded to its end."""
    return _rejection("damaged", filename)


def check_size(size: int, max_bytes: int, filename: str) -> None:
    """Refuse an upload by its declared size before reading it (e.g. from Content-Length)."""
    if size > max_bytes:
        raise ImageRejected("too_large", size_limit_message(max_bytes, filename), filename)


def open_image(path: Path) -> ImageFile.ImageFile:
    """Open an accepted image lazily, without Pillow's global pixel limit (the caller's concern).

    For images already verified, e.g. when building derivatives or serving tiles.
    """
    with Path(path).open("rb") as stream:
        format_id = identify_format(stream.read(_PREFIX_LENGTH))
    if format_id is None:
        raise Image.UnidentifiedImageError(f"not a {_format_list(False)} image: {path}")
    return _open_as(path, format_id)


def identify_format(prefix: bytes) -> str | None:
    """The accepted format whose signature starts ``prefix`` (its first 16 bytes), if any."""
    for format_id in ACCEPTED_FORMATS:
        if _matches(format_id, prefix):
            return format_id
    return None


def read_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1–8); missing, malformed or out-of-range values count as 1."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _open_as(path: Path, format_id: str) -> ImageFile.ImageFile:
    # Calling the format's opener directly (as Image.open does) skips Image.open's check against
    # the global MAX_IMAGE_PIXELS; verify_image applies the caller's limit instead. MPO files
    # (multi-picture JPEGs from some cameras) come back from the JPEG opener and are JPEGs.
    factory, _accept = Image.OPEN[format_id]
    image = factory(str(path), str(path))
    assert isinstance(image, ImageFile.ImageFile)
    return image


def _other_format(prefix: bytes) -> str | None:
    """Name of a recognisable but unaccepted image format (GIF, BMP, HEIC, …), if it is one."""
    for format_id in Image.OPEN:
        if format_id not in ACCEPTED_FORMATS and _matches(format_id, prefix):
            return format_id
    signature = prefix[4:12]
    return _OTHER_SIGNATURES.get(signature)


def _matches(format_id: str, prefix: bytes) -> bool:
    _factory, accept = Image.OPEN[format_id]
    if accept is None:  # formats without a signature check would "match" any bytes
        return False
    try:
        result = accept(prefix)
    except DECODE_ERRORS:  # some checks choke on short input
        return False
    # A string result is Pillow's "looks like it, but this build cannot read it".
    return bool(result) and not isinstance(result, str)


def _format_list(chinese: bool) -> str:
    names = [_DISPLAY_NAMES[f] for f in ACCEPTED_FORMATS]
    if chinese:
        return "、".join(names[:-1]) + " 或 " + names[-1]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _rejection(code: str, filename: str, **values: str) -> ImageRejected:
    template = _MESSAGES[code]
    message = template.format(
        name=filename, formats=Message.pair(_format_list(False), _format_list(True)), **values
    )
    return ImageRejected(code, message, filename)


def _too_many_pixels(filename: str, width: int, height: int, limit: int) -> ImageRejected:
    if width and height:
        message = _MESSAGES["too_many_pixels"].format(
            name=filename,
            width=width,
            height=height,
            pixels=f"{width * height:,}",
            limit=f"{limit:,}",
        )
    else:
        message = _MESSAGES["too_many_pixels_unknown"].format(name=filename, limit=f"{limit:,}")
    return ImageRejected("too_many_pixels", message, filename)


_MESSAGES = {
    "empty": Message("{name} is empty (0 bytes); please upload it again."),
    "not_image": Message("{name} is not an image file (the content is not {formats})."),
    "unsupported_format": Message(
        "{name} is in {found} format, which is not accepted; please upload {formats}."
    ),
    "damaged": Message(
        "{name} is damaged or incomplete and cannot be read; please upload it again."
    ),
    "too_many_pixels": Message(
        "{name} is {width} × {height} pixels ({pixels} pixels), more than the limit of "
        "{limit} pixels."
    ),
    "too_many_pixels_unknown": Message("{name} has more pixels than the limit of {limit} pixels."),
}
