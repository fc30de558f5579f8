"""A ZIP archive of images: inspected before anything is read, then read entry by entry.

A ZIP is inspected from its central directory before any byte is decompressed: entries that
name a path outside the archive (``../``, ``/etc``, ``C:\\``) or that inflate suspiciously (a
ZIP bomb) reject the whole archive. Nothing is ever extracted by the archive's own names: only
entries a row asks for are read, one at a time, into files the importer names, stopping at the
upload size limit.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.imports.image_source import ImageProblem, ImageSource
from ingest.imports.problems import ImportRejected
from repository.images.storage_errors import format_size
from repository.messages import Message

_RATIO_CHECK_FROM = 1024 * 1024  # tiny entries may compress well without being bombs


@dataclass(frozen=True)
class ZipLimits:
    """How much a ZIP may hold: entries, bytes once unpacked, and the inflation per entry."""

    max_entries: int
    max_unpacked_bytes: int
    max_ratio: int


def inspect_zip(path: Path, limits: ZipLimits, *, label: str) -> list[zipfile.ZipInfo]:
    """The archive's file entries after the safety checks; ImportRejected names what is wrong.

    ``label`` is the archive as the user knows it (its upload name).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRejected(_NOT_A_ZIP.format(name=label)) from None
    if len(entries) > limits.max_entries:
        raise ImportRejected(
            _TOO_MANY_ENTRIES.format(name=label, count=len(entries), limit=limits.max_entries)
        )
    total = 0
    files = []
    for info in entries:
        name = entry_name(info)
        if _escapes(name):
            raise ImportRejected(_UNSAFE_ENTRY.format(name=label, entry=name))
        if info.is_dir() or _is_symlink(info):
            continue
        total += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > _RATIO_CHECK_FROM and ratio > limits.max_ratio:
            raise ImportRejected(
                _BOMB.format(name=label, entry=name, ratio=int(ratio), limit=limits.max_ratio)
            )
        files.append(info)
    if total > limits.max_unpacked_bytes:
        raise ImportRejected(
            _TOO_BIG_UNPACKED.format(
                name=label, size=format_size(total), limit=format_size(limits.max_unpacked_bytes)
            )
        )
    return files


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author wrote it.

    Archivers on Chinese Windows store names in GBK without the UTF-8 flag, which Python then
    reads as code page 437; such names are decoded again as UTF-8 or GB18030.
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            return name
        for encoding in ("utf-8", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    return name


def _escapes(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` steps: names that point outside the archive."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return True
    return ".." in unified.split("/")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


class ZipImages(ImageSource):
    kind = "zip"

    def __init__(self, path: Path, label: str, limits: ZipLimits) -> None:
        super().__init__(label)
        self._infos = {}
        for info in inspect_zip(path, limits, label=label):
            name = entry_name(info)
            self._infos[name] = info
            self._index(name)
        self._archive = zipfile.ZipFile(path)

    def size_of(self, source_name: str) -> int:
        return self._infos[source_name].file_size

    def open(self, source_name: str) -> BinaryIO:
        info = self._infos[source_name]
        if info.flag_bits & 0x1:
            raise ImageProblem(_ENCRYPTED.format(name=source_name), _ENCRYPTED_FIX)
        return self._archive.open(info)

    def close(self) -> None:
        self._archive.close()


_NOT_A_ZIP = Message(
    "{name} is not a ZIP archive or is damaged; pack the images again as a .zip file."
)
_TOO_MANY_ENTRIES = Message(
    "{name} holds {count} entries; at most {limit} are accepted in one batch."
)
_UNSAFE_ENTRY = Message(
    "{name} contains the entry “{entry}”, whose path points outside the archive (an absolute "
    "path or “..”); the archive is refused. Pack the images again from their folder."
)
_BOMB = Message(
    "{name}: the entry “{entry}” would unpack to {ratio} times its packed size (more than "
    "{limit}×), which is how ZIP bombs look; the archive is refused."
)
_TOO_BIG_UNPACKED = Message(
    "{name} would unpack to {size}, more than the {limit} one batch may hold; split the images "
    "into several batches."
)
_ENCRYPTED = Message("{name} is password-protected inside the ZIP and cannot be read.")
_ENCRYPTED_FIX = Message("Pack the images again without a password.")
