"""The files of an import job, in one place: the uploaded table and images, the report, the
unpacked images. Everything else asks this module for paths, so moving job files to object
storage later changes this module only.

``<STORAGE_ROOT>/imports/<job id>/`` holds ``table.csv`` or ``table.xlsx``, ``images.zip`` or
``images/`` (a folder, hard-linked where possible), ``report.jsonl`` (the report while the job
runs) and ``unpacked/`` (verified images from the ZIP, named by their digest).
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
    ZipImages,
    iter_folder_files,
)
from ingest.imports.limits import Limits

REPORT = "report.jsonl"
UNPACKED = "unpacked"


def job_folder(public_id: str) -> Path:
    """Where a job keeps its files: ``<STORAGE_ROOT>/imports/<job id>/``."""
    return Path(current_app.config["STORAGE_ROOT"]) / "imports" / public_id


class JobFiles:
    """The files of one job, described by its ``files`` column."""

    def __init__(self, public_id: str, files: dict[str, Any] | None) -> None:
        self.folder = job_folder(public_id)
        self.info = files or {}

    @property
    def table(self) -> Path:
        return self.folder / self.info["table"]["stored"]

    @property
    def images(self) -> Path | None:
        images = self.info.get("images")
        return self.folder / images["stored"] if images else None

    @property
    def report(self) -> Path:
        return self.folder / REPORT

    def missing(self) -> str | None:
        """The name (as the user knows it) of an uploaded file that is no longer there."""
        if not self.table.is_file():
            return self.info["table"]["name"]
        images = self.images
        if images is not None and not images.exists():
            return self.info["images"]["name"]
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
            source = ZipImages(self.folder / info["stored"], info["name"], bounds.images_zip)
        else:
            source = FolderImages(self.folder / info["stored"], info["name"])
        return ImageChecker(
            source,
            self.folder / UNPACKED,
            max_bytes=bounds.max_bytes,
            max_pixels=bounds.max_pixels,
            keep_files=keep_files,
        )

    def clean_up(self, *, keep_images: bool) -> None:
        """Drop the working files when a job ends; a dry run keeps the uploaded images for the
        import that follows, an import has them in the store by then."""
        shutil.rmtree(self.folder / UNPACKED, ignore_errors=True)
        images = self.images
        if images is not None and not keep_images:
            _remove(images)

    def prune(self) -> bool:
        """Delete the whole folder (the report stays in the job row); whether there was one."""
        if not self.folder.is_dir():
            return False
        shutil.rmtree(self.folder, ignore_errors=True)
        return True


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
    return stored


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
