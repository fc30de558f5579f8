"""A ZIP archive of images: inspected before anything is read, then read entry by entry.

A ZIP is inspected from its central directory before any byte is decompressed: entries that
name a path outside the archive (``../``, ``/etc``, ``C:\\``) or that inflate suspiciously (a
ZIP bomb) reject the whole archive. Nothing is ever extracted by the archive's own names: only
entries a row asks for are read, one at a time, into files the importer names, stopping at the
upload size limit.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.imports.image_source import (
    COPY_CHUNK,
    DAMAGED_ENTRY,
    REJECTED_FIX,
    ImageProblem,
    ImageSource,
)
from ingest.imports.problems import ImportRejected
from repository.images.storage_errors import format_size, size_limit_message
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
        self._path = path

    def size_of(self, source_name: str) -> int:
        return self._infos[source_name].file_size

    def unpack(
        self, source_name: str, out: BinaryIO, limit: int, shown: str, fix: Message
    ) -> tuple[str, int]:
        """A stored (uncompressed) entry, as photographs are packed, is hashed and checked
        against its CRC-32 as it is read, and copied by the kernel from the archive's file
        (``copy_file_range``), which costs a fraction of writing it from memory."""
        info = self._infos[source_name]
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            return super().unpack(source_name, out, limit, shown, fix)
        if info.file_size > limit:
            raise ImageProblem(size_limit_message(limit, shown), fix)
        damaged = ImageProblem(DAMAGED_ENTRY.format(name=shown), REJECTED_FIX)
        with self._path.open("rb") as archive:
            start = _entry_data_offset(archive, info)
            if start is None:
                raise damaged
            digest, crc, done = hashlib.sha256(), 0, 0
            while done < info.file_size:
                chunk = os.pread(
                    archive.fileno(), min(COPY_CHUNK, info.file_size - done), start + done
                )
                if not chunk:
                    raise damaged
                digest.update(chunk)
                crc = zlib.crc32(chunk, crc)
                done += len(chunk)
            if crc != info.CRC:
                raise damaged
            out.flush()
            try:
                _copy_range(archive.fileno(), out.fileno(), start, info.file_size)
            except OSError:  # e.g. another file system without the call: copy from memory
                out.seek(0)
                out.truncate()
                return super().unpack(source_name, out, limit, shown, fix)
        return digest.hexdigest(), info.file_size

    def open(self, source_name: str) -> BinaryIO:
        info = self._infos[source_name]
        if info.flag_bits & 0x1:
            raise ImageProblem(_ENCRYPTED.format(name=source_name), _ENCRYPTED_FIX)
        return self._archive.open(info)

    def close(self) -> None:
        self._archive.close()


def _entry_data_offset(archive: BinaryIO, info: zipfile.ZipInfo) -> int | None:
    """Where an entry's bytes begin: after its local header, whose name and extra field may
    differ in length from the central directory's; None when the header is not there."""
    header = os.pread(archive.fileno(), zipfile.sizeFileHeader, info.header_offset)
    if len(header) < zipfile.sizeFileHeader or header[:4] != zipfile.stringFileHeader:
        return None
    fields = struct.unpack(zipfile.structFileHeader, header)
    name_length, extra_length = fields[10], fields[11]
    return info.header_offset + zipfile.sizeFileHeader + name_length + extra_length


def _copy_range(source: int, target: int, start: int, size: int) -> None:
    """Copy ``size`` bytes from ``start`` in one open file to the beginning of another."""
    done = 0
    while done < size:
        copied = os.copy_file_range(source, target, size - done, start + done, done)
        if copied == 0:
            raise OSError(errno.EIO, "the archive ended early")
        done += copied


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
