"""The search index's background work, as tasks: applying the outbox and rebuilding the index.

A commit that changed public records applies its own outbox rows right away (search/outbox.py),
so a reviewer sees the change at once. Whatever waits (the engine was down, a save skipped it)
is applied by every consumer's recovery pass, every few seconds, once its retry time has come.
"""

from __future__ import annotations

import logging

from repository.tasks import on_recovery, task
from search.engine import search_backend
from search.indexing import reindex
from search.outbox import drain_outbox, rows_due

log = logging.getLogger(__name__)


@task()
def apply_outbox() -> int:
    """Apply every outbox row that is due; rows the engine refuses wait for a later pass."""
    outcome = drain_outbox(search_backend())
    if outcome.failed:
        log.warning("search outbox: %s rows wait: %s", outcome.failed, outcome.error)
    return outcome.applied


@on_recovery
def catch_up_outbox() -> None:
    if rows_due():
        apply_outbox.call_local()


@task()
def rebuild_index() -> int:
    """Build a fresh index from the database and swap it in (``huiku search reindex --queue``)."""
    return reindex(search_backend())
