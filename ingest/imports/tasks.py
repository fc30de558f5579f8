"""The import's tasks on the queue: running a job, and deleting the files of old ones hourly.

``run_import_task`` claims the job (a job enqueued twice still runs once at a time), runs it
under a lease it renews with every batch, and resumes after the last committed batch when it
is run again: after a crash the recovery pass of ``repository.tasks`` enqueues it again once
its lease has run out. A task that stops on an unexpected error marks its job failed, with the
error, instead of leaving it "running".
"""

from __future__ import annotations

import contextlib
import logging

from huey import crontab
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ingest.imports.run import ImportRun, Progress, first_state, mark_interrupted
from repository.extensions import db
from repository.models import IngestJob
from repository.tasks import Lease, LeaseLost, claim, huey, register_job_kind, task

log = logging.getLogger(__name__)


def register() -> None:
    """Let job recovery take up import jobs (called when the ingest package is set up)."""
    register_job_kind("import", IngestJob, run_import_task)


def queue_import(job: IngestJob) -> None:
    """Enqueue the (committed, queued) job for a worker."""
    run_import_task(job.public_id)


@task()
def run_import_task(public_id: str) -> None:
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
    if job is not None:
        run_import(job)


def run_import(job: IngestJob, progress: Progress | None = None) -> IngestJob:
    """Claim the job and run it here, to its end; a job not queued (finished, or another
    worker's) is returned as it is. ``progress`` is called after every batch."""
    db.session.refresh(job)
    if not claim(IngestJob, job.public_id, running=first_state(job)):
        db.session.refresh(job)
        return job
    db.session.refresh(job)
    try:
        ImportRun(job, Lease(job), progress).run()
    except OperationalError:
        # The database went away under the job (a restart, a failover): nothing can be written
        # now, not even "failed". The job keeps its lease until it runs out; then the recovery
        # pass resumes it after its last committed batch.
        log.warning("import %s lost its database; recovery will resume it", job.public_id)
        with contextlib.suppress(Exception):
            db.session.rollback()
        return job
    except LeaseLost:
        # This run stalled past its lease and recovery gave the job to another run: the batch
        # in hand is rolled back, and the job is that run's to finish.
        log.warning("import %s was taken up by another run; this one stops", job.public_id)
        db.session.rollback()
        return job
    except Exception as error:
        log.exception("import %s stopped", job.public_id)
        db.session.rollback()
        mark_interrupted(job.public_id, error)
    db.session.expire(job)  # read again when asked: a worker never loads the finished report
    return job


@task()
def prune_import_files_task() -> int:
    from ingest.imports.services import prune_import_files

    pruned = prune_import_files()
    if pruned:
        log.info("deleted the files of %d finished import jobs", pruned)
    return pruned


@huey.periodic_task(crontab(minute="17"), name="ingest.imports.prune_hourly")
def prune_import_files_hourly() -> None:
    prune_import_files_task()
