"""The images of a batch: a ZIP archive (``zip_images``) or a folder, looked up by the names in
the ``images`` cells, and checked once each (``ImageChecker``).

Names are matched without regard to case, Unicode form or the folder inside the archive
(``IMG_01.JPG`` finds ``photos/img_01.jpg``) as long as only one file fits.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ingest.imports import recordings
from repository.images.accepting import accept_image, remove_unused
from repository.images.storage import FileStore, StoredOriginal
from repository.images.storage_errors import size_limit_message
from repository.images.verify import ImageRejected, VerifiedImage, verify_image
from repository.media.probe import ProbedMedia
from repository.messages import Message

_JUNK_PREFIXES = ("__macosx/",)
_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
COPY_CHUNK = 1024 * 1024


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
    stored: StoredOriginal | None = None  # already in the store (an import's check)
    built: bool = False  # and its derivatives and tiles with it


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
            raise ImageProblem(error.message, REJECTED_FIX) from None

    def _accept(
        self,
        path: Path,
        shown: str,
        source_name: str,
        sha256: str,
        size: int,
        *,
        move: bool = False,
    ) -> CheckedImage:
        assert self.store is not None
        try:
            accepted = accept_image(self.store, path, shown, max_pixels=self.max_pixels, move=move)
        except ImageRejected as error:
            raise ImageProblem(error.message, REJECTED_FIX) from None
        if accepted.stored.created:
            self._created.append(accepted.stored.sha256)
        return CheckedImage(
            shown,
            source_name,
            sha256,
            size,
            accepted.verified,
            None,
            stored=accepted.stored,
            built=accepted.built,
        )

    def cleanup(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_capped(
    stream: BinaryIO, out: BinaryIO, max_bytes: int, shown: str, fix: Message
) -> tuple[str, int]:
    """Unpack at most ``max_bytes`` (the archive's declared sizes are not trusted)."""
    digest = hashlib.sha256()
    size = 0
    try:
        while chunk := stream.read(min(COPY_CHUNK, max_bytes - size + 1)):
            size += len(chunk)
            if size > max_bytes:
                raise ImageProblem(size_limit_message(max_bytes, shown), fix)
            digest.update(chunk)
            out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError):
        raise ImageProblem(DAMAGED_ENTRY.format(name=shown), REJECTED_FIX) from None
    return digest.hexdigest(), size


def iter_folder_files(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, without following links (for copying a folder of images)."""
    for directory, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        for file_name in sorted(files):
            full = Path(directory) / file_name
            if not full.is_symlink() and full.is_file():
                yield full


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
DAMAGED_ENTRY = Message("{name} is damaged inside the ZIP and cannot be unpacked.")
_TOO_LARGE_FIX = Message(
    "Reduce the image (e.g. save it as a JPEG of high quality) or ask an administrator."
)
REJECTED_FIX = Message("Replace the file with the real image (JPEG, PNG, TIFF or WebP).")
