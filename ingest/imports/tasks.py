"""The import's tasks on the queue: running a job or one chunk of it, and deleting the files of
old jobs hourly.

``run_import_task`` claims the job (a job enqueued twice still runs once at a time) and reads
its file through once; a large file is then split into chunks (``ingest.imports.chunks``),
each enqueued as ``run_chunk_task``, which several workers run at once. A job or a chunk runs
under a lease it renews with every batch and resumes after its last committed batch when it
is run again: after a crash the recovery pass of ``repository.tasks`` enqueues it again once
its lease has run out. A run that stops on an unexpected error marks its job (or chunk)
failed, with the error, instead of leaving it "running".
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from huey import crontab
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ingest.imports.chunks import forgotten_jobs, queued_chunk_ids, settle_job
from ingest.imports.interrupted import mark_chunk_interrupted, mark_interrupted
from ingest.imports.run import ImportRun, Progress, first_state
from repository.extensions import db
from repository.models import IngestJob, JobState
from repository.models.jobs import ImportChunk
from repository.tasks import (
    JobKind,
    Lease,
    LeaseLost,
    claim,
    huey,
    on_recovery,
    pending_job_ids,
    recover_kind,
    register_job_kind,
    task,
)

log = logging.getLogger(__name__)

RECOVERY_SECONDS = 5  # how often a command waiting for other workers' chunks looks for dead ones


def register() -> None:
    """Let job recovery take up import jobs and their chunks (called when the ingest package
    is set up). A split job is kept alive by its chunks' leases, not its own."""
    register_job_kind("import", IngestJob, run_import_task, leased=IngestJob.chunk_count == 0)
    register_job_kind("import-chunk", ImportChunk, run_chunk_task)


def queue_import(job: IngestJob) -> None:
    """Enqueue the (committed, queued) job for a worker."""
    run_import_task(job.public_id)


def queue_chunks(public_ids: list[str]) -> None:
    """Enqueue chunks (committed, queued) for the workers, in file order."""
    for public_id in public_ids:
        run_chunk_task(public_id)


@task()
def run_import_task(public_id: str) -> None:
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
    if job is not None:
        run_import(job, help_with_chunks=False)


@task()
def run_chunk_task(public_id: str) -> None:
    chunk = db.session.scalar(select(ImportChunk).where(ImportChunk.public_id == public_id))
    if chunk is not None:
        run_chunk(chunk)


def run_import(
    job: IngestJob, progress: Progress | None = None, *, help_with_chunks: bool = True
) -> IngestJob:
    """Claim the job and run it here; a job not queued (finished, or another worker's) is
    returned as it is. ``progress`` is called after every batch.

    A large job is split into chunks, enqueued for the workers; with ``help_with_chunks`` (the
    command line, which runs its job in its own process) this process also takes chunks, one
    after another, until the job has ended.
    """
    db.session.refresh(job)
    if not claim(IngestJob, job.public_id, running=first_state(job)):
        db.session.refresh(job)
        return job
    db.session.refresh(job)
    run = ImportRun(job, Lease(job), progress)
    queue_chunks(_guarded(f"import {job.public_id}", run.run, mark_interrupted, job.public_id))
    if help_with_chunks and job.chunk_count:
        _help_with_chunks(job, progress)
    db.session.expire(job)  # read again when asked: a worker never loads the finished report
    return job


def run_chunk(chunk: ImportChunk, progress: Progress | None = None) -> bool:
    """Claim the chunk and run it here, to its end; False when it was not there to claim."""
    db.session.refresh(chunk)
    job = db.session.get(IngestJob, chunk.job_id)
    db.session.refresh(job)
    if job.state not in JobState.under_way():
        return False
    if not claim(ImportChunk, chunk.public_id, running=first_state(job)):
        return False
    db.session.refresh(chunk)
    run = ImportRun(job, Lease(chunk), progress, chunk=chunk)
    what = f"chunk {chunk.number} of import {job.public_id}"
    queue_chunks(_guarded(what, run.run, mark_chunk_interrupted, chunk.public_id))
    return True


def _guarded(
    what: str,
    run: Callable[[], list[str]],
    interrupted: Callable[[str, BaseException], object],
    public_id: str,
) -> list[str]:
    """Run a job or a chunk; returns the chunks to enqueue next."""
    try:
        return run()
    except OperationalError:
        # The database went away under the run (a restart, a failover): nothing can be written
        # now, not even "failed". The lease runs out; then the recovery pass resumes the job
        # (or chunk) after its last committed batch.
        log.warning("%s lost its database; recovery will resume it", what)
        with contextlib.suppress(Exception):
            db.session.rollback()
        return []
    except LeaseLost:
        # This run stalled past its lease and recovery gave the work to another run: the batch
        # in hand is rolled back, and the rest is that run's.
        log.warning("%s was taken up by another run; this one stops", what)
        db.session.rollback()
        return []
    except Exception as error:
        log.exception("%s stopped", what)
        db.session.rollback()
        return list(interrupted(public_id, error) or [])


def _help_with_chunks(job: IngestJob, progress: Progress | None) -> None:
    """Take the job's queued chunks here until it has ended. A chunk whose worker died is
    taken up (by recovery's own rules) when its lease runs out, even with no consumer running."""
    kind = JobKind(ImportChunk, run_chunk_task)
    next_recovery = time.monotonic() + RECOVERY_SECONDS
    while True:
        db.session.expire_all()
        if job.state in JobState.final():
            return
        waiting = queued_chunk_ids(job)
        if waiting:
            chunk = db.session.scalar(
                select(ImportChunk).where(ImportChunk.public_id == waiting[0])
            )
            run_chunk(chunk, progress)
            continue
        db.session.commit()
        time.sleep(0.5)
        if time.monotonic() >= next_recovery:
            next_recovery = time.monotonic() + RECOVERY_SECONDS
            recover_kind(kind, pending_job_ids())
            queue_chunks(settle_job(job.id))


@on_recovery
def settle_forgotten_imports() -> None:
    """Split jobs whose chunks have all ended but which were never settled."""
    for job_id in forgotten_jobs():
        queue_chunks(settle_job(job_id))


@task()
def prune_import_files_task() -> int:
    from ingest.imports.jobs import prune_import_files

    pruned = prune_import_files()
    if pruned:
        log.info("deleted the files of %d finished import jobs", pruned)
    return pruned


@huey.periodic_task(crontab(minute="17"), name="ingest.imports.prune_hourly")
def prune_import_files_hourly() -> None:
    prune_import_files_task()
