"""The images of a batch: a ZIP archive or a folder, looked up by the names in the ``images`` cells.

A ZIP is inspected from its central directory before any byte is decompressed: entries that
name a path outside the archive (``../``, ``/etc``, ``C:\\``) or that inflate suspiciously (a
ZIP bomb) reject the whole archive. Nothing is ever extracted by the archive's own names: only
entries a row asks for are read, one at a time, into files the importer names, stopping at the
upload size limit.

Names are matched without regard to case, Unicode form or the folder inside the archive
(``IMG_01.JPG`` finds ``photos/img_01.jpg``) as long as only one file fits.
"""

from __future__ import annotations

import dataclasses
import difflib
import errno
import hashlib
import os
import shutil
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ingest.imports import recordings
from ingest.imports.problems import ImportRejected
from repository.images.accepting import accept_image, remove_unused
from repository.images.storage import FileStore, StoredOriginal, format_size, size_limit_message
from repository.images.verify import ImageRejected, VerifiedImage, verify_image
from repository.media.probe import ProbedMedia
from repository.messages import Message

_JUNK_PREFIXES = ("__macosx/",)
_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
_COPY_CHUNK = 1024 * 1024
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


def fold_name(name: str) -> str:
    """A file name as matched: NFC, case-folded, forward slashes, no leading ``./``."""
    folded = unicodedata.normalize("NFC", name).replace("\\", "/").strip().casefold()
    while folded.startswith("./"):
        folded = folded[2:]
    return folded.lstrip("/")


@dataclass(frozen=True)
class CheckedImage:
    """An image (or, with ``probed``, a recording) that passed verification; ``path`` is a
    local copy to store it from (or None)."""

    name: str  # as written in the cell
    source_name: str  # as found in the archive or folder
    sha256: str
    size: int
    verified: VerifiedImage | None
    path: Path | None
    probed: ProbedMedia | None = None
    stored: StoredOriginal | None = None  # already in the store with all its files built


