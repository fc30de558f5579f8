"""The files of an import job, in one place: the uploaded table and images, the unpacked
images. Everything else asks this module for paths (the report is in the database).

``<STORAGE_ROOT>/imports/<job id>/`` holds ``table.csv`` or ``table.xlsx``, ``images.zip`` or
``images/`` (a folder, hard-linked where possible) and ``unpacked/`` (verified images from the
ZIP, named by their digest).

With object storage (``S3_BUCKET``) the worker may run on another machine than the web server
that received the upload, so the uploads go to the bucket under ``imports/<job id>/`` before the
job exists, and that folder becomes each machine's working copy: the table and images are
fetched into it on first use. The unpacked images are the running worker's own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app

from ingest.imports.image_source import (
    FolderImages,
    ImageChecker,
    ImageSource,
    NoImages,
    iter_folder_files,
)
from ingest.imports.limits import Limits
from ingest.imports.zip_images import ZipImages
from repository.images import file_store
from repository.images.storage import FileStore
from repository.images.storage_errors import RECEIVING, StorageUnavailable

UNPACKED = "unpacked"


def job_folder(public_id: str) -> Path:
    """Where a job keeps its files on this machine: ``<STORAGE_ROOT>/imports/<job id>/``."""
    return Path(current_app.config["STORAGE_ROOT"]) / "imports" / public_id


def _key(folder: Path, name: str | None = None) -> str:
    """The store key of a job's folder, or of a file in it."""
    return f"imports/{folder.name}" + (f"/{name}" if name else "")


class JobFiles:
    """The files of one job, described by its ``files`` column."""

    def __init__(self, public_id: str, files: dict[str, Any] | None) -> None:
        self.folder = job_folder(public_id)
        self.info = files or {}
        self.store: FileStore = file_store()

    @property
    def table(self) -> Path:
        """The uploaded table on this machine (fetched when another one received it); a path
        that does not exist when the upload is gone."""
        return self._local(self.info["table"]["stored"], folder=False)

    @property
    def images(self) -> Path | None:
        images = self.info.get("images")
        if not images:
            return None
        return self._local(images["stored"], folder=images["kind"] != "zip")

    def missing(self) -> str | None:
        """The name (as the user knows it) of an uploaded file that is no longer there."""
        if not self._kept(self.info["table"]["stored"], folder=False):
            return self.info["table"]["name"]
        images = self.info.get("images")
        if images and not self._kept(images["stored"], folder=images["kind"] != "zip"):
            return images["name"]
        return None

    def kept(self) -> bool:
        """Whether the uploads are all still there (to import a dry run's files again)."""
        return bool(self.info.get("table")) and self.missing() is None

    def image_checker(self, bounds: Limits, *, keep_files: bool) -> ImageChecker:
        """The images of the job; ImportRejected when the ZIP is (no longer) safe."""
        info = self.info.get("images")
        source: ImageSource
        if info is None:
            source = NoImages()
        elif info["kind"] == "zip":
            source = ZipImages(self._local(info["stored"]), info["name"], bounds.images_zip)
        else:
            source = FolderImages(self._local(info["stored"], folder=True), info["name"])
        return ImageChecker(
            source,
            self.folder / UNPACKED,
            max_bytes=bounds.max_bytes,
            max_pixels=bounds.max_pixels,
            keep_files=keep_files,
            store=file_store() if keep_files else None,
        )

    def clean_up(self, *, keep_images: bool) -> None:
        """Drop the working files when a job ends; a dry run keeps the uploaded images for the
        import that follows, an import has them in the store by then."""
        shutil.rmtree(self.folder / UNPACKED, ignore_errors=True)
        images = self.info.get("images")
        if images is not None and not keep_images:
            self._delete(images["stored"], folder=images["kind"] != "zip")
            _remove(self.folder / images["stored"])

    def prune(self) -> bool:
        """Delete the whole folder (the report stays in the database); whether there was one."""
        shared = self.store.shared and self.store.delete_tree(_key(self.folder))
        if not self.folder.is_dir():
            return shared
        shutil.rmtree(self.folder, ignore_errors=True)
        return True

    def _local(self, name: str, *, folder: bool = False) -> Path:
        """A file, or a folder, of the job on this machine, fetched from a shared store.

        A file arrives whole or not at all; a folder is completed on every call (only its
        missing files are fetched), as a fetch cut short may have left part of it.
        """
        path = self.folder / name
        if not self.store.shared:
            return path
        try:
            if folder:
                self.store.local_tree(_key(self.folder, name))
            elif not path.exists():
                self.store.local_copy(_key(self.folder, name))
        except FileNotFoundError:
            pass  # gone: the caller finds no file, as on a local disk
        return path

    def _kept(self, name: str, *, folder: bool) -> bool:
        if not self.store.shared:
            return (self.folder / name).exists()
        key = _key(self.folder, name)
        return bool(self.store.list(key)) if folder else self.store.exists(key)

    def _delete(self, name: str, *, folder: bool) -> None:
        if not self.store.shared:
            return
        if folder:
            self.store.delete_tree(_key(self.folder, name))
        else:
            self.store.delete(_key(self.folder, name))


def bring_in(
    folder: Path,
    table: Path,
    table_format: str,
    images: Path | None,
    images_kind: str | None,
    *,
    how: str,
) -> str:
    """Put the uploads into a new job's folder; returns the table's stored name.

    ``how``: ``copy``, ``move`` or ``link`` (hard links where the file system allows). A
    folder of images is always linked file by file: no copy of gigabytes of photographs.
    With object storage the folder is then copied to the bucket, whole or not at all: if that
    fails, what reached the bucket is removed again and StorageUnavailable says why.
    """
    bring: Callable[[Path, Path], None] = {"copy": _copy, "move": _move, "link": _link}[how]
    folder.mkdir(parents=True)
    stored = f"table.{table_format}"
    bring(table, folder / stored)
    if images is not None:
        if images_kind == "zip":
            bring(images, folder / "images.zip")
        else:
            for path in iter_folder_files(images):
                target = folder / "images" / path.relative_to(images)
                target.parent.mkdir(parents=True, exist_ok=True)
                _link(path, target)
    _share(folder)
    return stored


def _share(folder: Path) -> None:
    store = file_store()
    if not store.shared:
        return
    try:
        store.share_tree(_key(folder))
    except OSError as error:
        current_app.logger.error("import files could not be stored: %s", error)
        try:
            store.delete_tree(_key(folder))
        except OSError:
            current_app.logger.warning("could not remove the partly stored %s", _key(folder))
        raise StorageUnavailable(RECEIVING, error) from error


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def _move(source: Path, target: Path) -> None:
    shutil.move(source, target)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
