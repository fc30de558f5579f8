"""Content-addressed storage: originals are kept once, named by the SHA-256 of their bytes.

Addressing by content means an upload can never overwrite another file, duplicates cost nothing,
and the digest doubles as a fixity value for preservation checks.

Layout under the root (the same keys name the objects of an S3 store, ``repository.images.s3``)::

    originals/ab/cd/<sha256>            the uploaded bytes, read-only, never modified
    derivatives/ab/cd/<sha256>/         thumbnails, pyramid levels, manifest.json
    imports/<job id>/                   an import job's uploaded table and images

Besides originals and derivative sets, any file can be kept under a key (``put_file``,
``local_copy``, ``delete_tree`` …): with this store the key is a path under the root, with the
S3 store an object shared by every machine, of which the root holds local copies.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from repository.images.storage_errors import FileTooLarge, size_limit_message
from repository.images.write_through import release

CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def validate_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise ValueError.

    Every path is built from a digest, so this is what keeps ``..``, slashes and the like from
    ever naming a file outside the store.
    """
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        shown = repr(sha256)
        raise ValueError(f"not a SHA-256 hex digest: {shown[:80]}")
    return sha256


@dataclass(frozen=True)
class StoredOriginal:
    sha256: str
    size: int
    path: Path
    # False when the same bytes were already stored; not part of what makes two equal.
    created: bool = field(default=False, compare=False)


@runtime_checkable
class OriginalStore(Protocol):
    """What ingest needs from a store, so an S3-compatible backend can stand in for the disk."""

    def put_original(
        self,
        source: BinaryIO | Path,
        max_bytes: int | None = None,
        *,
        filename: str | None = None,
        move: bool = False,
    ) -> StoredOriginal: ...

    def has_original(self, sha256: str) -> bool: ...

    def open_original(self, sha256: str) -> BinaryIO: ...


