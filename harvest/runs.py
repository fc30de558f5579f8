"""Harvest runs: asking for one, running one under a lease, and starting the due ones.

A run is a row (``HarvestRun``) and a task. The task claims the row, holds a lease on it while
it goes through the source page by page, and stores each page in a transaction of its own,
together with ``resume_from``: where to go on from. A worker killed mid-run leaves the lease to
run out; recovery re-enqueues the run, which goes on from ``resume_from`` (storing is an upsert,
so a page stored twice is not counted twice). Only a run that succeeded moves the source's
cursor, so a failed incremental run is simply done again next time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from harvest.settings import setting
from repository.extensions import db
from repository.messages import Message
from repository.models.accounts import User
from repository.models.base import utcnow
from repository.models.harvest import HarvestRun, HarvestSource, SourceCheck, SourceKind
from repository.models.jobs import JobState
from repository.tasks import Lease, LeaseLost, claim, lease_seconds
from repository.transactions import unit_of_work

log = logging.getLogger(__name__)

_PENDING = "huiku_harvest_tasks_after_commit"
_DEPTH = "huiku_unit_of_work_depth"  # see repository.transactions
_running: ContextVar[tuple[Lease, list[float]] | None] = ContextVar("harvest_lease", default=None)


class HarvestFailed(Exception):
    """The run cannot go on: what went wrong, in words an administrator can act on."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


def message_of(error: BaseException) -> Message:
    """The error's ``Message`` when it carries one; else its own words, as they are."""
    found = error.args[0] if error.args else None
    if isinstance(found, Message):
        return found
    return Message.verbatim(f"{type(error).__name__}: {str(error)[:500]}")


def clip(text: object, length: int = 500) -> str:
    """A message parameter from outside (an address, an answer, another library's error),
    plain and short enough to store."""
    return str.__str__(str(text))[:length]


class HarvestCancelled(Exception):
    """An administrator asked the run to stop."""


# --- asking -------------------------------------------------------------------------------


def request_run(
    source: HarvestSource, *, full: bool = False, user: User | None = None, enqueue: bool = True
) -> HarvestRun:
    """A queued run of the source, or the one already queued or under way (the caller commits;
    the task is enqueued after that commit, unless the caller runs it itself: ``enqueue``)."""
    existing = active_run(source)
    if existing is not None:
        return existing
    run = HarvestRun(
        source=source,
        full=full,
        state=JobState.QUEUED,
        from_cursor="" if full else (source.cursor or ""),
        requested_by_id=user.id if user is not None else None,
        errors=[],
    )
    db.session.add(run)
    db.session.flush()
    if enqueue:
        _after_commit("run", run.public_id)
    return run


def request_check(source: HarvestSource) -> None:
    """Mark the source's check pending and check it in a task after the caller's commit."""
    source.check_state = SourceCheck.PENDING
    source.set_check_message(None)
    db.session.add(source)
    db.session.flush()
    _after_commit("check", source.id)


def active_run(source: HarvestSource) -> HarvestRun | None:
    return db.session.scalar(
        select(HarvestRun)
        .where(
            HarvestRun.source_id == source.id,
            HarvestRun.state.in_([JobState.QUEUED, *JobState.under_way()]),
        )
        .order_by(HarvestRun.id)
        .limit(1)
    )


def _after_commit(kind: str, argument: Any) -> None:
    db.session().info.setdefault(_PENDING, []).append((kind, argument))


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    """Enqueue the tasks asked for in the transaction just committed.

    With ``TASKS_IMMEDIATE`` the task runs here and now; it gets an app context, and so a
    database session, of its own, since the committing session cannot be used inside this hook.
    A task lost here (the queue unreachable) is found by recovery: its run is queued in the
    database, and a pending check is retried when the source is saved or checked again.
    """
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from harvest import tasks

    app = current_app._get_current_object()
    for kind, argument in pending:
        try:
            with app.app_context():
                if kind == "run":
                    tasks.run_harvest_task(argument)
                else:
                    tasks.check_source_task(argument)
        except Exception:
            log.exception("could not start the harvest %s task for %s", kind, argument)


# --- running ------------------------------------------------------------------------------


def find_run(public_id: str) -> HarvestRun | None:
    return db.session.scalar(select(HarvestRun).where(HarvestRun.public_id == public_id))


def add_error(run: HarvestRun, where: str, message: Message) -> None:
    """Note a problem in the run's errors, keeping only the newest ``HARVEST_MAX_ERRORS``; the
    message is kept as msgid and parameters, to be read in the reader's language."""
    errors = [*run.errors, {"where": where[:500], "message": message.to_json()}]
    run.errors = errors[-int(setting("HARVEST_MAX_ERRORS")) :]


def run_harvest(public_id: str) -> HarvestRun | None:
    """Claim the run and harvest its source here; a run not queued is left as it is."""
    if not claim(HarvestRun, public_id):
        return find_run(public_id)
    run = find_run(public_id)
    assert run is not None
    lease = Lease(run)
    token = _running.set((lease, [0.0]))
    try:
        return _run_claimed(public_id, run, lease)
    finally:
        _running.reset(token)


