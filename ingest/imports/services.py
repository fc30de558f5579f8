"""Starting import jobs: from files, from uploads, or from the files a dry run checked. Seeing,
cancelling, retrying and describing them, and pruning old ones' files, is ``jobs``; the work
itself is ``run`` (in a task).

``start_import`` checks the options, the permissions and the files, keeps the files in the
job's folder and commits a queued job; the caller then enqueues it (``queue_import``), after
the commit, so a worker never looks for a job that is not there yet.
"""

from __future__ import annotations

import codecs
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from ingest.imports.files import JobFiles, bring_in, job_folder
from ingest.imports.image_source import iter_folder_files
from ingest.imports.limits import Limits, limits
from ingest.imports.problems import (
    CANNOT_CONTRIBUTE,
    CANNOT_PUBLISH,
    ImportRejected,
    TableUnreadable,
)
from ingest.imports.reader import XLSX, sniff_format
from ingest.imports.tasks import queue_import
from ingest.imports.zip_images import inspect_zip
from repository import permissions
from repository.errors import HuikuError, PermissionDenied
from repository.extensions import db
from repository.images import file_store
from repository.images.storage_errors import format_size, size_limit_message
from repository.messages import Message
from repository.models import Collection, IngestJob, JobState, User
from repository.models.base import new_public_id
from repository.transactions import unit_of_work

ON_ERROR = ("skip", "abort")
#: Choices of the CSV encoding, as offered on the form and the API → what the engine takes.
ENCODINGS: dict[str, str | None] = {"auto": None, "utf-8": "utf-8", "gb18030": "gb18030"}
_COPY_CHUNK = 1024 * 1024


# Starting a job -----------------------------------------------------------------------------------


def start_import(
    user: User,
    collection: Collection,
    table: Path,
    images: Path | None,
    *,
    dry_run: bool,
    publish: bool = False,
    on_error: str = "skip",
    encoding: str | None = None,
    table_name: str | None = None,
    images_name: str | None = None,
    move_files: bool = False,
) -> IngestJob:
    """Check the options and files, keep the files in the job's folder, commit a queued job.

    ``table_name``/``images_name`` are the names the user knows the files by (default: the
    paths' names). With ``move_files`` the files are moved rather than copied. Raises
    ImportRejected or PermissionDenied, with bilingual messages, and then queues nothing.
    """
    _check_options(user, collection, on_error=on_error, publish=publish)
    encoding = _checked_encoding(encoding)
    bounds = limits()
    table = Path(table)
    table_name = table_name or table.name
    table_format = _checked_table(table, table_name, bounds)
    images_info = _checked_images(Path(images), images_name, bounds) if images else None
    options = {"on_error": on_error, "publish": publish, "encoding": encoding}
    table_info = {"name": table_name, "format": table_format}
    how = "move" if move_files else "copy"
    return _new_job(user, collection, dry_run, options, table, table_info, images, images_info, how)


def start_import_again(
    user: User,
    earlier: IngestJob,
    *,
    dry_run: bool = False,
    publish: bool = False,
    on_error: str = "skip",
) -> IngestJob:
    """A new job on the files an earlier job kept: typically "import what the dry run checked".

    Only the earlier job's library may do this (the rows become that library's records).
    """
    if user.library_id != earlier.library_id:
        raise PermissionDenied(_OTHER_LIBRARY_JOB)
    files = JobFiles(earlier.public_id, earlier.files)
    if not files.kept():
        raise ImportRejected(_FILES_GONE.format(id=earlier.public_id))
    collection = db.session.get(Collection, earlier.collection_id)
    _check_options(user, collection, on_error=on_error, publish=publish)
    options = {**earlier.options, "on_error": on_error, "publish": publish}
    table_info = {key: earlier.files["table"][key] for key in ("name", "format")}
    images_info = earlier.files.get("images")
    return _new_job(
        user,
        collection,
        dry_run,
        options,
        files.table,
        table_info,
        files.images,
        images_info,
        "link",
    )


def _new_job(
    user: User,
    collection: Collection,
    dry_run: bool,
    options: dict[str, Any],
    table: Path,
    table_info: dict[str, Any],
    images: Path | None,
    images_info: dict[str, Any] | None,
    how: str,
) -> IngestJob:
    public_id = new_public_id()
    folder = job_folder(public_id)
    try:
        kind = images_info["kind"] if images_info else None
        stored = bring_in(folder, table, table_info["format"], images, kind, how=how)
        table_info = {**table_info, "stored": stored, "bytes": (folder / stored).stat().st_size}
        with unit_of_work():
            job = IngestJob(
                public_id=public_id,
                collection_id=collection.id,
                library_id=user.library_id,
                user_id=user.id,
                state=JobState.QUEUED,
                dry_run=dry_run,
                options=options,
                files={"table": table_info, "images": images_info},
                counts={},
            )
            db.session.add(job)
    except BaseException:
        with contextlib.suppress(Exception):  # the store may be what failed
            JobFiles(public_id, None).prune()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


def _check_options(user: User, collection: Collection, *, on_error: str, publish: bool) -> None:
    if on_error not in ON_ERROR:
        raise ImportRejected(_BAD_ON_ERROR.format(value=on_error))
    if not permissions.can_contribute(user, collection):
        raise PermissionDenied(CANNOT_CONTRIBUTE.format(slug=collection.slug))
    if publish and not permissions.can_review(user, collection):
        raise PermissionDenied(CANNOT_PUBLISH.format(slug=collection.slug))


