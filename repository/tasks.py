"""Background work on Huey, and the leases that keep a job's row the truth about it.

Every piece of background work is a Huey task. On the embedded defaults the queue is a SQLite
file in the instance folder and ``huiku serve`` runs one consumer beside gunicorn; with
``HUIKU_REDIS_URL`` set it is Redis, and ``huiku worker`` processes on any machine consume it.
Web processes only enqueue.

Huey does not confirm that a task finished: a killed worker's task, or a queue lost when Redis
restarts, is simply gone. So user-visible jobs (imports, exports, bulk actions) are rows, and a
running task holds a *lease* on its row that it renews as it goes. Each consumer enqueues
``recover_jobs`` every few seconds (see ``HuikuConsumer``); it takes up jobs whose lease ran
out and re-enqueues queued jobs that no task is waiting for. Claiming a job is one guarded
UPDATE, so a job enqueued twice still runs once at a time.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.consumer import Consumer, Scheduler
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from repository.extensions import db
from repository.messages import Message
from repository.models.base import utcnow
from repository.models.jobs import JobState

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "TASKS_IMMEDIATE": False,  # run tasks inside the caller (tests, one-off commands)
    "TASKS_SQLITE_PATH": None,  # embedded queue file; default <instance>/tasks.sqlite3
    "JOB_LEASE_SECONDS": 30,  # a running job's lease; renewed at least every third of it
    "JOB_RECOVERY_SECONDS": 10,  # how often each consumer enqueues ``recover_jobs``
    "JOB_MAX_ATTEMPTS": 3,  # runs of one job that died before it is marked failed
}


class _AppHuey(Huey):
    """One Huey for the code, whose queue and immediacy are the current app's.

    Tasks are declared once at import time, but each app (a server, a worker, a test) has its
    own queue: the storage is looked up in the app in whose context a task is enqueued, or the
    worker's app when there is no context.
    """

    def __init__(self) -> None:
        self._fallback_storage = None
        super().__init__("huiku", results=False, storage_class=MemoryStorage)

    @property
    def storage(self):
        app = _current_app()
        if app is not None and "huiku.tasks" in app.extensions:
            return app.extensions["huiku.tasks"]
        return self._fallback_storage

    @storage.setter
    def storage(self, value) -> None:
        self._fallback_storage = value

    @property
    def _immediate(self) -> bool:
        app = _current_app()
        return bool(app is not None and app.config.get("TASKS_IMMEDIATE"))

    @_immediate.setter
    def _immediate(self, value: bool) -> None:
        """Immediacy is the app's setting (``TASKS_IMMEDIATE``); Huey's own flag is ignored."""


def _current_app() -> Flask | None:
    if has_app_context():
        return current_app._get_current_object()
    return _app


_app: Flask | None = None
_consuming = False  # this process consumes the queue (set before Huey forks its workers)
huey = _AppHuey()


def worker_id() -> str:
    """``host:pid`` of the process running a task. Read when a job is claimed, not at import:
    Huey's worker processes are forked from the consumer after this module was imported, and
    a lease must name the process that holds it (the one to look at, or to kill), not their
    parent, which every worker of one ``huiku worker`` shares."""
    return f"{socket.gethostname()}:{os.getpid()}"


def init_app(app: Flask) -> None:
    """Give this app its queue: Redis when configured, else a SQLite file in the instance."""
    global _app
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    redis_url = app.config.get("REDIS_URL") or os.environ.get("HUIKU_REDIS_URL")
    if redis_url:
        storage = RedisStorage("huiku", url=redis_url)
    else:
        path = app.config["TASKS_SQLITE_PATH"] or str(Path(app.instance_path) / "tasks.sqlite3")
        storage = SqliteStorage("huiku", filename=path)
    app.extensions["huiku.tasks"] = storage
    if _app is None:
        _app = app


def use_app_for_workers(app: Flask) -> None:
    """Make ``app`` the one tasks run in when no app context is active (a worker process)."""
    global _app
    _app = app


def uses_redis(app: Flask) -> bool:
    return isinstance(app.extensions["huiku.tasks"], RedisStorage)


def queue_description(app: Flask) -> str:
    storage = app.extensions["huiku.tasks"]
    if isinstance(storage, RedisStorage):
        kwargs = storage.conn.connection_pool.connection_kwargs
        return f"Redis {kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"
    return f"SQLite {storage.filename}"


def task(**options: Any) -> Callable:
    """Declare a Huey task that runs inside an app context of its own in a worker.

    Called where an app context already exists (immediate mode, tests), it runs in that one.
    A worker (``run_consumer``) gives every task a fresh context, and so a fresh database
    session, even though ``huiku worker`` itself runs inside one: a task that lost its
    connection (PostgreSQL restarted) must not leave the next tasks of that process a session
    whose transaction can only be rolled back.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def in_app(*args: Any, **kwargs: Any) -> Any:
            if has_app_context() and not _consuming:
                return function(*args, **kwargs)
            if _app is None:
                raise RuntimeError("the task queue has no app: call repository.tasks.init_app")
            with _app.app_context():
                try:
                    return function(*args, **kwargs)
                finally:
                    db.session.remove()

        name = f"{function.__module__}.{function.__name__}"
        return huey.task(name=name, **options)(in_app)

    return decorate


