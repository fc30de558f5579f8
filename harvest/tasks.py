"""Harvest tasks: checking a source, running a harvest under a lease, starting due runs."""

from __future__ import annotations

import logging

from flask import Flask
from huey import crontab

from repository.tasks import huey, register_job_kind, task

log = logging.getLogger(__name__)


@task()
def run_harvest_task(public_id: str) -> None:
    from harvest.runs import run_harvest

    run_harvest(public_id)


@task()
def check_source_task(source_id: int) -> None:
    from harvest.runs import check_source

    check_source(source_id)


@task()
def request_due_runs_task() -> list[str]:
    from harvest.runs import request_due_runs

    started = request_due_runs()
    if started:
        log.info("started %d scheduled harvest runs", len(started))
    return started


@huey.periodic_task(crontab(minute="*/5"), name="harvest.request_due_runs")
def request_due_runs_periodically() -> None:
    request_due_runs_task()


def init_app(app: Flask) -> None:
    """Register the harvest run as a leased job kind, so recovery takes up a killed run."""
    from harvest import settings
    from repository.models.harvest import HarvestRun

    settings.init_app(app)
    register_job_kind("harvest", HarvestRun, run_harvest_task)
