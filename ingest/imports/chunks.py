"""A large import's rows in chunks that several workers run at once.

After the job's own run has read the file through once (the row count, the local ids used
twice), a file of more than ``IMPORT_CHUNK_ROWS`` rows or ``IMPORT_CHUNK_IMAGES`` images is
split into ranges of at most that many, each an ``ImportChunk`` row enqueued as a task of its
own. A chunk is claimed and leased like a
job (``repository.tasks.claim`` and ``Lease``), renews its lease with every batch it commits and
keeps its place (``cursor_row``) and counts in its own row, so recovery takes up a chunk whose
worker died as it takes up jobs, and the next run of it continues after its last batch.

The job row gives up its own lease once split; its progress and counts are the sums of its
chunks'. Whichever chunk ends last *settles* the job: under a lock on the job row (and a
guarded UPDATE of its state) the job ends exactly once, however many chunks end at the same
moment. The recovery pass settles jobs whose last chunk ended without doing so (its worker
died in between, or recovery gave the chunk up).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ingest.imports.files import JobFiles
from ingest.imports.report import clear_entries
from repository.extensions import db
from repository.messages import Message
from repository.models import IngestJob, JobState
from repository.models.base import utcnow
from repository.models.jobs import ImportChunk
from repository.services import notifications

DEFAULT_CHUNK_ROWS = 10_000
DEFAULT_CHUNK_IMAGES = 25
CHECK, WRITE = "check", "write"


def chunk_rows() -> int:
    """Rows per chunk (``IMPORT_CHUNK_ROWS``); a file with no more rows is not split."""
    return max(1, int(current_app.config.get("IMPORT_CHUNK_ROWS", DEFAULT_CHUNK_ROWS)))


def chunk_images() -> int:
    """Images per chunk (``IMPORT_CHUNK_IMAGES``): an image costs as much work as thousands of
    rows of text, so a file of photographs is shared out by its images."""
    return max(1, int(current_app.config.get("IMPORT_CHUNK_IMAGES", DEFAULT_CHUNK_IMAGES)))


def zero_counts() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}


def add_counts(total: dict[str, int], more: dict[str, int] | None) -> dict[str, int]:
    for key, value in (more or {}).items():
        total[key] = total.get(key, 0) + int(value)
    return total


def job_phase(job: IngestJob) -> str:
    """Whether the job's rows are being checked (a dry run, an ``abort`` import's first pass)
    or written."""
    cursor = (job.files or {}).get("cursor") or {}
    if "phase" in cursor:
        return cursor["phase"]
    checks_first = job.dry_run or (job.options or {}).get("on_error") == "abort"
    return CHECK if checks_first else WRITE


def phase_state(job: IngestJob) -> JobState:
    return JobState.RUNNING if job_phase(job) == WRITE else JobState.VALIDATING


# Splitting ----------------------------------------------------------------------------------------


def split_job(job: IngestJob, ranges: list[tuple[int, int, int]]) -> list[ImportChunk]:
    """Give the job's rows to chunks (``ranges``: first row, last row, rows), in the caller's
    transaction; the job gives up its own lease."""
    chunks = [
        ImportChunk(
            job_id=job.id,
            number=number,
            first_row=first,
            last_row=last,
            rows=rows,
            state=JobState.QUEUED,
            cursor_row=0,
            processed_rows=0,
            counts=zero_counts(),
            error="",
            attempts=0,
            cancel_requested=False,
        )
        for number, (first, last, rows) in enumerate(ranges, start=1)
    ]
    db.session.add_all(chunks)
    job.chunk_count = len(chunks)
    job.processed_rows = 0
    job.counts = zero_counts()
    job.lease_holder = None
    job.lease_expires_at = None
    return chunks


def chunks_of(job: IngestJob) -> list[ImportChunk]:
    return list(
        db.session.scalars(
            select(ImportChunk).where(ImportChunk.job_id == job.id).order_by(ImportChunk.number)
        )
    )


def queued_chunk_ids(job: IngestJob) -> list[str]:
    return list(
        db.session.scalars(
            select(ImportChunk.public_id)
            .where(ImportChunk.job_id == job.id, ImportChunk.state == JobState.QUEUED)
            .order_by(ImportChunk.number)
        )
    )


def with_chunk_progress(job: IngestJob) -> IngestJob:
    """Show a split job's progress and counts as the sums of its chunks' (read, not stored:
    the job row is written only when it ends, so its chunks never wait for each other)."""
    if not job.chunk_count or job.state in JobState.final():
        return job
    rows = db.session.execute(
        select(ImportChunk.processed_rows, ImportChunk.counts).where(ImportChunk.job_id == job.id)
    ).all()
    counts = zero_counts()
    for _processed, chunk_counts in rows:
        add_counts(counts, chunk_counts)
    set_committed_value(job, "processed_rows", sum(processed for processed, _ in rows))
    set_committed_value(job, "counts", counts)
    return job


# Stopping and retrying ---------------------------------------------------------------------------


def stop_chunks(job_id: int) -> None:
    """Chunks not started are cancelled; running ones stop after the batch in hand."""
    now = utcnow()
    db.session.execute(
        update(ImportChunk)
        .where(ImportChunk.job_id == job_id, ImportChunk.state == JobState.QUEUED)
        .values(state=JobState.CANCELLED, cancel_requested=True, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(ImportChunk)
        .where(ImportChunk.job_id == job_id, ImportChunk.state.in_(JobState.under_way()))
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )


def rerun_chunks(job: IngestJob) -> int:
    """Queue the job's failed and cancelled chunks again (a retry); returns how many."""
    result = db.session.execute(
        update(ImportChunk)
        .where(
            ImportChunk.job_id == job.id,
            ImportChunk.state.in_((JobState.FAILED, JobState.CANCELLED)),
        )
        .values(
            state=JobState.QUEUED,
            cancel_requested=False,
            attempts=0,
            error="",
            error_json=None,
            finished_at=None,
            lease_holder=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def forget_chunks(job: IngestJob) -> None:
    """The job goes back to one run of its own (a retry after its chunks had all ended)."""
    db.session.execute(delete(ImportChunk).where(ImportChunk.job_id == job.id))
    job.chunk_count = 0
    job.files = {k: v for k, v in (job.files or {}).items() if k not in ("cursor", "repeated")}


# Settling the job ---------------------------------------------------------------------------------


def settle_job(job_id: int) -> list[str]:
    """End the job if its last chunk has ended, exactly once; returns chunks to enqueue (an
    ``abort`` import whose check found nothing wrong goes on to write, in the same chunks).

    The job row is locked (PostgreSQL) and its state changed by a guarded UPDATE, so of two
    chunks ending at once only one settles it; the other finds it ended or its sibling running.
    """
    db.session.commit()
    statement = (
        select(IngestJob).where(IngestJob.id == job_id).execution_options(populate_existing=True)
    )
    if db.engine.dialect.name == "postgresql":
        # NO KEY: the chunks' batches may go on adding report lines (which reference the job).
        statement = statement.with_for_update(key_share=True)  # FOR NO KEY UPDATE
    job = db.session.scalar(statement)
    if job is None or job.state not in JobState.under_way() or not job.chunk_count:
        db.session.commit()
        return []
    chunks = chunks_of(job)
    if any(chunk.state not in JobState.final() for chunk in chunks):
        db.session.commit()
        return []
    counts = zero_counts()
    for chunk in chunks:
        add_counts(counts, chunk.counts)
    failed = [chunk for chunk in chunks if chunk.state is JobState.FAILED]
    cancelled = any(chunk.state is JobState.CANCELLED for chunk in chunks)
    aborting = job_phase(job) == CHECK and not job.dry_run
    if not failed and not cancelled and aborting and not counts["failed"]:
        return _start_writing(job, chunks)
    if failed:
        state, error = JobState.FAILED, failed[0].error_message
    elif cancelled:
        state, error = JobState.CANCELLED, None
    elif aborting:
        state, error = JobState.FAILED, ABORTED.format(failed=counts["failed"])
    else:
        state, error = JobState.SUCCEEDED, None
    if not _ended(job, state):
        db.session.rollback()
        return []
    notifications.tell_owner_of_finished_job(job)
    job.set_error(error)
    job.counts = counts
    job.processed_rows = sum(chunk.processed_rows for chunk in chunks)
    if state is JobState.SUCCEEDED:
        job.processed_rows = job.total_rows
        job.files = {k: v for k, v in job.files.items() if k not in ("cursor", "repeated")}
    elif aborting and not failed and not cancelled:
        # Rows with problems were found: nothing was written, and the report lists them.
        job.counts = {**zero_counts(), "failed": counts["failed"]}
        clear_entries(job, keep_failed=True)
        forget_chunks(job)
    db.session.commit()
    # A dry run keeps the images for the import that follows; a stopped job for its retry.
    keep_images = job.dry_run or state is JobState.CANCELLED or bool(failed)
    JobFiles(job.public_id, job.files).clean_up(keep_images=keep_images)
    return []


def _ended(job: IngestJob, state: JobState) -> bool:
    """The guarded UPDATE that makes this the one call that ends the job."""
    result = db.session.execute(
        update(IngestJob)
        .where(IngestJob.id == job.id, IngestJob.state.in_(JobState.under_way()))
        .values(state=state, finished_at=utcnow(), lease_holder=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(job, "state", state)
    return True


def _start_writing(job: IngestJob, chunks: list[ImportChunk]) -> list[str]:
    """An ``abort`` import whose rows all passed: its chunks write them now, from the first."""
    result = db.session.execute(
        update(IngestJob)
        .where(IngestJob.id == job.id, IngestJob.state == JobState.VALIDATING)
        .values(state=JobState.RUNNING)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return []
    set_committed_value(job, "state", JobState.RUNNING)
    clear_entries(job)
    job.files = {**job.files, "cursor": {"phase": WRITE, "row": 0}}
    job.processed_rows = 0
    job.counts = zero_counts()
    for chunk in chunks:
        chunk.state = JobState.QUEUED
        chunk.cursor_row = 0
        chunk.processed_rows = 0
        chunk.counts = zero_counts()
        chunk.attempts = 0
        chunk.started_at = None
        chunk.finished_at = None
    db.session.commit()
    return [chunk.public_id for chunk in chunks]


def forgotten_jobs() -> list[int]:
    """Split jobs still under way whose chunks have all ended (their last chunk's worker died
    before settling, or recovery gave a chunk up)."""
    unfinished = exists().where(
        ImportChunk.job_id == IngestJob.id, ImportChunk.state.not_in(JobState.final())
    )
    return list(
        db.session.scalars(
            select(IngestJob.id).where(
                IngestJob.chunk_count > 0,
                IngestJob.state.in_(JobState.under_way()),
                ~unfinished,
            )
        )
    )


ABORTED = Message(
    "{failed} row(s) have problems, so nothing was imported (on error: abort). Correct them and "
    "import again."
)
