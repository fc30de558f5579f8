"""The bulk action's task, recovered like every leased job when its worker dies."""

from __future__ import annotations

from repository.models.workflow import BulkActionJob
from repository.tasks import register_job_kind, task


def register() -> None:
    register_job_kind("bulk_action", BulkActionJob, run_bulk_action_task)


@task()
def run_bulk_action_task(public_id: str) -> None:
    from repository.services.review_bulk import run_bulk_action

    run_bulk_action(public_id)
