"""Import jobs once started: finding the ones a user may see, cancelling and retrying them,
what a job is doing (for its page and the API), and deleting the files of old ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ingest.imports.chunks import (
    phase_state,
    queued_chunk_ids,
    rerun_chunks,
    settle_job,
    stop_chunks,
    with_chunk_progress,
)
from ingest.imports.files import JobFiles
from ingest.imports.tasks import queue_chunks, queue_import
from repository.errors import Conflict, NotFound
from repository.extensions import db
from repository.i18n import localize
from repository.messages import Message
from repository.models import Collection, IngestJob, JobState, Library, User
from repository.models.base import utcnow

# Seeing, cancelling and retrying jobs ------------------------------------------------------------


def find_job(public_id: str) -> IngestJob | None:
    """The job, its progress and counts summed over its chunks while it runs in chunks."""
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
    return with_chunk_progress(job) if job is not None else None


def visible_job(public_id: str, user: User) -> IngestJob:
    """A job of the user's own library (any job, for an admin); otherwise 404."""
    job = find_job(public_id)
    if job is None or not (user.is_admin or job.library_id == user.library_id):
        raise NotFound(Message("no import {id}").format(id=public_id))
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
    return [with_chunk_progress(job) for job in db.session.scalars(query)]


def can_cancel(job: IngestJob) -> bool:
    return job.state not in JobState.final() and not job.cancel_requested


def can_retry(job: IngestJob) -> bool:
    return job.state in (JobState.FAILED, JobState.CANCELLED)


def cancel_import(job: IngestJob) -> IngestJob:
    """Stop a job: a queued one at once; a running one after its current batch, keeping the
    batches written before (its task sees the request between batches). A job in chunks: the
    chunks not started are cancelled, the running ones stop after their batch in hand, and
    the last to stop ends the job (at once, when none was running)."""
    queued = _guarded_update(
        job,
        [JobState.QUEUED],
        state=JobState.CANCELLED,
        cancel_requested=True,
        finished_at=utcnow(),
    )
    if not queued and not _guarded_update(job, JobState.under_way(), cancel_requested=True):
        raise Conflict(_CANNOT_CANCEL.format(state=job.state.value))
    if not queued and job.chunk_count:
        stop_chunks(job.id)
        queue_chunks(settle_job(job.id))
        db.session.refresh(job)
    return with_chunk_progress(job)


def retry_import(job: IngestJob) -> IngestJob:
    """Queue a failed or cancelled job again; it continues after its last written batch (or,
    when its file was found wrong, checks it from the first row again). A job in chunks reruns
    its failed and cancelled chunks only, each from its last written batch."""
    if job.chunk_count and job.state in (JobState.FAILED, JobState.CANCELLED):
        again = _guarded_update(
            job,
            [JobState.FAILED, JobState.CANCELLED],
            state=phase_state(job),
            cancel_requested=False,
            error="",
            error_json=None,
            finished_at=None,
        )
        if not again:
            raise Conflict(_CANNOT_RETRY.format(state=job.state.value))
        rerun = rerun_chunks(job)
        db.session.commit()
        # With none to rerun (it was cancelled as its last chunk ended), it just ends now.
        queue_chunks(queued_chunk_ids(job) if rerun else settle_job(job.id))
        db.session.refresh(job)
        return with_chunk_progress(job)
    again = _guarded_update(
        job,
        [JobState.FAILED, JobState.CANCELLED],
        state=JobState.QUEUED,
        cancel_requested=False,
        error="",
        error_json=None,
        finished_at=None,
        attempts=0,
        lease_holder=None,
        lease_expires_at=None,
    )
    if not again:
        raise Conflict(_CANNOT_RETRY.format(state=job.state.value))
    queue_import(job)
    return job


def _guarded_update(job: IngestJob, states, **values: Any) -> bool:
    """Change the job only if it is still in one of ``states`` (a worker may be changing it)."""
    result = db.session.execute(
        update(IngestJob)
        .where(IngestJob.id == job.id, IngestJob.state.in_(list(states)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(job)
    return result.rowcount == 1


def prune_import_files(keep_days: int | None = None) -> int:
    """Delete the folders of jobs that finished more than ``keep_days`` ago; returns how many.

    A finished job keeps its uploads only so that a dry run can be imported without uploading
    again, or a stopped import retried; its report lives in the database. Jobs that have not
    finished are never touched.
    """
    if keep_days is None:
        keep_days = int(current_app.config["IMPORT_KEEP_DAYS"])
    cutoff = utcnow() - timedelta(days=keep_days)
    finished = db.session.execute(
        select(IngestJob.public_id, IngestJob.files).where(
            IngestJob.state.in_(JobState.final()), IngestJob.finished_at < cutoff
        )
    ).all()
    return sum(JobFiles(public_id, files).prune() for public_id, files in finished)


# What a job is doing ------------------------------------------------------------------------------


def job_collection(job: IngestJob) -> Collection:
    return db.session.get(Collection, job.collection_id)


def job_library(job: IngestJob) -> Library:
    return db.session.get(Library, job.library_id)


def job_user(job: IngestJob) -> User | None:
    return db.session.get(User, job.user_id) if job.user_id is not None else None


def job_document(job: IngestJob) -> dict[str, Any]:
    """What a job is doing, for the page's progress bar and for API clients."""
    total, processed = job.total_rows or 0, job.processed_rows or 0
    finished = job.state in JobState.final()
    done = job.state is JobState.SUCCEEDED
    percent = 100 if done else (min(99, processed * 100 // total) if total else 0)
    return {
        "id": job.public_id,
        "state": job.state.value,
        "finished": finished,
        "dry_run": job.dry_run,
        "collection": job_collection(job).slug,
        "library": job_library(job).code,
        "options": {k: v for k, v in (job.options or {}).items()},
        "total_rows": total,
        "processed_rows": processed,
        "percent": percent,
        "counts": {key: int(value) for key, value in (job.counts or {}).items()},
        "error": localize(job.error_message),
        "attempts": job.attempts or 0,
        "cancel_requested": bool(job.cancel_requested),
        "created": job.created_at.isoformat(),
        "started": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


_CANNOT_CANCEL = Message("This import has already ended ({state}); there is nothing to cancel.")
_CANNOT_RETRY = Message("Only a failed or cancelled import can be retried; this one is {state}.")