# --- leases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """A kind of leased job: its model and the task that runs one (called with the public id).

    ``leased``, when given, is a condition on the model's rows: only rows that meet it are
    under their own lease (a job whose work was handed to leased parts of its own is not).
    """

    model: type
    run: Callable[[str], Any]
    leased: Any = None


_kinds: dict[str, JobKind] = {}


def register_job_kind(
    name: str, model: type, run: Callable[[str], Any], *, leased: Any = None
) -> None:
    """Let recovery take up and re-enqueue jobs of this kind (packages call this at init)."""
    _kinds[name] = JobKind(model, run, leased)


def lease_seconds() -> int:
    return int(_config("JOB_LEASE_SECONDS"))


def _config(key: str) -> Any:
    app = _current_app()
    return app.config.get(key, DEFAULTS[key]) if app else DEFAULTS[key]


def claim(model: type, public_id: str, *, running: JobState = JobState.RUNNING) -> bool:
    """Take a queued job for this process, or say that it is not there to take.

    One guarded UPDATE: of two tasks for the same job, only one gets it.
    """
    now = utcnow()
    result = db.session.execute(
        update(model)
        .where(model.public_id == public_id, model.state == JobState.QUEUED)
        .values(
            state=running,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            lease_holder=worker_id(),
            attempts=model.attempts + 1,
            started_at=db.func.coalesce(model.started_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


class LeaseLost(Exception):
    """This run's job was taken up by another run while this one stalled past its lease."""


