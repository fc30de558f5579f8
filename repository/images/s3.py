"""The store on S3-compatible object storage (MinIO, Ceph RGW, Aliyun OSS, Tencent COS, AWS S3).

The bucket is the truth that every machine shares; the storage root becomes this machine's
working copy of it, laid out under the same keys (``originals/ab/cd/<sha256>`` …). Image code
keeps reading local paths: a path is filled from the bucket on first use. Originals are
content-addressed and never change, so a local copy of one is never stale; a derivative set,
which a task may replace, is checked against the bucket again after ``RECHECK_SECONDS``.

Every write reaches the bucket before anything may refer to it: an S3 PUT is atomic (an object
is there whole or not at all), and a failed PUT raises ``ObjectStoreError``, an ``OSError``
whose ``reason`` says what is wrong in both languages, which the callers turn into
``StorageUnavailable`` as they do for a full disk.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from repository.images.s3_client import (
    ObjectStoreError,
    S3Settings,
    TranslatedErrors,
    client_for,
)
from repository.images.storage import FileStore, StoredOriginal, validate_key, validate_sha256

__all__ = ["RECHECK_SECONDS", "ObjectStoreError", "S3Settings", "S3Store"]

log = logging.getLogger(__name__)

#: How long a local copy of a derivative set is used before the bucket is asked again.
RECHECK_SECONDS = 30
#: Files of a set (a tile set has over a hundred) PUT at once, within the client's connection pool.
UPLOADS_AT_ONCE = 8
_DERIVATIVE_MANIFEST = "manifest.json"  # as in repository.images.derivatives
_MTIME = "huiku-mtime"  # object metadata: the file's modification time when it was stored
_MARKS = ".copies"  # under the root: what each local copy of a derivative set was taken from


class S3Store(FileStore):
    """Originals, derivatives and other files in a bucket, with local copies under ``root``."""

    shared = True

    def __init__(self, root: Path, settings: S3Settings) -> None:
        super().__init__(root)
        self.settings = settings

    @property
    def client(self) -> Any:
        return client_for(self.settings, os.getpid())

    def object_name(self, key: str) -> str:
        """The object name of a key: the key under the configured prefix."""
        validate_key(key)
        return f"{self.settings.prefix}/{key}" if self.settings.prefix else key

    # Any file, by key ----------------------------------------------------------------------

    def share(self, key: str) -> None:
        self._upload(self.path(key), key)

    def put_file(self, key: str, source: Path) -> None:
        """PUT ``source`` as it is, keeping no second copy on this machine."""
        self._upload(Path(source), key)

    def fetch(self, key: str, target: Path) -> bool:
        try:
            self._download(key, target)
        except FileNotFoundError:
            return False
        return True

    def share_tree(self, prefix: str) -> None:
        folder = self.path(prefix)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            self.share(f"{prefix.rstrip('/')}/{path.relative_to(folder).as_posix()}")

    def exists(self, key: str) -> bool:
        return self._etag(key) is not None

    def local_copy(self, key: str) -> Path:
        path = self.path(key)
        if not path.is_file():
            self._download(key, path)
        return path

    def local_tree(self, prefix: str) -> Path:
        for key in self.list(prefix):
            path = self.path(key)
            if not path.is_file():
                self._download(key, path)
        return self.path(prefix)

    def list(self, prefix: str) -> list[str]:
        start = self.object_name(prefix.rstrip("/")) + "/"
        cut = len(self.object_name("x")) - 1  # the configured prefix and its slash
        keys: list[str] = []
        with self._errors(prefix):
            pages = self.client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.settings.bucket, Prefix=start):
                keys.extend(item["Key"][cut:] for item in page.get("Contents", ()))
        return sorted(keys)

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.settings.bucket, Key=self.object_name(key))
        self.path(key).unlink(missing_ok=True)

    def delete_tree(self, prefix: str) -> bool:
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self.object_name(key)} for key in keys[start : start + 1000]]
            with self._errors(prefix):
                self.client.delete_objects(
                    Bucket=self.settings.bucket, Delete={"Objects": batch, "Quiet": True}
                )
        local = super().delete_tree(prefix)
        return bool(keys) or local

    # Originals -------------------------------------------------------------------------------

    def put_original(
        self,
        source: BinaryIO | Path,
        max_bytes: int | None = None,
        *,
        filename: str | None = None,
        move: bool = False,
    ) -> StoredOriginal:
        """Hash and keep the bytes here first, then PUT them unless the bucket has them already.

        ``created`` says whether the bucket lacked them; if the PUT fails, the local copy goes
        too, so no machine takes an original for stored that the others cannot see.
        """
        local = super().put_original(source, max_bytes, filename=filename, move=move)
        key = self._original_key(local.sha256)
        try:
            created = not self.exists(key)
            if created:
                self.share(key)
        except BaseException:
            if local.created:
                local.path.unlink(missing_ok=True)
            raise
        return StoredOriginal(local.sha256, local.size, local.path, created=created)

    def original_path(self, sha256: str) -> Path:
        """The local copy of an original, fetched from the bucket if this machine has none.

        A missing object gives a path that does not exist, so readers fail as with the disk.
        """
        path = self.original_location(sha256)
        if not path.is_file():
            try:
                self._download(self._original_key(sha256), path, mode=0o444)
            except FileNotFoundError:
                pass
            except ObjectStoreError as error:
                log.warning("original %s not fetched: %s", sha256, error)
        return path

    def has_original(self, sha256: str) -> bool:
        """Whether the bucket has it; False also when the bucket cannot be asked (a reader
        then gets no image rather than an error page)."""
        try:
            return self.exists(self._original_key(sha256))
        except ObjectStoreError as error:
            log.warning("original %s not checked: %s", sha256, error)
            return False

    def open_original(self, sha256: str) -> BinaryIO:
        return self.original_path(sha256).open("rb")

    def remove_original(self, sha256: str) -> None:
        self.delete(self._original_key(sha256))

    @staticmethod
    def _original_key(sha256: str) -> str:
        validate_sha256(sha256)
        return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    # Derivatives -----------------------------------------------------------------------------

    def derivative_dir(self, sha256: str) -> Path:
        """The local copy of an image's derivative set, brought up to date from the bucket.

        A set counts only once its manifest is in the bucket (it is written last), so a copy
        taken while a task is still uploading is never used as if it were whole.
        """
        local = super().derivative_dir(sha256)
        mark = self._mark(sha256)
        try:
            if time.time() - mark.stat().st_mtime < RECHECK_SECONDS and local.is_dir():
                return local
            kept = mark.read_text() if local.is_dir() else None
        except OSError:
            kept = None
        try:
            self._refresh_set(sha256, local, kept)
        except ObjectStoreError as error:  # a copy that cannot be checked is still served
            log.warning("derivatives of %s not checked: %s", sha256, error)
        return local

    def _refresh_set(self, sha256: str, local: Path, kept: str | None) -> None:
        current = self._etag(f"{self._derivative_prefix(sha256)}/{_DERIVATIVE_MANIFEST}")
        if current is None:
            self._discard(local)
            self._mark(sha256).unlink(missing_ok=True)
            return
        if current != kept:
            self._fetch_set(sha256, local)
        self._set_mark(sha256, current)

    @contextmanager
    def writing_derivatives(self, sha256: str) -> Iterator[Path]:
        with super().writing_derivatives(sha256) as staging:
            yield staging
        manifest = f"{self._derivative_prefix(sha256)}/{_DERIVATIVE_MANIFEST}"
        self._set_mark(sha256, self._etag(manifest) or "")

    def remove_derivatives(self, sha256: str) -> None:
        self.delete_tree(self._derivative_prefix(sha256))
        self._mark(sha256).unlink(missing_ok=True)
        super().remove_derivatives(sha256)

    def _share_derivatives(self, sha256: str, staging: Path) -> None:
        self.share_set(self._derivative_prefix(sha256), staging, _DERIVATIVE_MANIFEST)
        self._mark(sha256).unlink(missing_ok=True)  # the copy here is old until replaced

    def share_set(self, prefix: str, folder: Path, manifest: str) -> None:
        """PUT the new set, several files at once and its manifest last; then drop the objects
        the old set had and this one lacks."""
        before = set(self.list(prefix))
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        last = [path for path in files if path.relative_to(folder).as_posix() == manifest]
        keys = {path: f"{prefix}/{path.relative_to(folder).as_posix()}" for path in files}
        first = [path for path in files if path not in last]
        with ThreadPoolExecutor(UPLOADS_AT_ONCE, thread_name_prefix="s3-put") as uploads:
            # copies elsewhere get each file's time: the same ETag everywhere
            list(uploads.map(lambda path: self._upload(path, keys[path]), first))
        for path in last:
            self._upload(path, keys[path])
        for key in sorted(before - set(keys.values())):
            self.delete(key)

    def _fetch_set(self, sha256: str, local: Path) -> None:
        prefix = self._derivative_prefix(sha256)
        local.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{sha256}.", suffix=".fetch", dir=local.parent))
        try:
            staging.chmod(0o755)
            for key in self.list(prefix):
                self._download(key, staging / key[len(prefix) + 1 :])
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._publish(staging, local)

    def _mark(self, sha256: str) -> Path:
        """Which manifest object this machine's copy of a set came from (its ETag), and when
        that was last checked (the file's time); kept outside the store's own layout."""
        return self.root / _MARKS / self._derivative_prefix(sha256)

    def _set_mark(self, sha256: str, etag: str) -> None:
        mark = self._mark(sha256)
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text(etag)

    @staticmethod
    def _derivative_prefix(sha256: str) -> str:
        validate_sha256(sha256)
        return f"derivatives/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _discard(self, local: Path) -> None:
        aside = self._aside(local)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    # The bucket ------------------------------------------------------------------------------

    def _etag(self, key: str) -> str | None:
        """The object's ETag, or None when there is no such object."""
        try:
            with self._errors(key):
                head = self.client.head_object(
                    Bucket=self.settings.bucket, Key=self.object_name(key)
                )
        except FileNotFoundError:
            return None
        return str(head.get("ETag", ""))

    def _upload(self, source: Path, key: str) -> None:
        """PUT a file, noting its modification time, which a fetched copy then gets too."""
        with self._errors(key), source.open("rb") as stream:
            extra = {"Metadata": {_MTIME: repr(os.fstat(stream.fileno()).st_mtime)}}
            self.client.upload_fileobj(
                stream, self.settings.bucket, self.object_name(key), ExtraArgs=extra
            )

    def _download(self, key: str, target: Path, mode: int = 0o644) -> None:
        """Fetch an object to ``target`` through a temporary name: whole or not at all."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".fetch-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, self._errors(key):
                got = self.client.get_object(Bucket=self.settings.bucket, Key=self.object_name(key))
                with got["Body"] as body:
                    shutil.copyfileobj(body, out, 1024 * 1024)
            os.chmod(temp_name, mode)
            mtime = _float(got.get("Metadata", {}).get(_MTIME))
            if mtime is not None:
                os.utime(temp_name, (mtime, mtime))
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _errors(self, key: str) -> TranslatedErrors:
        return TranslatedErrors(self.settings, key)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
