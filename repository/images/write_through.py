"""Files written once and read later: flushed to disk, then let go of by the page cache.

A photograph's pyramid and tiles (about 135 files) are built in a staging folder and published
by renaming it. Each file is flushed before that rename, so a crash cannot publish a set whose
files are still empty (a renamed folder may reach the disk before the data of files written
into it). Once on disk, its pages are dropped from the page cache, as is the original once its
files are built: an import of thousands of photographs writes tens of gigabytes that readers
ask for a little at a time, and kept in memory they would push out the tiles being read. It is
also cheaper: the kernel reuses the pages it let go of, where pages never touched before cost
the kernel (and on virtual machines the host) more to hand out than writing into them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


def save_jpeg(image: Image.Image, path: Path, quality: int) -> None:
    """Encode ``image`` as a JPEG file at ``path``, on disk and out of memory when this returns."""
    with open(path, "wb") as out:
        image.save(out, "JPEG", quality=quality)
        out.flush()
        flush_and_release(out.fileno())


def write_text(path: Path, text: str) -> None:
    """Write a small UTF-8 file (a set's description) the same way as its images."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        flush_and_release(out.fileno())


def flush_and_release(fd: int) -> None:
    """Wait until the open file's data is on disk, then drop its pages from the cache."""
    _flush(fd)
    _drop(fd)


def release(path: Path) -> None:
    """Drop a file's pages from the cache (pages not yet written out are only queued for it);
    a file that cannot be opened is left alone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        _drop(fd)
    finally:
        os.close(fd)


_flush = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def _drop(fd: int) -> None:
    if hasattr(os, "posix_fadvise"):  # Linux; elsewhere the cache is left to the kernel
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
