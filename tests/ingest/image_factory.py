"""Real image files for tests: made with Pillow, or byte by byte where Pillow would refuse."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image

RED = (220, 30, 30)
GREEN = (30, 180, 60)
BLUE = (30, 60, 220)
YELLOW = (240, 220, 30)

# How to store pixels so that applying EXIF orientation N shows the intended picture.
_UNDO_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def quadrants(
    size: tuple[int, int], colours: tuple[tuple[int, int, int], ...] = (RED, GREEN, BLUE, YELLOW)
) -> Image.Image:
    """An RGB picture whose top-left, top-right, bottom-left, bottom-right are ``colours``."""
    width, height = size
    image = Image.new("RGB", size)
    half_w, half_h = width // 2, height // 2
    boxes = [(0, 0, half_w, half_h), (half_w, 0, width, half_h)]
    boxes += [(0, half_h, half_w, height), (half_w, half_h, width, height)]
    for box, colour in zip(boxes, colours, strict=True):
        image.paste(colour, box)
    return image


def save(image: Image.Image, path: Path, format: str, **params: object) -> Path:
    """Write ``image`` in ``format`` whatever the file name says, and return the path."""
    image.save(path, format, **params)
    return path


def jpeg(
    path: Path,
    size: tuple[int, int] = (600, 400),
    *,
    orientation: int | None = None,
    image: Image.Image | None = None,
) -> Path:
    """A JPEG that *displays* as ``image`` (default: quadrants of ``size``).

    With ``orientation``, the pixels are stored turned as a sideways camera would store them
    and the EXIF tag says how to turn them back.
    """
    shown = image if image is not None else quadrants(size)
    if orientation is None or orientation == 1:
        return save(shown, path, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = shown.transpose(_UNDO_ORIENTATION[orientation])
    return save(stored, path, "JPEG", quality=90, exif=exif)


def png_with_alpha(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    """Left half opaque red, right half fully transparent (stored as blue, which must not show)."""
    image = Image.new("RGBA", size, (*BLUE, 0))
    image.paste((*RED, 255), (0, 0, size[0] // 2, size[1]))
    return save(image, path, "PNG")


def palette_png_with_transparency(path: Path, size: tuple[int, int] = (200, 100)) -> Path:
    """A palette PNG whose right half is the transparent index."""
    image = Image.new("P", size, 1)
    image.putpalette([*RED, *BLUE] + [0] * (256 - 2) * 3)
    image.paste(0, (0, 0, size[0] // 2, size[1]))
    return save(image, path, "PNG", transparency=1)


def sixteen_bit_tiff(path: Path, size: tuple[int, int] = (300, 200), value: int = 32768) -> Path:
    """A 16-bit greyscale TIFF, as scanners write, filled with ``value`` out of 65535."""
    return save(Image.new("I;16", size, value), path, "TIFF")


def cmyk_jpeg(path: Path, size: tuple[int, int] = (300, 200)) -> Path:
    """A CMYK JPEG (print workflows produce these) of plain red ink: magenta plus yellow."""
    return save(Image.new("CMYK", size, (0, 255, 255, 0)), path, "JPEG", quality=90)


def noisy_jpeg(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    """A JPEG of random noise: hardly compressible, so its bytes are mostly image data."""
    noise = Image.merge("RGB", [Image.effect_noise(size, 64) for _ in range(3)])
    return save(noise, path, "JPEG", quality=95)


def truncated_jpeg(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    """A JPEG cut off halfway, like an interrupted upload."""
    data = noisy_jpeg(path, size).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def truncated_png(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    noise = Image.effect_noise(size, 64)
    data = save(noise, path, "PNG").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bomb_png(path: Path, width: int = 40_000, height: int = 40_000) -> Path:
    """A valid, all-black, 1-bit PNG of ``width`` × ``height`` that is only kilobytes on disk.

    Written by hand because Pillow would have to hold the whole image in memory to save it.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then packed pixels
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, 4_000_000 // len(row))
    parts = []
    for start in range(0, height, rows_per_chunk):
        parts.append(compressor.compress(row * min(rows_per_chunk, height - start)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
    data += _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
    path.write_bytes(data)
    return path


def text_file(path: Path, text: str = "Minutes of the alliance meeting, 3 March.\n") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)
