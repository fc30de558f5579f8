"""The search index's background work, as tasks: applying the outbox and rebuilding the index.

A commit that changed public records applies its own outbox rows right away (search/outbox.py),
so a reviewer sees the change at once. Whatever waits (the engine was down, a save skipped it)
is applied here: a minute's periodic pass, plus a pass scheduled after each failure.
"""

from __future__ import annotations

import logging

from huey import crontab

from repository.tasks import huey, task
from search.engine import search_backend
from search.indexing import reindex
from search.outbox import drain_outbox, on_failure, retry_seconds

log = logging.getLogger(__name__)


@task()
def apply_outbox() -> int:
    """Apply every outbox row that is due; rows the engine refuses wait for a later pass."""
    outcome = drain_outbox(search_backend())
    if outcome.failed:
        log.warning("search outbox: %s rows wait: %s", outcome.failed, outcome.error)
    return outcome.applied


@huey.periodic_task(crontab(), name="search.tasks.apply_outbox_every_minute")
def apply_outbox_every_minute() -> None:
    apply_outbox()


@task()
def rebuild_index() -> int:
    """Build a fresh index from the database and swap it in (``huiku search reindex --queue``)."""
    return reindex(search_backend())


@on_failure
def _retry_soon() -> None:
    apply_outbox.schedule(delay=retry_seconds())
