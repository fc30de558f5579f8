"""Imports running on real ``huiku worker`` processes while the worker, PostgreSQL or Redis fails.

An import is a job row under a lease (docs/tasks.md): whatever dies, the recovery pass gives
the job to a live worker, which continues after its last committed batch, so every row of the
table ends up in the database exactly once. To keep the suite short the instance runs with a
6 s lease (``JOB_LEASE_SECONDS = 6``) and a recovery pass every 2 s (the harness's
``JOB_RECOVERY_SECONDS = 2``) instead of 30 s and 10 s.
"""

from __future__ import annotations

import csv
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ingest.imports import start_import
from ingest.imports.jobs import retry_import
from ingest.imports.tasks import queue_import
from repository.extensions import db
from repository.models import Collection, IngestJob, JobState, Record, User
from repository.models.base import utcnow

pytestmark = pytest.mark.faults

LEASE = "JOB_LEASE_SECONDS = 6\n"
HEADERS = ["local_id", "title", "scientific_name", "kingdom"]


def _table(path: Path, prefix: str, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for number in range(1, rows + 1):
            writer.writerow([f"{prefix}-{number:05d}", f"人参 {number}", "Panax ginseng", "植物"])
    return path


def _start(instance, table: Path) -> str:
    """A queued import of ``table`` by the instance's admin, enqueued on the private Redis."""
    with instance.app.app_context():
        try:
            user = db.session.scalar(select(User).where(User.email == instance.admin_email))
            collection = db.session.scalar(
                select(Collection).where(Collection.slug == instance.collection)
            )
            job = start_import(user, collection, table, None, dry_run=False)
            queue_import(job)
            return job.public_id
        finally:
            db.session.remove()


def _job(instance, public_id: str) -> dict[str, Any]:
    with instance.app.app_context():
        try:
            job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
            return {
                "state": job.state,
                "processed_rows": job.processed_rows,
                "attempts": job.attempts,
                "lease_holder": job.lease_holder,
                "lease_expires_at": job.lease_expires_at,
                "error": job.error,
                "counts": dict(job.counts or {}),
                "report": list(job.report or []) if job.state in JobState.final() else [],
            }
        finally:
            db.session.remove()


def _wait(instance, public_id: str, check, timeout: float, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            job = _job(instance, public_id)
            if check(job):
                return job
        except Exception:  # the database is coming back
            job = None
        assert time.monotonic() < deadline, f"{what} within {timeout} s: {job}\n{instance.logs()}"
        time.sleep(0.3)


def _finished(instance, public_id: str, timeout: float) -> dict[str, Any]:
    return _wait(
        instance, public_id, lambda job: job["state"] in JobState.final(), timeout, "job ended"
    )


def _local_ids(instance, prefix: str) -> dict[str, int]:
    """How many records carry each local id of the table."""
    with instance.app.app_context():
        try:
            rows = db.session.execute(
                select(Record.local_id, func.count(Record.id))
                .where(Record.local_id.like(f"{prefix}-%"))
                .group_by(Record.local_id)
            ).all()
            return dict(rows)
        finally:
            db.session.remove()


def _assert_exactly_once(instance, prefix: str, rows: int, job: dict[str, Any]) -> None:
    counted = _local_ids(instance, prefix)
    assert {local_id: n for local_id, n in counted.items() if n > 1} == {}
    assert len(counted) == rows
    assert job["counts"]["created"] == rows and job["counts"]["failed"] == 0, job["counts"]
    created = [entry["local_id"] for entry in job["report"] if entry.get("outcome") == "created"]
    assert len(created) == rows and len(set(created)) == rows
    assert set(created) == set(counted)


def _holder_pid(job: dict[str, Any]) -> int:
    return int(job["lease_holder"].rsplit(":", 1)[1])


def test_a_worker_killed_mid_import_leaves_the_job_to_another(
    postgres, redis_server, make_fault_instance, tmp_path
):
    rows = 3000
    instance = make_fault_instance(
        postgres.create_database("faults_import_kill"), redis_url=redis_server.url, settings=LEASE
    )
    workers = [instance.worker(wait=False), instance.worker(wait=False)]
    instance.ready()
    public_id = _start(instance, _table(tmp_path / "kill.csv", "KILL", rows))

    running = _wait(
        instance,
        public_id,
        lambda job: job["state"] == JobState.RUNNING and job["processed_rows"] >= 1000,
        90,
        "two batches committed",
    )
    holder = _holder_pid(running)
    # The lease names the Huey worker process running the task: a child of one of the two
    # ``huiku worker`` consumers, not the consumer itself.
    owner = [worker for worker in workers if holder in worker.children()]
    assert len(owner) == 1, (holder, [(w.pid, w.children()) for w in workers])
    assert holder not in {worker.pid for worker in workers}
    os.kill(holder, signal.SIGKILL)
    killed_at = time.monotonic()

    job = _finished(instance, public_id, 60)
    took = time.monotonic() - killed_at
    assert all(worker.alive() for worker in workers), instance.logs()
    assert job["state"] == JobState.SUCCEEDED, job["error"]
    assert job["attempts"] >= 2
    assert job["processed_rows"] == rows
    _assert_exactly_once(instance, "KILL", rows, job)
    print(f"kill -9 at {running['processed_rows']} rows; finished {took:.1f} s after the kill")


def test_postgresql_restarted_mid_import(postgres, redis_server, make_fault_instance, tmp_path):
    rows = 2000
    database = "faults_import_pg"
    instance = make_fault_instance(
        postgres.create_database(database), redis_url=redis_server.url, settings=LEASE
    )
    instance.worker(wait=False)
    instance.worker(wait=False)
    instance.ready()
    public_id = _start(instance, _table(tmp_path / "pg.csv", "PGR", rows))
    before = _wait(
        instance,
        public_id,
        lambda job: job["state"] == JobState.RUNNING and job["processed_rows"] >= 500,
        90,
        "a batch committed",
    )
    with instance.app.app_context():
        db.engine.dispose()
    postgres.restart()
    restarted_at = time.monotonic()

    # Within 60 s the job has ended, or is going on under a lease that is not out of date.
    def settled(job: dict[str, Any]) -> bool:
        if job["state"] in JobState.final():
            return True
        return (
            job["state"] == JobState.RUNNING
            and job["lease_expires_at"] is not None
            and job["lease_expires_at"] > utcnow()
            and job["processed_rows"] > before["processed_rows"]
        )

    _wait(instance, public_id, settled, 60, "the job ended or went on under a fresh lease")
    settled_in = time.monotonic() - restarted_at
    job = _finished(instance, public_id, 90)
    took = time.monotonic() - restarted_at
    if job["state"] == JobState.FAILED:
        # Stopped with a clear message; what was written stays, and a retry finishes it.
        assert "stopped unexpectedly" in job["error"], job["error"]
        counted = _local_ids(instance, "PGR")
        assert all(n == 1 for n in counted.values())
        assert len(counted) == job["counts"]["created"] == job["processed_rows"]
        with instance.app.app_context():
            try:
                retry_import(
                    db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
                )
            finally:
                db.session.remove()
        job = _finished(instance, public_id, 60)
    assert job["state"] == JobState.SUCCEEDED, job["error"]
    _assert_exactly_once(instance, "PGR", rows, job)
    print(
        f"restart at {before['processed_rows']} rows; settled {settled_in:.1f} s and ended "
        f"{took:.1f} s after it; attempts {job['attempts']}"
    )


def test_redis_restarted_mid_import(postgres, redis_server, make_fault_instance, tmp_path):
    """One consumer with one worker process: the first job runs, the second waits in Redis.
    Restarting Redis loses the second one's task; the recovery pass enqueues it again."""
    rows = 1000
    instance = make_fault_instance(
        postgres.create_database("faults_import_redis"),
        redis_url=redis_server.url,
        settings=LEASE,
    )
    worker = instance.worker()
    first = _start(instance, _table(tmp_path / "a.csv", "RDA", rows))
    second = _start(instance, _table(tmp_path / "b.csv", "RDB", rows))
    _wait(
        instance,
        first,
        lambda job: job["state"] == JobState.RUNNING and job["processed_rows"] >= 500,
        90,
        "a batch committed",
    )
    assert _job(instance, second)["state"] == JobState.QUEUED
    redis_server.restart()
    restarted_at = time.monotonic()

    jobs = [_finished(instance, public_id, 60) for public_id in (first, second)]
    took = time.monotonic() - restarted_at
    assert worker.alive(), instance.logs()
    for job, prefix in zip(jobs, ("RDA", "RDB"), strict=True):
        assert job["state"] == JobState.SUCCEEDED, job["error"]
        _assert_exactly_once(instance, prefix, rows, job)
    print(f"both jobs ended {took:.1f} s after the restart")
