"""Running a harvest from a test: queued, run inline once the test's transaction commits."""

from __future__ import annotations

from harvest.runs import request_run
from repository.extensions import db
from repository.models.harvest import HarvestRun, HarvestSource


def run_now(source: HarvestSource, *, full: bool = False) -> HarvestRun:
    """The source's run, as it ended (the task runs after the commit, inline in tests)."""
    run = request_run(source, full=full)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(HarvestRun, run.id)