def _checked_encoding(encoding: str | None) -> str | None:
    if encoding in (None, "", "auto"):
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ImportRejected(_BAD_ENCODING.format(value=encoding)) from None


def _checked_table(table: Path, label: str, bounds: Limits) -> str:
    if not table.is_file():
        raise ImportRejected(_NO_FILE.format(name=label))
    size = table.stat().st_size
    if size > bounds.max_bytes:
        raise ImportRejected(size_limit_message(bounds.max_bytes, label))
    if size == 0:
        raise ImportRejected(_EMPTY_FILE.format(name=label))
    try:
        table_format = sniff_format(table)
    except TableUnreadable as error:
        raise ImportRejected(error.problems[0].message) from None
    if table_format == XLSX:
        inspect_zip(table, bounds.workbook_zip, label=label)
    return table_format


def _checked_images(images: Path, label: str | None, bounds: Limits) -> dict[str, Any]:
    label = label or images.name
    if images.is_dir():
        count = sum(1 for _ in iter_folder_files(images))
        if count > bounds.images_zip.max_entries:
            raise ImportRejected(
                _FOLDER_TOO_BIG.format(name=label, count=count, limit=bounds.images_zip.max_entries)
            )
        return {"name": label, "kind": "folder", "stored": "images", "entries": count}
    if not images.is_file():
        raise ImportRejected(_NO_FILE.format(name=label))
    entries = inspect_zip(images, bounds.images_zip, label=label)
    return {"name": label, "kind": "zip", "stored": "images.zip", "entries": len(entries)}


# Uploads from the web page and the API ------------------------------------------------------------


class UploadRefused(HuikuError):
    """An uploaded file was refused before any job existed (too large, empty)."""

    status = 422

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field


def request_too_large_message(limit: int) -> Message:
    return Message(
        "The upload is larger than the limit of {limit} per request; send fewer or smaller files."
    ).format(limit=format_size(limit))


def start_uploaded_import(
    user: User,
    collection: Collection,
    table: FileStorage,
    images: FileStorage | None,
    *,
    dry_run: bool,
    publish: bool,
    on_error: str,
    encoding: str | None,
) -> IngestJob:
    """Queue an import of uploaded files; returns the job at once (a worker runs it)."""
    with _staged(table, images) as (table_path, images_path):
        job = start_import(
            user,
            collection,
            table_path,
            images_path,
            dry_run=dry_run,
            publish=publish,
            on_error=on_error,
            encoding=encoding,
            table_name=table.filename,
            images_name=images.filename if images_path else None,
            move_files=True,
        )
    queue_import(job)
    return job


@contextmanager
def _staged(table: FileStorage, images: FileStorage | None) -> Iterator[tuple[Path, Path | None]]:
    """The uploads as files, each held to ``MAX_UPLOAD_BYTES``, removed after the block."""
    staging_root = file_store().root / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="batch-", dir=staging_root))
    try:
        table_path = _copy_upload(table, staging / f"table{_suffix(table)}", "table")
        images_path = None
        if images is not None and images.filename:
            images_path = _copy_upload(images, staging / "images.zip", "images")
        yield table_path, images_path
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _suffix(upload: FileStorage) -> str:
    suffix = Path(secure_filename(upload.filename or "")).suffix.lower()
    return suffix if suffix in (".csv", ".xlsx", ".txt", ".tsv") else ".csv"


def _copy_upload(upload: FileStorage, target: Path, field: str) -> Path:
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    copied = 0
    with target.open("wb") as out:
        while chunk := upload.stream.read(_COPY_CHUNK):
            copied += len(chunk)
            if copied > limit:
                raise UploadRefused(size_limit_message(limit, upload.filename), field)
            out.write(chunk)
    return target


def can_import_checked_files(user: User, job: IngestJob) -> bool:
    """A finished dry run whose files are still kept can become an import of the same files,
    by a person of the library whose records they would be."""
    return (
        job.dry_run
        and job.state is JobState.SUCCEEDED
        and user.library_id == job.library_id
        and JobFiles(job.public_id, job.files).kept()
    )


def import_checked_files(user: User, job: IngestJob, *, publish: bool) -> IngestJob:
    """Import the files a dry run checked, with its options; the dry run itself stays as it was."""
    if not can_import_checked_files(user, job):
        raise UploadRefused(_DRY_RUN_FILES_GONE, "table")
    options = job.options or {}
    new_job = start_import_again(
        user, job, publish=publish, on_error=options.get("on_error", "skip")
    )
    queue_import(new_job)
    return new_job


_BAD_ON_ERROR = Message("on_error must be skip or abort, not {value!r}.")
_BAD_ENCODING = Message(
    "{value!r} is not a known text encoding; use utf-8 or gb18030, or leave it to detection."
)
_OTHER_LIBRARY_JOB = Message("Only the library that uploaded these files can import them.")
_FILES_GONE = Message("The files of import {id} are no longer kept; upload them again.")
_DRY_RUN_FILES_GONE = Message("The files of this dry run are no longer kept; upload them again.")
_NO_FILE = Message("{name} does not exist or is not a file.")
_EMPTY_FILE = Message("{name} is empty (0 bytes).")
_FOLDER_TOO_BIG = Message(
    "The folder {name} holds {count} files; at most {limit} are accepted in one batch."
)
