"""Import jobs: queue the files, check every row, write the valid ones in batches.

Rows are checked by worker processes (``ingest.batch.checking``) a few batches ahead of the
job, which writes them; how the two meet depends on what may be written when:

- **An import with ``on_error="skip"``** (the default) streams (state ``running``). While the
  workers check the first batches, the job reads the table through for its shape alone, so a
  file that cannot be read to its end (an unclosed quote, another encoding, too many rows) is
  refused before anything is written, and rows that share a ``local_id`` are known before the
  first of them would be written; every local id is looked up at once. Then each batch is
  written as soon as it comes back checked.
- **A dry run, and ``on_error="abort"``,** check every row first (state ``validating``): valid
  rows are spooled to ``rows.jsonl``, problems go to the report. A dry run stops there, and so
  does ``abort`` when any row failed, with nothing written; otherwise the spool is written.

Written batches have up to ``BATCH_ROWS`` rows (fewer when they carry many images). Each is one
transaction holding its records, revisions, images and the job's progress, so after a crash the
job row says exactly which rows are in; a resumed job continues after them, and the rows
themselves are idempotent by ``local_id`` anyway. A batch that fails is rolled back and redone
row by row, each row in its own transaction, so one bad row never takes others with it.
Derivatives (and IIIF tiles) are built after each batch commits.

A file lock in the job's folder keeps two processes from running one job at once; a job whose
lock is free but whose state is not final was interrupted and can be resumed.
"""

from __future__ import annotations

import codecs
import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ingest.batch.image_source import inspect_zip, iter_folder_files
from ingest.batch.limits import Limits, job_folder, limits
from ingest.batch.problems import CANNOT_CONTRIBUTE, CANNOT_PUBLISH, ImportRejected, TableUnreadable
from ingest.batch.reader import XLSX, sniff_format
from ingest.batch.run import FINAL_STATES, JobRun, Progress
from repository import permissions
from repository.errors import PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, IngestJob, JobState, User
from repository.models.base import new_public_id, utcnow
from repository.storage import size_limit_message
from repository.transactions import unit_of_work

log = logging.getLogger(__name__)

ON_ERROR_CHOICES = ("skip", "abort")


# Starting a job ----------------------------------------------------------------------------------


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
    """Check the options and files, keep the files in the job's folder, and queue the job.

    ``table_name``/``images_name`` are the names the user knows the files by (the upload
    names; default: the paths' names). With ``move_files`` the files are moved rather than
    copied (a folder of images is hard-linked where possible either way). Raises
    ImportRejected or PermissionDenied, with bilingual messages, and then queues nothing.
    """
    if on_error not in ON_ERROR_CHOICES:
        raise ImportRejected(_BAD_ON_ERROR.format(value=on_error))
    encoding = _checked_encoding(encoding)
    if not permissions.can_contribute(user, collection):
        raise PermissionDenied(CANNOT_CONTRIBUTE.format(slug=collection.slug))
    if publish and not permissions.can_review(user, collection):
        raise PermissionDenied(CANNOT_PUBLISH.format(slug=collection.slug))
    bounds = limits()
    table = Path(table)
    table_label = table_name or table.name
    table_format = _checked_table(table, table_label, bounds)
    images_info = _checked_images(Path(images), images_name, bounds) if images else None
    bring = _move if move_files else _copy
    options = {"on_error": on_error, "publish": publish, "encoding": encoding}
    return _queue(
        user,
        collection,
        dry_run,
        options,
        (table, table_label, table_format),
        images,
        images_info,
        bring,
    )