class FileStore:
    """The local-disk store; also hands out paths, which the image server reads directly."""

    #: Whether other machines see what is written here without the disk being shared.
    shared = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # Any file, by key ----------------------------------------------------------------------

    def path(self, key: str) -> Path:
        """Where the file of ``key`` is (or would be) on this machine."""
        return self.root / validate_key(key)

    def put_file(self, key: str, source: Path) -> None:
        """Keep a copy of ``source`` under ``key``, whole or not at all; a file already at the
        key's own path is only shared."""
        target = self.path(key)
        if Path(source).resolve() != target.resolve():
            _copy_atomically(Path(source), target)
        self.share(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        self.share(key)

    def share(self, key: str) -> None:
        """Make the file at ``path(key)`` visible to every machine (here: it already is)."""
        self.path(key)

    def share_tree(self, prefix: str) -> None:
        """Make every file under the folder ``path(prefix)`` visible to every machine."""
        self.path(prefix)

    def share_set(self, prefix: str, folder: Path, manifest: str) -> None:
        """Make a complete set of files (``folder``, whose ``manifest`` file describes it) the
        one every machine finds under ``prefix``, replacing any set there; the manifest goes
        last, so a set is never taken for whole before it is (disk: the caller's rename)."""
        self.path(prefix)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def fetch(self, key: str, target: Path) -> bool:
        """Copy the file of ``key`` to ``target`` (any path), with its modification time;
        False when there is none."""
        try:
            _copy_atomically(self.path(key), Path(target))
        except FileNotFoundError:
            return False
        return True

    def local_copy(self, key: str) -> Path:
        """A readable file on this machine with the bytes of ``key``; FileNotFoundError if none."""
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "not in the store", key)
        return path

    def local_tree(self, prefix: str) -> Path:
        """A folder on this machine with every file under ``prefix`` (may not exist: none)."""
        return self.path(prefix)

    def open(self, key: str) -> BinaryIO:
        return self.local_copy(key).open("rb")

    def list(self, prefix: str) -> list[str]:
        """The keys under the folder ``prefix``, sorted."""
        folder = self.path(prefix)
        return sorted(
            f"{prefix.rstrip('/')}/{p.relative_to(folder).as_posix()}"
            for p in folder.rglob("*")
            if p.is_file()
        )

    def delete(self, key: str) -> None:
        """Remove the file of ``key``; a missing one is fine."""
        self.path(key).unlink(missing_ok=True)

    def delete_tree(self, prefix: str) -> bool:
        """Remove everything under the folder ``prefix``; whether there was anything."""
        folder = self.path(prefix)
        if not folder.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True

    # Originals -------------------------------------------------------------------------------

    def put_original(
        self,
        source: BinaryIO | Path,
        max_bytes: int | None = None,
        *,
        filename: str | None = None,
        move: bool = False,
    ) -> StoredOriginal:
        """Store bytes from a stream or file and return their digest; storing twice is a no-op.

        The bytes go to a temporary file on the same file system first and are renamed into place
        only once complete and flushed, so a crash never leaves a partial original behind. Past
        ``max_bytes`` reading stops and FileTooLarge is raised (``filename`` names the upload in
        its message). With ``move``, a file the caller no longer needs (an upload's working copy)
        is renamed into place instead of copied when it is on the same file system; it is gone
        afterwards either way.
        """
        if move and isinstance(source, os.PathLike):
            moved = self._move_original(Path(source), max_bytes, filename)
            if moved is not None:
                return moved
            try:
                return self._copy_original(source, max_bytes, filename)
            finally:
                Path(source).unlink(missing_ok=True)
        return self._copy_original(source, max_bytes, filename)

    def _copy_original(
        self, source: BinaryIO | Path, max_bytes: int | None, filename: str | None
    ) -> StoredOriginal:
        incoming = self.root / "originals"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=incoming)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, os.PathLike):
                    with open(source, "rb") as stream:
                        sha256, size = _copy_hashing(stream, out, max_bytes, filename)
                else:
                    sha256, size = _copy_hashing(source, out, max_bytes, filename)
                out.flush()
                os.fsync(out.fileno())
            final = self.original_location(sha256)
            created = not final.exists()
            if created:
                final.parent.mkdir(parents=True, exist_ok=True)
                temp.chmod(0o444)
                os.replace(temp, final)
                _fsync_directory(final.parent)
            else:
                temp.unlink()
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredOriginal(sha256=sha256, size=size, path=final, created=created)

    def _move_original(
        self, source: Path, max_bytes: int | None, filename: str | None
    ) -> StoredOriginal | None:
        """``put_original`` by renaming ``source``; None when it is on another file system."""
        with source.open("rb") as stream:
            sha256, size = _copy_hashing(stream, None, max_bytes, filename)
            os.fsync(stream.fileno())
        final = self.original_location(sha256)
        if final.exists():
            source.unlink()
            return StoredOriginal(sha256=sha256, size=size, path=final, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        source.chmod(0o444)
        try:
            os.replace(source, final)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            return None
        _fsync_directory(final.parent)
        return StoredOriginal(sha256=sha256, size=size, path=final, created=True)

    def original_path(self, sha256: str) -> Path:
        """The original as a file to read (an object store fetches its copy first)."""
        return self.original_location(sha256)

    def original_location(self, sha256: str) -> Path:
        """Where the original's file is or would be on this machine; never fetches, for
        describing an image without reading it."""
        validate_sha256(sha256)
        return self.root / "originals" / sha256[:2] / sha256[2:4] / sha256

    def has_original(self, sha256: str) -> bool:
        return self.original_location(sha256).is_file()

    def open_original(self, sha256: str) -> BinaryIO:
        return self.original_path(sha256).open("rb")

    def release_original(self, sha256: str) -> None:
        """Drop the original's pages from the page cache once its files are built: readers
        are served those, rarely the original (``write_through``). It was flushed when stored."""
        release(self.original_location(sha256))

    def remove_original(self, sha256: str) -> None:
        """Delete an original that nothing refers to (a save that failed after storing it)."""
        self.original_location(sha256).unlink(missing_ok=True)

    # Derivatives -----------------------------------------------------------------------------

    def derivative_dir(self, sha256: str) -> Path:
        """Where the derivatives of one original live (the directory may not exist yet)."""
        return self._derivative_folder(sha256)

    def _derivative_folder(self, sha256: str) -> Path:
        validate_sha256(sha256)
        return self.root / "derivatives" / sha256[:2] / sha256[2:4] / sha256

    @contextmanager
    def writing_derivatives(self, sha256: str) -> Iterator[Path]:
        """Yield an empty staging directory; on success it replaces the derivative directory.

        Readers see the old complete set, for an instant none, or the new one, never a half-written
        mix; if the block raises, the staging directory is discarded and the old set stays.
        """
        final = self._derivative_folder(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{sha256}.", suffix=".staging", dir=final.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; a web server may need to read it
        try:
            yield staging
            self._share_derivatives(sha256, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._publish(staging, final)

    def _share_derivatives(self, sha256: str, staging: Path) -> None:
        """Hand a complete new set to other machines before it is used here (disk: nothing)."""

    def remove_derivatives(self, sha256: str) -> None:
        """Delete an original's derivatives (e.g. to rebuild them); missing ones are fine."""
        target = self._derivative_folder(sha256)
        trash = self._aside(target)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)

    def _publish(self, staging: Path, final: Path) -> None:
        previous = self._aside(final)
        try:
            os.replace(staging, final)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not final.is_dir():  # not merely a concurrent build of the same set winning
                if previous is not None:
                    os.replace(previous, final)
                raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        _fsync_directory(final.parent)

    @staticmethod
    def _aside(directory: Path) -> Path | None:
        """Rename a directory out of the way in one step, so it vanishes atomically."""
        aside = directory.with_name(f".{directory.name}.{secrets.token_hex(4)}.old")
        try:
            os.replace(directory, aside)
        except (FileNotFoundError, NotADirectoryError):  # not there, or no folder to be in
            return None
        return aside


def validate_key(key: str) -> str:
    """Return ``key`` if it is a relative ``a/b/c`` name that stays inside the store."""
    parts = key.split("/") if isinstance(key, str) else [""]
    if "" in parts or "." in parts or ".." in parts or "\\" in key:
        raise ValueError(f"not a storage key: {key!r}"[:120])
    return key


def _copy_atomically(source: Path, target: Path) -> None:
    """A complete copy at ``target`` or none: written aside, then renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as stream:
            shutil.copyfileobj(stream, out, CHUNK_SIZE)
        shutil.copystat(source, temp_name)  # the same modification time as its source
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _copy_hashing(
    source: BinaryIO, out: BinaryIO | None, max_bytes: int | None, filename: str | None
) -> tuple[str, int]:
    """The digest and size of ``source``, copied to ``out`` unless that is None."""
    digest = hashlib.sha256()
    size = 0
    while True:
        # Never ask for more than one byte past the limit: that byte is enough to know.
        want = CHUNK_SIZE if max_bytes is None else min(CHUNK_SIZE, max_bytes - size + 1)
        chunk = source.read(want)
        if not chunk:
            return digest.hexdigest(), size
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileTooLarge(size_limit_message(max_bytes, filename), max_bytes)
        digest.update(chunk)
        if out is not None:
            out.write(chunk)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable; best effort, as not every platform can sync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
