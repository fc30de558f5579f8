"""The export's tasks: running a job (recovered like every leased job), pruning old files."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select

from repository.extensions import db
from repository.models import ExportJob
from repository.tasks import huey, register_job_kind, task

log = logging.getLogger(__name__)


def register() -> None:
    register_job_kind("export", ExportJob, run_export_task)


@task()
def run_export_task(public_id: str) -> None:
    from interop.exports.services import run_export

    job = db.session.scalar(select(ExportJob).where(ExportJob.public_id == public_id))
    if job is not None:
        run_export(job)


@task()
def prune_exports_task() -> int:
    from interop.exports.services import prune_exports

    pruned = prune_exports()
    if pruned:
        log.info("deleted the files of %d old exports", pruned)
    return pruned


@huey.periodic_task(crontab(minute="41"), name="interop.exports.prune_hourly")
def prune_exports_hourly() -> None:
    prune_exports_task()
