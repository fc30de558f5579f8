"""Applying the index outbox: the rows services write with every public change.

The outbox is applied right after each commit that wrote to it, by tasks (search/tasks.py) and
by ``huiku search sync``. Each row is retried with growing pauses until the engine takes it, so
the index catches up after an outage.
Documents are rebuilt from the database at apply time and carry a version, which makes applying
the same row twice, or two processes racing, harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from repository.extensions import db
from repository.models import IndexTask, Record, RecordContributor
from repository.models.base import utcnow
from repository.transactions import INDEX_TASKS_QUEUED, committed
from search.backends import Deletion, SearchBackend, SearchUnavailable
from search.documents import Document, build_document, document_version, micros
from search.engine import search_backend
from search.harvested import (
    Wanted,
    harvested_changes,
    is_harvested_id,
    matched_to,
    origins_for,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_PAUSE = timedelta(minutes=5)
#: After a failure, saves stop trying the engine themselves for this long, leaving the rows to
#: the workers' recovery pass. The ``SEARCH_RETRY_SECONDS`` setting overrides it.
QUIET_AFTER_FAILURE = 30.0


def retry_seconds(app: Flask | None = None) -> float:
    """How long after a failed outbox pass saves stay quiet."""
    config = (app or current_app).config
    return float(config.get("SEARCH_RETRY_SECONDS", QUIET_AFTER_FAILURE))


@dataclass(frozen=True)
class OutboxOutcome:
    applied: int = 0
    failed: int = 0
    error: str = ""


def records_for_index(record_ids: Sequence[int]) -> dict[int, Record]:
    """The records with everything their documents need, in a few queries."""
    if not record_ids:
        return {}
    rows = db.session.scalars(
        select(Record)
        .where(Record.id.in_(record_ids))
        .options(
            selectinload(Record.collection),
            selectinload(Record.library),
            selectinload(Record.assets),
            selectinload(Record.contributors).selectinload(RecordContributor.library),
        )
    )
    return {record.id: record for record in rows}


def index_changes(
    records: dict[str, Record | None], removed_at: dict[str, int]
) -> tuple[list[Document], list[Deletion]]:
    """What the index must now hold for these records (by public id): their document if public,
    else nothing. A record gone from the database is deleted with the version ``removed_at``."""
    documents: list[Document] = []
    deletions: list[Deletion] = []
    public = [record for record in records.values() if record is not None and record.is_public]
    origins = origins_for([record.id for record in public])
    for public_id, record in records.items():
        if record is not None and record.is_public:
            documents.append(build_document(record, origins.get(record.id, ())))
        else:
            version = document_version(record) if record is not None else removed_at[public_id]
            deletions.append(Deletion(public_id, version))
    return documents, deletions


def _changes_for_tasks(tasks: Sequence[IndexTask]) -> tuple[list[Document], list[Deletion]]:
    """Contributed records' rows and harvested records' rows ("h-" ids, search.harvested).

    A contributed record applied takes the harvested records matched to it along: they leave
    the index while it is public and come back when it is not."""
    contributed = [task for task in tasks if not is_harvested_id(task.record_public_id)]
    loaded = records_for_index(sorted({task.record_id for task in contributed}))
    records: dict[str, Record | None] = {}
    removed_at: dict[str, int] = {}
    asked_at: dict[int, datetime] = {}  # contributed record id -> its latest row
    wanted: dict[int, Wanted] = {}
    for task in tasks:
        if is_harvested_id(task.record_public_id):
            _want(wanted, task.record_id, task.record_public_id, task.created_at)
            continue
        records[task.record_public_id] = loaded.get(task.record_id)
        removed_at[task.record_public_id] = max(
            removed_at.get(task.record_public_id, 0), micros(task.created_at)
        )
        previous = asked_at.get(task.record_id)
        asked_at[task.record_id] = max(previous or task.created_at, task.created_at)
    for harvested_id, public_id, record_id in matched_to(asked_at):
        _want(wanted, harvested_id, public_id, asked_at[record_id])
    documents, deletions = index_changes(records, removed_at)
    harvested_documents, harvested_deletions = harvested_changes(wanted)
    return documents + harvested_documents, deletions + harvested_deletions


def _want(wanted: dict[int, Wanted], harvested_id: int, public_id: str, at: datetime) -> None:
    earlier = wanted.get(harvested_id)
    if earlier is None or earlier.asked_at < at:
        wanted[harvested_id] = Wanted(public_id, at)


def _due(now):
    return or_(IndexTask.next_attempt_at.is_(None), IndexTask.next_attempt_at <= now)


def rows_due() -> bool:
    """Whether some outbox row waits and its next attempt has come (a cheap check)."""
    return db.session.scalar(select(IndexTask.id).where(_due(utcnow())).limit(1)) is not None


def apply_outbox(
    backend: SearchBackend, *, limit: int = BATCH_SIZE, refresh: bool = False
) -> OutboxOutcome:
    """Apply up to ``limit`` due outbox rows in one request to the engine.

    On success the rows are removed; on failure each is marked with the error and its next
    attempt, later each time (1 s, 2 s, 4 s … up to 5 minutes).
    """
    session = db.session
    now = utcnow()
    tasks = list(
        session.scalars(
            select(IndexTask)
            .where(_due(now))
            .order_by(IndexTask.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not tasks:
        session.commit()
        return OutboxOutcome()
    documents, deletions = _changes_for_tasks(tasks)
    try:
        backend.apply(documents, deletions, refresh=refresh)
    except SearchUnavailable as error:
        detail = error.detail or str(error.message)
        for task in tasks:
            task.attempts += 1
            task.last_error = detail[:2000]
            pause = min(timedelta(seconds=2 ** min(task.attempts - 1, 16)), MAX_PAUSE)
            task.next_attempt_at = now + pause
        session.commit()
        return OutboxOutcome(failed=len(tasks), error=detail)
    session.execute(delete(IndexTask).where(IndexTask.id.in_([task.id for task in tasks])))
    session.commit()
    return OutboxOutcome(applied=len(tasks))


def drain_outbox(backend: SearchBackend, *, refresh: bool = False) -> OutboxOutcome:
    """Apply every due row, batch after batch, stopping at the first failure."""
    applied = 0
    while True:
        outcome = apply_outbox(backend, refresh=refresh)
        applied += outcome.applied
        if outcome.failed:
            return OutboxOutcome(applied=applied, failed=outcome.failed, error=outcome.error)
        if not outcome.applied:
            return OutboxOutcome(applied=applied)


@dataclass(frozen=True)
class OutboxState:
    pending: int
    failing: int  # rows that have failed at least once
    oldest: datetime | None
    last_error: str


def outbox_state() -> OutboxState:
    pending, failing, oldest = db.session.execute(
        select(
            func.count(IndexTask.id),
            func.count(IndexTask.id).filter(IndexTask.attempts > 0),
            func.min(IndexTask.created_at),
        )
    ).one()
    last_error = db.session.scalar(
        select(IndexTask.last_error)
        .where(IndexTask.attempts > 0)
        .order_by(IndexTask.id.desc())
        .limit(1)
    )
    return OutboxState(pending, failing, oldest, last_error or "")


class _CommitHook:
    """Applies the outbox after each commit that queued index work, unless the engine just
    failed (then saves stay fast and the worker catches up). A commit that queued nothing (a
    batch of imported drafts, a job's progress) asks nothing of the engine."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.quiet_until = 0.0

    def __call__(self, session: Session) -> None:
        app = current_app._get_current_object()
        queued = session.info.pop(INDEX_TASKS_QUEUED, False)
        if not queued or not app.config.get("SEARCH_APPLY_ON_COMMIT", True):
            return
        if getattr(self.local, "busy", False) or time.monotonic() < self.quiet_until:
            return
        self.local.busy = True
        try:
            outcome = drain_outbox(search_backend(app), refresh=True)
            if outcome.failed:
                self.quiet_until = time.monotonic() + retry_seconds(app)
                log.warning("search index not updated, will retry: %s", outcome.error)
        except Exception:  # the change itself is committed; the outbox keeps it for later
            db.session.rollback()
            log.exception("applying the search outbox failed")
        finally:
            self.local.busy = False


commit_hook = _CommitHook()


def connect(app: Flask) -> None:
    committed.connect(commit_hook)