def start_import_again(
    user: User,
    earlier: IngestJob,
    *,
    dry_run: bool = False,
    publish: bool = False,
    on_error: str = "skip",
) -> IngestJob:
    """A new job on the files an earlier job kept: typically "import what the dry run checked".

    Only the earlier job's library may do this (the rows become that library's records). A dry
    run keeps its files; an import does not keep its images (ImportRejected then).
    """
    if user.library_id != earlier.library_id:
        raise PermissionDenied(_OTHER_LIBRARY_JOB)
    folder = job_folder(earlier.public_id)
    table_info = earlier.files["table"]
    images_info = (earlier.files or {}).get("images")
    table = folder / table_info["stored"]
    images = folder / images_info["stored"] if images_info else None
    if not table.is_file() or (images is not None and not images.exists()):
        raise ImportRejected(_FILES_GONE.format(id=earlier.public_id))
    collection = db.session.get(Collection, earlier.collection_id)
    # The same checks as a new upload, then hard links instead of copies.
    if on_error not in ON_ERROR_CHOICES:
        raise ImportRejected(_BAD_ON_ERROR.format(value=on_error))
    if not permissions.can_contribute(user, collection):
        raise PermissionDenied(CANNOT_CONTRIBUTE.format(slug=collection.slug))
    if publish and not permissions.can_review(user, collection):
        raise PermissionDenied(CANNOT_PUBLISH.format(slug=collection.slug))
    options = {**earlier.options, "on_error": on_error, "publish": publish}
    table_file = (table, table_info["name"], table_info["format"])
    return _queue(user, collection, dry_run, options, table_file, images, images_info, _link)


def _queue(
    user: User,
    collection: Collection,
    dry_run: bool,
    options: dict[str, Any],
    table_file: tuple[Path, str, str],
    images: Path | None,
    images_info: dict[str, Any] | None,
    bring: Callable[[Path, Path], None],
) -> IngestJob:
    """Put the files into a new job's folder and commit the queued job."""
    table, table_label, table_format = table_file
    public_id = new_public_id()
    folder = job_folder(public_id)
    folder.mkdir(parents=True)
    try:
        stored_table = f"table.{table_format}"
        bring(table, folder / stored_table)
        if images_info is not None:
            assert images is not None
            if images_info["kind"] == "zip":
                bring(images, folder / "images.zip")
            else:
                _link_folder(images, folder / "images")
        with unit_of_work():
            job = IngestJob(
                public_id=public_id,
                collection_id=collection.id,
                library_id=user.library_id,
                user_id=user.id,
                state=JobState.QUEUED,
                dry_run=dry_run,
                options=options,
                files={
                    "table": {
                        "name": table_label,
                        "stored": stored_table,
                        "format": table_format,
                        "bytes": (folder / stored_table).stat().st_size,
                    },
                    "images": images_info,
                },
                counts={},
                report=[],
            )
            db.session.add(job)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


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


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def _move(source: Path, target: Path) -> None:
    shutil.move(source, target)


def _link(source: Path, target: Path) -> None:
    """A hard link where the file system allows (the job files are never changed in place)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _link_folder(source: Path, target_root: Path) -> None:
    """A folder of images, file by file: no copy of gigabytes of photographs on one disk."""
    for path in iter_folder_files(source):
        target = target_root / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        _link(path, target)


def run_import(job: IngestJob, progress: Progress | None = None) -> IngestJob:
    """Run the job to its end in this thread, or resume it after a crash; safe to call again.

    Returns at once when another process is running the job or it has finished. Exceptions
    other than the expected ones (a crash, in effect) leave the job resumable as it was.
    """
    with _job_lock(job.public_id) as acquired:
        if not acquired:
            return job
        db.session.refresh(job)
        if job.state in FINAL_STATES and not (job.files or {}).get("resumable"):
            return job
        JobRun(job, progress).run()
    return job


def run_import_in_background(app: Flask, job_public_id: str) -> threading.Thread:
    """Run the job in a daemon thread with its own app context; the job row shows progress.

    An unexpected error marks the job failed (with the rows written so far kept) rather than
    leaving a page waiting forever; ``run_import`` can still resume it.
    """

    def work() -> None:
        with app.app_context():
            try:
                job = find_job(job_public_id)
                if job is not None:
                    run_import(job)
            except Exception as error:
                log.exception("import %s stopped", job_public_id)
                db.session.rollback()
                _mark_interrupted(job_public_id, error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"huiku-import-{job_public_id}", daemon=True)
    thread.start()
    return thread


def resume_unfinished_imports(app: Flask, *, background: bool = True) -> int:
    """Run again every job left queued or half-done by a crash or restart; returns how many.

    Jobs that another process is running (their lock is held) are left alone.
    """
    with app.app_context():
        states = (JobState.QUEUED, JobState.VALIDATING, JobState.RUNNING)
        candidates = db.session.scalars(
            select(IngestJob.public_id).where(IngestJob.state.in_(states)).order_by(IngestJob.id)
        ).all()
        orphaned = [public_id for public_id in candidates if not _lock_held(public_id)]
    for public_id in orphaned:
        if background:
            run_import_in_background(app, public_id)
        else:
            with app.app_context():
                job = find_job(public_id)
                if job is not None:
                    run_import(job)
    return len(orphaned)


def prune_import_files(keep_days: int | None = None) -> int:
    """Delete the folders of jobs that finished more than ``keep_days`` ago; returns how many.

    A finished job keeps its uploads only so that a dry run can be imported without uploading
    again, or a stopped import started again; its report lives in the job row. Jobs that are
    queued or running, and any whose lock is held, are left alone.
    """
    if keep_days is None:
        keep_days = int(current_app.config["IMPORT_KEEP_DAYS"])
    cutoff = utcnow() - timedelta(days=keep_days)
    finished = db.session.scalars(
        select(IngestJob.public_id).where(
            IngestJob.state.in_(FINAL_STATES), IngestJob.finished_at < cutoff
        )
    ).all()
    pruned = 0
    for public_id in finished:
        folder = job_folder(public_id)
        if not folder.is_dir():
            continue
        with _job_lock(public_id) as acquired:
            if not acquired:
                continue
            for entry in folder.iterdir():
                if entry.name == ".lock":
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        (folder / ".lock").unlink(missing_ok=True)
        with suppress(OSError):
            folder.rmdir()
        pruned += 1
    if pruned:
        log.info("deleted the files of %d finished import jobs", pruned)
    return pruned


def prune_import_files_periodically(app: Flask, interval: float = 3600.0) -> None:
    """Prune finished jobs' files every ``interval`` seconds, for ever (a server thread)."""
    while True:
        try:
            with app.app_context():
                prune_import_files()
        except Exception:  # a full disk or a lost database must not end the thread
            log.exception("pruning the files of finished imports failed")
        finally:
            with suppress(Exception), app.app_context():
                db.session.remove()
        time.sleep(interval)