class ImageProblem(Exception):
    def __init__(self, message: Message, fix: Message | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.fix = fix


class ImageSource:
    """Files by folded name; subclasses say where the bytes come from."""

    kind = "none"

    def __init__(self, label: str) -> None:
        self.label = label
        self._paths: dict[str, list[str]] = {}  # folded path → original names

    def _index(self, name: str) -> None:
        folded = fold_name(name)
        base = PurePosixPath(folded).name
        if not base or base in _JUNK_NAMES or base.startswith("._"):
            return
        if folded.startswith(_JUNK_PREFIXES):
            return
        self._paths.setdefault(folded, []).append(name)

    @property
    def count(self) -> int:
        return len(self._paths)

    def find(self, name: str) -> str:
        """The file a cell names: its whole path, or a unique file ending with that path."""
        folded = fold_name(name)
        exact = self._paths.get(folded, [])
        if len(exact) == 1:
            return exact[0]
        candidates = exact or [
            original
            for path, originals in self._paths.items()
            if path.endswith("/" + folded)
            for original in originals
        ]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            shown = ", ".join(sorted(candidates)[:5])
            raise ImageProblem(_AMBIGUOUS.format(name=name, candidates=shown), _AMBIGUOUS_FIX)
        raise ImageProblem(self._missing(name), self._missing_fix(folded))

    def _missing(self, name: str) -> Message:
        missing = _MISSING_RECORDING if recordings.is_recording_name(name) else _MISSING
        return missing.format(name=name, source=self.label)

    def _missing_fix(self, folded: str) -> Message:
        names = {PurePosixPath(path).name: path for path in self._paths}
        close = difflib.get_close_matches(PurePosixPath(folded).name, list(names), n=1, cutoff=0.75)
        if close:
            original = self._paths[names[close[0]]][0]
            return _MISSING_FIX_CLOSE.format(candidate=original)
        return _MISSING_FIX

    def size_of(self, source_name: str) -> int:
        raise NotImplementedError

    def open(self, source_name: str) -> BinaryIO:
        raise NotImplementedError

    def unpack(
        self, source_name: str, out: BinaryIO, limit: int, shown: str, fix: Message
    ) -> tuple[str, int]:
        """Copy the file into ``out``, at most ``limit`` bytes; its SHA-256 and size."""
        with self.open(source_name) as stream:
            return _copy_capped(stream, out, limit, shown, fix)

    def local_path(self, source_name: str) -> Path | None:
        """A file already on disk that can be verified in place (folders), else None."""
        return None

    def close(self) -> None:
        pass


class NoImages(ImageSource):
    """A batch without images: any named image is a problem."""

    def __init__(self) -> None:
        super().__init__("")

    def find(self, name: str) -> str:
        missing = _NO_FILES_RECORDING if recordings.is_recording_name(name) else _NO_IMAGES
        raise ImageProblem(missing.format(name=name), _NO_IMAGES_FIX)


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
        damaged = ImageProblem(_DAMAGED_ENTRY.format(name=shown), _REJECTED_FIX)
        with self._path.open("rb") as archive:
            start = _entry_data_offset(archive, info)
            if start is None:
                raise damaged
            digest, crc, done = hashlib.sha256(), 0, 0
            while done < info.file_size:
                chunk = os.pread(
                    archive.fileno(), min(_COPY_CHUNK, info.file_size - done), start + done
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


class FolderImages(ImageSource):
    """A folder of images (the CLI's ``--images DIR``); symbolic links are not followed."""

    kind = "folder"

    def __init__(self, root: Path, label: str) -> None:
        super().__init__(label)
        self.root = root
        for directory, folders, files in os.walk(root, followlinks=False):
            folders.sort()
            for file_name in sorted(files):
                full = Path(directory) / file_name
                if full.is_symlink() or not full.is_file():
                    continue
                self._index(full.relative_to(root).as_posix())

    def size_of(self, source_name: str) -> int:
        return (self.root / source_name).stat().st_size

    def open(self, source_name: str) -> BinaryIO:
        return (self.root / source_name).open("rb")

    def local_path(self, source_name: str) -> Path | None:
        return self.root / source_name


class ImageChecker:
    """Finds, reads, hashes and verifies each named image once per job.

    With ``keep_files`` images from a ZIP stay unpacked in ``work_dir`` (named by their digest)
    for the import to store; a dry run deletes each copy as soon as it is verified. With a
    ``store``, a check asked to ``build`` takes the image into the store with all its files
    (``repository.images.accepting``), the one decode verifying it; ``release_unused`` takes
    back what rows that were not written left there.
    """

    def __init__(
        self,
        source: ImageSource,
        work_dir: Path,
        *,
        max_bytes: int,
        max_pixels: int,
        keep_files: bool,
        store: FileStore | None = None,
    ) -> None:
        self.source = source
        self.work_dir = work_dir
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.keep_files = keep_files
        self.store = store
        self._results: dict[str, CheckedImage | ImageProblem] = {}
        self._created: list[str] = []  # digests new to the store since ``release_unused``

    @property
    def verified_count(self) -> int:
        """How many distinct images passed verification so far."""
        return sum(1 for result in self._results.values() if isinstance(result, CheckedImage))

    def check(self, name: str, *, build: bool = False) -> CheckedImage:
        """The verified image a cell names, or ImageProblem saying what is wrong with it.

        With ``build`` (and a store), a new image is stored with its files built."""
        source_name = self.source.find(name)
        result = self._results.get(source_name)
        if result is None:
            try:
                result = self._check(source_name, build and self.store is not None)
            except ImageProblem as problem:
                result = problem
            self._results[source_name] = result
        if isinstance(result, ImageProblem):
            raise result
        return dataclasses.replace(result, name=name)

    def release_unused(self) -> None:
        """Remove what checks since the last call stored that no written row kept (the row
        failed for another reason, or its batch did), and forget those checks, so that a later
        row naming the same file checks it again."""
        created, self._created = self._created, []
        if self.store is None or not created:
            return
        removed = remove_unused(self.store, created)
        for source_name, result in list(self._results.items()):
            if isinstance(result, CheckedImage) and result.sha256 in removed:
                del self._results[source_name]

    def remember(self, image: CheckedImage) -> None:
        """Take an image the checking process verified, so the write does not read it again."""
        self._results.setdefault(image.source_name, image)

    def _check(self, source_name: str, build: bool) -> CheckedImage:
        shown = PurePosixPath(source_name).name
        sound = recordings.is_recording_name(shown)
        limit = recordings.recording_limit() if sound else self.max_bytes
        too_large_fix = recordings.TOO_LARGE_FIX if sound else _TOO_LARGE_FIX
        if self.source.size_of(source_name) > limit:
            raise ImageProblem(size_limit_message(limit, shown), too_large_fix)
        local = self.source.local_path(source_name)
        if local is not None:
            sha256, size = _hash_file(local)
            if sound:
                probed = recordings.verify(local, shown)
                return CheckedImage(shown, source_name, sha256, size, None, local, probed)
            if build:
                return self._accept(local, shown, source_name, sha256, size)
            verified = self._verify(local, shown, sha256)
            return CheckedImage(shown, source_name, sha256, size, verified, local)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self.work_dir, prefix=".unpacking-")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                sha256, size = self.source.unpack(source_name, out, limit, shown, too_large_fix)
            if build and not sound:
                return self._accept(temp, shown, source_name, sha256, size, move=True)
            verified = None if sound else self._verify(temp, shown, sha256)
            probed = recordings.verify(temp, shown) if sound else None
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if not self.keep_files:
            temp.unlink()
            return CheckedImage(shown, source_name, sha256, size, verified, None, probed)
        final = self.work_dir / sha256
        os.replace(temp, final)
        return CheckedImage(shown, source_name, sha256, size, verified, final, probed)

    def _verify(self, path: Path, shown: str, sha256: str) -> VerifiedImage:
        try:
            return verify_image(path, shown, max_pixels=self.max_pixels, sha256=sha256)
        except ImageRejected as error:
            raise ImageProblem(error.message, _REJECTED_FIX) from None

    def _accept(
        self, path: Path, shown: str, source_name: str, sha256: str, size: int, *, move=False
    ) -> CheckedImage:
        assert self.store is not None
        try:
            accepted = accept_image(self.store, path, shown, max_pixels=self.max_pixels, move=move)
        except ImageRejected as error:
            raise ImageProblem(error.message, _REJECTED_FIX) from None
        if accepted.stored.created:
            self._created.append(accepted.stored.sha256)
        return CheckedImage(
            shown, source_name, sha256, size, accepted.verified, None, stored=accepted.stored
        )

    def cleanup(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


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


def _copy_capped(
    stream: BinaryIO, out: BinaryIO, max_bytes: int, shown: str, fix: Message
) -> tuple[str, int]:
    """Unpack at most ``max_bytes`` (the archive's declared sizes are not trusted)."""
    digest = hashlib.sha256()
    size = 0
    try:
        while chunk := stream.read(min(_COPY_CHUNK, max_bytes - size + 1)):
            size += len(chunk)
            if size > max_bytes:
                raise ImageProblem(size_limit_message(max_bytes, shown), fix)
            digest.update(chunk)
            out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError):
        raise ImageProblem(_DAMAGED_ENTRY.format(name=shown), _REJECTED_FIX) from None
    return digest.hexdigest(), size


def iter_folder_files(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, without following links (for copying a folder of images)."""
    for directory, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        for file_name in sorted(files):
            full = Path(directory) / file_name
            if not full.is_symlink() and full.is_file():
                yield full


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
_AMBIGUOUS = Message("Image “{name}” matches several files: {candidates}.")
_AMBIGUOUS_FIX = Message(
    "Write the image's folder too (e.g. photos/{name}), or rename the files apart."
)
_MISSING = Message("Image “{name}” is not in {source}.")
_MISSING_RECORDING = Message("Recording “{name}” is not in {source}.")
_NO_FILES_RECORDING = Message(
    "Recording “{name}” is named, but no ZIP or folder was uploaded with the table."
)
_MISSING_FIX = Message(
    "Check the file name (case does not matter) or add the image to the ZIP or folder."
)
_MISSING_FIX_CLOSE = Message(
    "Did you mean “{candidate}”? Correct the name in the cell or rename the file."
)
_NO_IMAGES = Message("Image “{name}” is named, but no images were uploaded with the table.")
_NO_IMAGES_FIX = Message(
    "Upload the images as a ZIP (or give the folder), or clear the images cell."
)
_ENCRYPTED = Message("{name} is password-protected inside the ZIP and cannot be read.")
_ENCRYPTED_FIX = Message("Pack the images again without a password.")
_DAMAGED_ENTRY = Message("{name} is damaged inside the ZIP and cannot be unpacked.")
_TOO_LARGE_FIX = Message(
    "Reduce the image (e.g. save it as a JPEG of high quality) or ask an administrator."
)
_REJECTED_FIX = Message("Replace the file with the real image (JPEG, PNG, TIFF or WebP).")