class Lease:
    """The lease of one running job: renewed as work goes on, at most every few seconds.

    A renewal is guarded: it only extends the lease this run was given (same holder, same
    attempt). A run that stalled until recovery handed its job on gets ``LeaseLost`` instead,
    in the transaction of the work it was about to commit, which is then rolled back.
    """

    def __init__(self, job: Any) -> None:
        self.job = job
        self.holder = job.lease_holder
        self.attempt = job.attempts
        self._renewed = time.monotonic()

    def renew(self, *, force: bool = False) -> bool:
        """Extend the lease in the job's row (the caller commits with its own work); whether
        it wrote, that is whether there is something to commit."""
        if not force and time.monotonic() - self._renewed < lease_seconds() / 3:
            return False
        model = type(self.job)
        expires = utcnow() + timedelta(seconds=lease_seconds())
        result = db.session.execute(
            update(model)
            .where(
                model.id == self.job.id,
                model.lease_holder == self.holder,
                model.attempts == self.attempt,
            )
            .values(lease_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise LeaseLost(f"job {self.job.public_id} was taken up by another run")
        set_committed_value(self.job, "lease_expires_at", expires)
        self._renewed = time.monotonic()
        return True

    def cancel_requested(self) -> bool:
        """Whether a user asked to cancel (read fresh from the database)."""
        model = type(self.job)
        return bool(
            db.session.scalar(select(model.cancel_requested).where(model.id == self.job.id))
        )


def _lock_rows(statement):
    """Rows that another recovery pass holds are left to it (PostgreSQL); SQLite locks the file."""
    if db.engine.dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


def recover_kind(kind: JobKind, pending_ids: set[str]) -> dict[str, int]:
    """Take up this kind's jobs whose lease ran out, and re-enqueue queued jobs left waiting."""
    model = kind.model
    now = utcnow()
    counts = {"requeued": 0, "failed": 0, "enqueued": 0}
    expired_rows = select(model).where(
        model.state.in_(JobState.under_way()),
        or_(model.lease_expires_at.is_(None), model.lease_expires_at < now),
    )
    if kind.leased is not None:
        expired_rows = expired_rows.where(kind.leased)
    expired = db.session.scalars(_lock_rows(expired_rows)).all()
    max_attempts = int(_config("JOB_MAX_ATTEMPTS"))
    to_enqueue: list[str] = []
    for job in expired:
        job.lease_holder = None
        job.lease_expires_at = None
        if job.cancel_requested:
            job.state = JobState.CANCELLED
            job.finished_at = now
        elif job.attempts >= max_attempts:
            job.state = JobState.FAILED
            job.finished_at = now
            job.give_up(
                Message(
                    "The job stopped {attempts} times without finishing (its worker died); "
                    "it was given up."
                ).format(attempts=job.attempts)
            )
            counts["failed"] += 1
        else:
            job.state = JobState.QUEUED
            to_enqueue.append(job.public_id)
            counts["requeued"] += 1
    waiting = db.session.scalars(
        _lock_rows(select(model.public_id).where(model.state == JobState.QUEUED))
    ).all()
    db.session.commit()
    for public_id in [*to_enqueue, *(p for p in waiting if p not in to_enqueue)]:
        if public_id in pending_ids and public_id not in to_enqueue:
            continue
        kind.run(public_id)
        if public_id not in to_enqueue:
            counts["enqueued"] += 1
    return counts


def pending_job_ids() -> set[str]:
    """Public ids named by tasks waiting in the queue (so they are not enqueued twice)."""
    ids: set[str] = set()
    try:
        for pending in huey.pending():
            ids.update(arg for arg in pending.args if isinstance(arg, str))
    except Exception:  # an unreadable queue: enqueue again; claiming keeps it to one run
        log.exception("could not read the task queue")
    return ids


_catch_ups: list[Callable[[], Any]] = []


def on_recovery(catch_up: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``catch_up`` in every recovery pass: work that waits in a table rather than in a job
    (the search outbox) is picked up within seconds, even after the queue was lost."""
    _catch_ups.append(catch_up)
    return catch_up


@task()
def recover_jobs() -> dict[str, dict[str, int]]:
    """One recovery pass over every registered kind of job; safe to run twice at once."""
    pending = pending_job_ids()
    counts = {name: recover_kind(kind, pending) for name, kind in _kinds.items()}
    for catch_up in _catch_ups:
        try:
            catch_up()
        except Exception:  # one package's trouble must not stop the others' recovery
            db.session.rollback()
            log.exception("recovery step %s failed", catch_up.__name__)
    return counts


# --- the consumer -------------------------------------------------------------------------


class _RecoveringScheduler(Scheduler):
    """Huey's scheduler, which also enqueues ``recover_jobs`` every few seconds.

    It is a timer in each consumer, not a periodic task in the queue, so it goes on after a
    queue was lost (a Redis restart), and every machine running workers recovers on its own.
    """

    def __init__(self, *args: Any, recovery_seconds: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recovery_seconds = recovery_seconds
        self._next_recovery = time.monotonic()

    def loop(self, now=None):
        if time.monotonic() >= self._next_recovery:
            self._next_recovery = time.monotonic() + self.recovery_seconds
            try:
                recover_jobs()
            except Exception:
                self._logger.exception("could not enqueue job recovery")
        return super().loop(now)


class HuikuConsumer(Consumer):
    scheduler_class = _RecoveringScheduler

    def __init__(self, *args: Any, recovery_seconds: float = 10.0, **kwargs: Any) -> None:
        self.recovery_seconds = recovery_seconds
        super().__init__(*args, **kwargs)

    def _create_scheduler(self):
        return self.scheduler_class(
            huey=self.huey,
            stop_flag=self.stop_flag,
            interval=self.scheduler_interval,
            periodic=self.periodic,
            recovery_seconds=self.recovery_seconds,
        )


@huey.on_startup()
def _fresh_connections() -> None:
    """A forked worker process must not share the parent's database connections."""
    if _app is not None:
        with _app.app_context():
            db.engine.dispose(close=False)


def run_consumer(app: Flask, workers: int = 1, worker_type: str = "process") -> None:
    """Consume the queue until stopped (``huiku worker``, and ``huiku serve`` when embedded)."""
    if app.config["TASKS_IMMEDIATE"]:
        raise RuntimeError("TASKS_IMMEDIATE is on: there is no queue to consume")
    global _consuming
    use_app_for_workers(app)
    _consuming = True
    consumer = HuikuConsumer(
        huey,
        workers=workers,
        worker_type=worker_type,
        periodic=True,
        scheduler_interval=1,
        max_delay=1.0,
        recovery_seconds=float(app.config["JOB_RECOVERY_SECONDS"]),
    )
    # What is loaded by now (the app, the profiles, the pinyin and simplified/traditional
    # tables: some 400,000 objects) lives as long as the process. Frozen before the workers
    # fork, it is left out of their full collections, each of which would otherwise walk it
    # all: a tenth of an import's time went there.
    gc.freeze()
    consumer.run()
