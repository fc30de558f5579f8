"""Background work on the task queue: leases keep a job's row the truth, and real workers run it.

The lease tests drive ``recover_kind`` in this process; the worker tests start ``huiku worker``
as a separate process on the embedded (SQLite) queue and on Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from repository import tasks
from repository.app import create_app
from repository.extensions import db
from repository.models import IndexTask, IngestJob, JobState
from repository.models.base import utcnow
from tests.conftest import service_url


@pytest.fixture
def job(make_collection, make_user):
    """A queued import job row (what the lease machinery looks after)."""

    def make(**values) -> IngestJob:
        user = make_user("contributor")
        row = IngestJob(
            collection_id=make_collection().id,
            library_id=user.library_id,
            user_id=user.id,
            **values,
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def enqueued() -> list[str]:
    return []


@pytest.fixture
def kind(enqueued) -> tasks.JobKind:
    return tasks.JobKind(IngestJob, enqueued.append)


def expired() -> object:
    return utcnow() - timedelta(seconds=1)


class TestLeases:
    def test_only_one_of_two_tasks_for_the_same_job_takes_it(self, job):
        queued = job()
        assert tasks.claim(IngestJob, queued.public_id)
        assert not tasks.claim(IngestJob, queued.public_id)
        db.session.refresh(queued)
        assert queued.state is JobState.RUNNING
        assert queued.attempts == 1
        assert queued.lease_expires_at > utcnow()

    def test_a_job_whose_worker_died_is_queued_and_enqueued_again(self, job, kind, enqueued):
        dead = job(state=JobState.RUNNING, attempts=1, lease_expires_at=expired())
        alive = job(
            state=JobState.RUNNING, attempts=1, lease_expires_at=utcnow() + timedelta(seconds=20)
        )

        counts = tasks.recover_kind(kind, pending_ids=set())

        assert counts["requeued"] == 1
        assert enqueued == [dead.public_id]
        db.session.refresh(dead)
        db.session.refresh(alive)
        assert dead.state is JobState.QUEUED and dead.lease_holder is None
        assert alive.state is JobState.RUNNING

    def test_a_job_that_keeps_dying_is_given_up_with_a_message(self, app, job, kind, enqueued):
        doomed = job(
            state=JobState.RUNNING,
            attempts=app.config["JOB_MAX_ATTEMPTS"],
            lease_expires_at=expired(),
        )
        tasks.recover_kind(kind, pending_ids=set())
        db.session.refresh(doomed)
        assert doomed.state is JobState.FAILED
        assert "given up" in doomed.error  # English where logs and the CLI read it
        assert "given up" in doomed.error_message.localized("en")
        assert "已放弃" in doomed.error_message.localized("zh_Hans_CN")
        assert doomed.finished_at is not None
        assert enqueued == []

    def test_a_cancelled_job_whose_worker_died_ends_cancelled(self, job, kind, enqueued):
        cancelled = job(
            state=JobState.RUNNING, attempts=1, lease_expires_at=expired(), cancel_requested=True
        )
        tasks.recover_kind(kind, pending_ids=set())
        db.session.refresh(cancelled)
        assert cancelled.state is JobState.CANCELLED
        assert enqueued == []

    def test_queued_jobs_no_task_waits_for_are_enqueued_again(self, job, kind, enqueued):
        lost = job()  # e.g. its task was in a Redis that restarted
        waiting = job()
        tasks.recover_kind(kind, pending_ids={waiting.public_id})
        assert enqueued == [lost.public_id]

    def test_finished_jobs_are_left_alone(self, job, kind, enqueued):
        for state in JobState.final():
            job(state=state, lease_expires_at=expired())
        assert tasks.recover_kind(kind, pending_ids=set()) == {
            "requeued": 0,
            "failed": 0,
            "enqueued": 0,
        }
        assert enqueued == []

    def test_a_renewed_lease_runs_a_lease_length_from_now(self, app, job):
        running = job(state=JobState.RUNNING, lease_expires_at=expired())
        tasks.Lease(running).renew(force=True)
        db.session.commit()
        remaining = (running.lease_expires_at - utcnow()).total_seconds()
        assert app.config["JOB_LEASE_SECONDS"] - 2 < remaining <= app.config["JOB_LEASE_SECONDS"]

    def test_a_lease_handed_on_to_another_run_is_not_renewed(self, job):
        running = job(state=JobState.RUNNING, lease_holder="here:1", attempts=1)
        lease = tasks.Lease(running)
        running.lease_holder, running.attempts = "there:2", 2  # recovery gave it on
        db.session.commit()
        with pytest.raises(tasks.LeaseLost):
            lease.renew(force=True)


class TestQueueSettings:
    def test_the_embedded_queue_is_a_file_in_the_instance(self, tmp_path, monkeypatch):
        monkeypatch.delenv("HUIKU_REDIS_URL", raising=False)
        monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path))
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
        assert not tasks.uses_redis(app)
        assert tasks.queue_description(app) == f"SQLite {tmp_path / 'tasks.sqlite3'}"

    def test_redis_when_configured(self, tmp_path, monkeypatch):
        url = service_url("HUIKU_TEST_REDIS_URL", "Redis")
        if not url:
            pytest.skip("no Redis (set HUIKU_TEST_REDIS_URL)")
        monkeypatch.setenv("HUIKU_INSTANCE_PATH", str(tmp_path))
        monkeypatch.setenv("HUIKU_REDIS_URL", url)
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
        assert tasks.uses_redis(app)
        assert tasks.queue_description(app).startswith("Redis 127.0.0.1:")


# --- real workers ---------------------------------------------------------------------------


def _queue_urls() -> list[str | None]:
    return [None, os.environ.get("HUIKU_TEST_REDIS_URL") or "redis-missing"]


@pytest.fixture(params=["sqlite", "redis"])
def instance(request, tmp_path) -> Iterator[tuple[dict[str, str], object]]:
    """A committed instance (SQLite database) whose queue is a file or Redis, with its app."""
    env = {
        "HUIKU_INSTANCE_PATH": str(tmp_path),
        "HUIKU_DATABASE_URL": f"sqlite:///{tmp_path / 'huiku.sqlite3'}",
        "HUIKU_SEARCH_INDEX_PATH": str(tmp_path / "search.sqlite3"),
        "HUIKU_STORAGE_ROOT": str(tmp_path / "storage"),
        "HUIKU_SECRET_KEY": "worker-test",
    }
    if request.param == "redis":
        url = service_url("HUIKU_TEST_REDIS_URL", "Redis")
        if not url:
            pytest.skip("no Redis (set HUIKU_TEST_REDIS_URL)")
        env["HUIKU_REDIS_URL"] = url
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app = create_app({"SEARCH_APPLY_ON_COMMIT": False})
        with app.app_context():
            upgrade()
            tasks.huey.storage.flush_all()
        yield env, app
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "repository.cli", "worker", "--workers", "1"]
    with log.open("wb") as output:
        return subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )


def test_a_worker_process_runs_what_the_web_enqueued(instance, tmp_path, make_record):
    env, app = instance
    with app.app_context():
        from repository.services import collections as collection_service
        from search.tasks import apply_outbox

        collection = collection_service.create_collection(
            "worker-test", "generic", "队列测试", "Queue test"
        )
        make_record(collection, title="长白山人参")
        assert db.session.scalar(select(func.count(IndexTask.id))) >= 1  # waiting
        apply_outbox()  # enqueued, not run: this app has no immediate mode
        assert db.session.scalar(select(func.count(IndexTask.id))) >= 1
        db.session.remove()

    worker = start_worker(env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 60
        with app.app_context():
            while db.session.scalar(select(func.count(IndexTask.id))):
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
                db.session.remove()
                time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
