"""A run that stopped on an unexpected error (a lost disk, a bug): its job, or its chunk, fails
with the error instead of being left "running"; the rows written so far are kept, and a retry
continues after them."""

from __future__ import annotations

from sqlalchemy import select

from ingest.imports.chunks import settle_job
from repository.extensions import db
from repository.messages import Message
from repository.models import IngestJob, JobState
from repository.models.base import utcnow
from repository.models.jobs import ImportChunk


def mark_interrupted(public_id: str, error: BaseException) -> None:
    """A run that stopped on an unexpected error: the job fails with the error, its rows written
    so far kept, and a retry continues after them."""
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
    if job is None or job.state in JobState.final():
        return
    message = _INTERRUPTED.format(rows=job.processed_rows, error=_words(error))
    job.state = JobState.FAILED
    job.set_error(message)
    job.finished_at = utcnow()
    job.lease_holder = None
    job.lease_expires_at = None
    db.session.commit()


def mark_chunk_interrupted(public_id: str, error: BaseException) -> list[str]:
    """A chunk's run that stopped on an unexpected error: the chunk fails with the error (the
    others go on), and the job fails when its last chunk ends; a retry reruns this chunk from
    its last committed batch. Returns chunks to enqueue (see ``settle_job``)."""
    chunk = db.session.scalar(select(ImportChunk).where(ImportChunk.public_id == public_id))
    if chunk is None or chunk.state in JobState.final():
        return []
    rows = db.session.scalar(
        select(db.func.sum(ImportChunk.processed_rows)).where(ImportChunk.job_id == chunk.job_id)
    )
    message = _INTERRUPTED.format(rows=rows, error=_words(error))
    chunk.state = JobState.FAILED
    chunk.set_error(message)
    chunk.finished_at = utcnow()
    chunk.lease_holder = None
    chunk.lease_expires_at = None
    db.session.commit()
    return settle_job(chunk.job_id)


def _words(error: BaseException) -> str:
    """The error's own words, plain and short, to keep as a message parameter."""
    return str.__str__(str(error))[:300] or repr(error)[:300]


_INTERRUPTED = Message(
    "The import stopped unexpectedly after {rows} rows ({error}). Rows already imported are "
    "kept; retry it to finish (it continues after them)."
)
