"""Export jobs: start one for a large export (or join the same one already under way), run it
into a file kept in the file store, find it, and delete the files of old ones.

A small export is streamed straight to the reader (``views``); one of more than
``EXPORT_STREAM_MAX`` records runs as a task, because a reader's connection should not be held
for minutes, and the file then waits for them behind a download link. The file is kept in the
file store by key (``exports/<job id>/<file name>``), on the disk or in the S3 bucket, so any
server can hand it out; the job keeps its SHA-256 and size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from interop.exports.formats import FORMATS, ExportedRecord
from interop.exports.selections import Arguments, resolve
from repository.errors import NotFound
from repository.extensions import db
from repository.images import file_store
from repository.messages import Message
from repository.models import ExportJob, JobState, User
from repository.models.base import utcnow
from repository.tasks import Lease, LeaseLost, claim

log = logging.getLogger(__name__)
PROGRESS_EVERY = 1000  # records between progress updates (and lease renewals)
EXPORTS_PREFIX = "exports"  # the folder of export files in the file store


class ExportCancelled(Exception):
    pass


def export_key(source: str, arguments: Arguments, fmt: str, base_url: str) -> str:
    """The same selection in the same format at the same address: the same key."""
    canonical = json.dumps([source, arguments, fmt, base_url], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def filename(name: str, fmt: str) -> str:
    stamp = utcnow().strftime("%Y%m%d")
    return f"huiku-{name}-{stamp}.{FORMATS[fmt].extension}"


def start_export(
    user: User | None,
    source: str,
    arguments: Arguments,
    fmt: str,
    *,
    base_url: str,
    total: int,
    name: str,
) -> tuple[ExportJob, bool]:
    """A committed job for this export, and whether it is new (then the caller enqueues it).

    The same export asked for again while one is queued or running, or finished less than
    ``EXPORT_REUSE_SECONDS`` ago, is that job: a reader pressing the button twice, or many
    readers wanting the same collection, cost one run.
    """
    key = export_key(source, arguments, fmt, base_url)
    recent = utcnow() - timedelta(seconds=current_app.config["EXPORT_REUSE_SECONDS"])
    existing = db.session.scalar(
        select(ExportJob)
        .where(
            ExportJob.key == key,
            ExportJob.created_at >= recent,
            ExportJob.state.in_([JobState.QUEUED, *JobState.under_way(), JobState.SUCCEEDED]),
        )
        .order_by(ExportJob.created_at.desc())
        .limit(1)
    )
    if existing is not None:
        return existing, False
    job = ExportJob(
        key=key,
        user_id=user.id if user is not None else None,
        source=source,
        arguments=dict(arguments),
        format=fmt,
        base_url=base_url,
        total_records=total,
        filename=filename(name, fmt),
    )
    db.session.add(job)
    db.session.commit()
    return job, True


def find_export(public_id: str) -> ExportJob:
    job = db.session.scalar(select(ExportJob).where(ExportJob.public_id == public_id))
    if job is None:
        raise NotFound(Message("no export {id}").format(id=public_id))
    return job


def run_export(job: ExportJob) -> ExportJob:
    """Claim the job and write its file here; a job not queued is returned as it is.

    Record links need the public address, which a worker has no request to learn from: the
    job keeps the one it was asked at, and the run takes place in a request context for it.
    """
    if not claim(ExportJob, job.public_id):
        db.session.refresh(job)
        return job
    db.session.refresh(job)
    lease = Lease(job)
    try:
        with current_app.test_request_context("/", base_url=job.base_url):
            _write(job, lease)
    except ExportCancelled:
        _finish(job, JobState.CANCELLED)
    except LeaseLost:  # another run has the job now; it writes the file
        db.session.rollback()
    except Exception as error:
        log.exception("export %s stopped", job.public_id)
        db.session.rollback()
        job = find_export(job.public_id)
        job.error = f"{type(error).__name__}: {str(error)[:300]}"
        _finish(job, JobState.FAILED)
    return job


def _write(job: ExportJob, lease: Lease) -> None:
    selected = resolve(job.source, job.arguments)
    job.total_records = selected.total
    db.session.commit()
    records = _counted(selected.records(), job, lease)
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryDirectory(prefix="huiku-export-") as folder:
        path = Path(folder) / job.filename
        with path.open("wb") as out:
            for chunk in FORMATS[job.format].write(records, selected.columns):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        file_store().put_file(file_key(job), path)
    job.file_sha256 = digest.hexdigest()
    job.file_size = size
    _finish(job, JobState.SUCCEEDED)


def file_key(job: ExportJob) -> str:
    """Where the store keeps a job's file: ``exports/<job id>/<file name>``."""
    return f"{EXPORTS_PREFIX}/{job.public_id}/{job.filename}"


def _counted(records: Iterator[ExportedRecord], job: ExportJob, lease: Lease):
    """The records, keeping the job's progress and lease up to date as they pass."""
    written = 0
    for record in records:
        yield record
        written += 1
        if written % PROGRESS_EVERY == 0:
            if lease.cancel_requested():
                raise ExportCancelled()
            job.written_records = written
            lease.renew()
            db.session.commit()
    job.written_records = written


def _finish(job: ExportJob, state: JobState) -> None:
    job.state = state
    job.finished_at = utcnow()
    job.lease_holder = None
    job.lease_expires_at = None
    db.session.commit()


def prune_exports() -> int:
    """Delete the files of exports finished more than ``EXPORT_KEEP_HOURS`` ago (a job without
    its file keeps its row, whose page then says the file is gone)."""
    cutoff = utcnow() - timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    old = db.session.scalars(
        select(ExportJob).where(ExportJob.finished_at < cutoff, ExportJob.file_sha256.is_not(None))
    ).all()
    store = file_store()
    for job in old:
        store.delete_tree(f"{EXPORTS_PREFIX}/{job.public_id}")
        job.file_sha256 = None
    db.session.commit()
    return len(old)