def _run_claimed(public_id: str, run: HarvestRun, lease: Lease) -> HarvestRun | None:
    source = run.source
    if not source.enabled:
        _finish(
            public_id,
            JobState.CANCELLED,
            Message("The source is disabled; enable it to harvest it."),
        )
        return find_run(public_id)
    try:
        _harvest(source, run, lease)
    except LeaseLost:  # another worker has the run now
        db.session.rollback()
        return find_run(public_id)
    except HarvestCancelled:
        db.session.rollback()
        _finish(public_id, JobState.CANCELLED, Message("Stopped on request."))
    except HarvestFailed as error:
        db.session.rollback()
        _finish(public_id, JobState.FAILED, error.message)
    except Exception as error:
        log.exception("harvest run %s of %s stopped", public_id, source.slug)
        db.session.rollback()
        _finish(public_id, JobState.FAILED, message_of(error))
    return find_run(public_id)


def _harvest(source: HarvestSource, run: HarvestRun, lease: Lease) -> None:
    from harvest.store import store_page

    for page in pages_of(source, run):
        with unit_of_work():
            store_page(source, run, page)
            run.resume_from = page.resume_after
            if page.highest and page.highest > (run.highest_seen or ""):
                run.highest_seen = page.highest
            run.pages += 1
            lease.renew(force=True)
        current = _running.get()
        if current is not None:
            current[1][0] = 0.0  # the renewal is shorter than a request may take: extend again
        if lease.cancel_requested():
            raise HarvestCancelled()
        if run.pages > int(setting("HARVEST_MAX_PAGES")):
            raise HarvestFailed(
                Message("The source gave more than {limit} pages in one run; stopped.").format(
                    limit=int(setting("HARVEST_MAX_PAGES"))
                )
            )
    from harvest.store import finish_listing

    with unit_of_work():
        finish_listing(source, run)
    _finish(run.public_id, JobState.SUCCEEDED, None)


def heartbeat() -> None:
    """Before each request of a run: make its lease outlast the request (connect and read
    timeouts included), committed at once, so recovery does not take up a run that is only
    waiting for a slow server. Between pages only: inside a page's transaction it does nothing.
    """
    current = _running.get()
    if current is None or db.session().info.get(_DEPTH, 0):
        return
    lease, last = current
    if time.monotonic() - last[0] < lease_seconds() / 3:
        return
    run = lease.job
    timeouts = float(setting("HARVEST_CONNECT_TIMEOUT")) + float(setting("HARVEST_READ_TIMEOUT"))
    result = db.session.execute(
        update(HarvestRun)
        .where(
            HarvestRun.id == run.id,
            HarvestRun.lease_holder == lease.holder,
            HarvestRun.attempts == lease.attempt,
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds() + timeouts))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise LeaseLost(f"harvest run {run.public_id} was taken up by another run")
    db.session.commit()
    last[0] = time.monotonic()


def pages_of(source: HarvestSource, run: HarvestRun) -> Iterator[Any]:
    """The pages of the source for this run, from ``run.resume_from`` on."""
    if source.kind is SourceKind.OAI:
        from harvest.oai import oai_pages

        return oai_pages(source, run)
    if source.kind is SourceKind.IIIF_DISCOVERY:
        from harvest.iiif import discovery_pages

        return discovery_pages(source, run)
    from harvest.iiif import collection_pages

    return collection_pages(source, run)


def _finish(public_id: str, state: JobState, message: Message | None) -> None:
    """End the run; a successful one moves the source's cursor, every one its next run."""
    with unit_of_work():
        run = find_run(public_id)
        assert run is not None
        now = utcnow()
        run.state = state
        run.set_message(message)
        run.finished_at = now
        run.lease_holder = None
        run.lease_expires_at = None
        source = run.source
        if state is JobState.SUCCEEDED and run.highest_seen:
            source.cursor = max(source.cursor or "", run.highest_seen)
        if source.interval_hours > 0:
            source.next_run_at = now + timedelta(hours=source.interval_hours)


# --- checking -----------------------------------------------------------------------------


def check_source(source_id: int) -> HarvestSource | None:
    """Ask the source who it is (OAI Identify and a first page, or the IIIF document) and keep
    what came back on the source, for its page to show."""
    source = db.session.get(HarvestSource, source_id)
    if source is None:
        return None
    try:
        message = _check(source)
        state = SourceCheck.OK
    except HarvestFailed as error:
        message, state = error.message, SourceCheck.FAILED
    except Exception as error:
        log.exception("checking harvest source %s failed", source.slug)
        message, state = message_of(error), SourceCheck.FAILED
    db.session.rollback()
    with unit_of_work():
        source = db.session.get(HarvestSource, source_id)
        if source is not None:
            source.check_state = state
            source.set_check_message(message)
            source.checked_at = utcnow()
    return source


def _check(source: HarvestSource) -> Message:
    checker: Callable[[HarvestSource], Message]
    if source.kind is SourceKind.OAI:
        from harvest.oai import check_oai as checker
    else:
        from harvest.iiif import check_iiif as checker
    return checker(source)


# --- the schedule -------------------------------------------------------------------------


def request_due_runs() -> list[str]:
    """Queue an incremental run of every enabled, scheduled source whose time has come.

    Each source is asked for in a transaction of its own, so one source's trouble never keeps
    another from its run.
    """
    now = utcnow()
    due = db.session.scalars(
        select(HarvestSource.id).where(
            HarvestSource.enabled.is_(True),
            HarvestSource.interval_hours > 0,
            or_(HarvestSource.next_run_at.is_(None), HarvestSource.next_run_at <= now),
        )
    ).all()
    started = []
    for source_id in due:
        try:
            with unit_of_work():
                source = db.session.get(HarvestSource, source_id)
                if source is None:
                    continue
                source.next_run_at = now + timedelta(hours=source.interval_hours)
                started.append(request_run(source).public_id)
        except Exception:
            log.exception("could not start the scheduled harvest of source %s", source_id)
    return started