def find_job(public_id: str) -> IngestJob | None:
    return db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))


def _mark_interrupted(public_id: str, error: Exception) -> None:
    with suppress(SQLAlchemyError):
        job = find_job(public_id)
        if job is None or job.state in FINAL_STATES:
            return
        message = _INTERRUPTED.format(rows=job.processed_rows, error=str(error)[:300])
        job.state = JobState.FAILED
        job.error = f"{message} / {message.zh}"
        job.finished_at = utcnow()
        job.files = {**(job.files or {}), "resumable": True}
        db.session.commit()


@contextmanager
def _job_lock(public_id: str) -> Iterator[bool]:
    """An exclusive, non-blocking lock on the job across threads and processes."""
    folder = job_folder(public_id)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _lock_held(public_id: str) -> bool:
    with _job_lock(public_id) as acquired:
        return not acquired


_INTERRUPTED = Message(
    "The import stopped unexpectedly after {rows} rows ({error}). Rows already imported are "
    "kept; start it again to finish (importing again is safe).",
    "导入在处理 {rows} 行后意外中止（{error}）。已导入的行均已保存；"
    "请重新开始以完成导入（重复导入是安全的）。",
)
_BAD_ON_ERROR = Message(
    "on_error must be skip or abort, not {value!r}.",
    "出错处理方式应为 skip（跳过）或 abort（全部放弃），而不是「{value}」。",
)
_BAD_ENCODING = Message(
    "{value!r} is not a known text encoding; use utf-8 or gb18030, or leave it to detection.",
    "「{value}」不是可识别的文字编码；请使用 utf-8 或 gb18030，或由系统自动识别。",
)
_OTHER_LIBRARY_JOB = Message(
    "Only the library that uploaded these files can import them.",
    "只有上传这些文件的成员馆可以导入它们。",
)
_FILES_GONE = Message(
    "The files of import {id} are no longer kept; upload them again.",
    "导入 {id} 的文件已不再保留，请重新上传。",
)
_NO_FILE = Message("{name} does not exist or is not a file.", "{name} 不存在或不是文件。")
_EMPTY_FILE = Message("{name} is empty (0 bytes).", "{name} 是空文件（0 字节）。")
_FOLDER_TOO_BIG = Message(
    "The folder {name} holds {count} files; at most {limit} are accepted in one batch.",
    "文件夹 {name} 中有 {count} 个文件，每批最多接受 {limit} 个。",
)
