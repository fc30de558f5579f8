"""Batch-import jobs as the web pages and the JSON API see them: who may see which job, staging
the uploaded files for the engine, starting a job, and the job's status document.

The import itself is ``ingest.batch``; this module only adapts HTTP uploads and readers to it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

import ingest.batch as engine
from ingest.uploads import file_store
from repository.errors import HuikuError, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, IngestJob, JobState, Library, User
from repository.storage import format_size, size_limit_message

FINISHED_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})
#: Choices of the CSV encoding, as offered on the form and the API → what the engine takes.
ENCODINGS: dict[str, str | None] = {"auto": None, "utf-8": "utf-8", "gb18030": "gb18030"}
ON_ERROR = ("skip", "abort")
_COPY_CHUNK = 1024 * 1024


class UploadRefused(HuikuError):
    """An uploaded file was refused before any job existed (too large, empty)."""

    status = 422

    def __init__(self, message: Message, field: str) -> None:
        super().__init__(message)
        self.field = field


def request_too_large_message(limit: int) -> Message:
    return Message(
        "The upload is larger than the limit of {limit} per request; send fewer or smaller files.",
        "上传内容超过了每次请求 {limit} 的限制，请减少或缩小文件。",
    ).format(limit=format_size(limit))


def visible_job(public_id: str, user: User) -> IngestJob:
    """A job of the user's own library (any job, for an admin); otherwise 404."""
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
    if job is None or not (user.is_admin or job.library_id == user.library_id):
        raise NotFound(Message("no import {id}", "没有编号为 {id} 的导入").format(id=public_id))
    return job


def recent_jobs(
    user: User, collection: Collection | None = None, limit: int = 50
) -> list[IngestJob]:
    """The newest jobs the user may see: their library's (everyone's, for an admin)."""
    query = select(IngestJob)
    if not user.is_admin:
        query = query.where(IngestJob.library_id == user.library_id)
    if collection is not None:
        query = query.where(IngestJob.collection_id == collection.id)
    query = query.order_by(IngestJob.created_at.desc(), IngestJob.id.desc()).limit(limit)
    return list(db.session.scalars(query))


@contextmanager
def staged_uploads(
    table: FileStorage, images: FileStorage | None
) -> Iterator[tuple[Path, Path | None]]:
    """The uploads copied to files the engine can read, each held to ``MAX_UPLOAD_BYTES``.

    The copies are named by the importer (keeping only a safe suffix) and removed after the
    block; the engine keeps what it needs in the job's own folder.
    """
    staging_root = file_store().root / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="batch-", dir=staging_root))
    try:
        table_path = _copy_upload(table, staging / f"table{_suffix(table, '.csv')}", "table")
        images_path = None
        if images is not None and images.filename:
            images_path = _copy_upload(images, staging / "images.zip", "images")
        yield table_path, images_path
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _suffix(upload: FileStorage, default: str) -> str:
    suffix = Path(secure_filename(upload.filename or "")).suffix.lower()
    return suffix if suffix in (".csv", ".xlsx", ".txt", ".tsv") else default


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


def start_job(
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
    """Queue an import of the uploaded files and set it running; returns the job at once."""
    with staged_uploads(table, images) as (table_path, images_path):
        job = engine.start_import(
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
    run_job(job)
    return job


def can_import_checked_files(user: User, job: IngestJob) -> bool:
    """A finished dry run whose files are still kept can become an import of the same files,
    by a person of the library whose records they would be."""
    return (
        job.dry_run
        and job.state is JobState.SUCCEEDED
        and user.library_id == job.library_id
        and _kept_files(job) is not None
    )


def import_checked_files(user: User, job: IngestJob, *, publish: bool) -> IngestJob:
    """Import the files a dry run checked, with its options; the dry run itself stays as it was."""
    kept = _kept_files(job)
    if kept is None or not can_import_checked_files(user, job):
        raise UploadRefused(
            Message(
                "The files of this dry run are no longer kept; upload them again.",
                "此次试运行的文件已不再保留，请重新上传。",
            ),
            "table",
        )
    table_path, images_path = kept
    files = job.files or {}
    options = job.options or {}
    new_job = engine.start_import(
        user,
        job_collection(job),
        table_path,
        images_path,
        dry_run=False,
        publish=publish,
        on_error=options.get("on_error", "skip"),
        encoding=options.get("encoding"),
        table_name=files["table"]["name"],
        images_name=(files.get("images") or {}).get("name"),
    )
    run_job(new_job)
    return new_job


def _kept_files(job: IngestJob) -> tuple[Path, Path | None] | None:
    files = job.files or {}
    folder = engine.job_folder(job.public_id)
    table = folder / files.get("table", {}).get("stored", "")
    if not files.get("table") or not table.is_file():
        return None
    images_info = files.get("images")
    if not images_info:
        return table, None
    images = folder / images_info["stored"]
    return (table, images) if images.exists() else None


def run_job(job: IngestJob) -> None:
    """In the background; inline (the request waits) when ``IMPORT_RUN_INLINE`` is set."""
    app = current_app._get_current_object()
    if app.config.get("IMPORT_RUN_INLINE"):
        engine.run_import(job)
    else:
        engine.run_import_in_background(app, job.public_id)


def job_collection(job: IngestJob) -> Collection:
    return db.session.get(Collection, job.collection_id)


def job_library(job: IngestJob) -> Library:
    return db.session.get(Library, job.library_id)


def job_user(job: IngestJob) -> User | None:
    return db.session.get(User, job.user_id) if job.user_id is not None else None


def job_document(job: IngestJob) -> dict[str, Any]:
    """What a job is doing, for the page's progress bar and for API clients."""
    total, processed = job.total_rows or 0, job.processed_rows or 0
    finished = job.state in FINISHED_STATES
    percent = 100 if finished else (min(99, processed * 100 // total) if total else 0)
    return {
        "id": job.public_id,
        "state": job.state.value,
        "finished": finished,
        "dry_run": job.dry_run,
        "collection": job_collection(job).slug,
        "library": job_library(job).code,
        "options": dict(job.options or {}),
        "total_rows": total,
        "processed_rows": processed,
        "percent": percent,
        "counts": {key: int(value) for key, value in (job.counts or {}).items()},
        "error": job.error or "",
        "created": job.created_at.isoformat(),
        "started": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def report_download(job: IngestJob, kind: str) -> bytes:
    return engine.report_as_csv(job) if kind == "csv" else engine.report_as_xlsx(job)
