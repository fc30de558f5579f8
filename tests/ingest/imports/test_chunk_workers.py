"""A large import in chunks on two real ``huiku worker`` processes (PostgreSQL, Redis).

Both workers take chunks of the same job at once; a worker process killed with ``kill -9``
while it holds a chunk leaves that chunk to the other, which continues after its last
committed batch; a cancel stops every chunk and a retry finishes only what was left. Every
row ends up in the database exactly once and the report is in file order. The instance runs
with chunks of 1,500 rows, a 6 s lease and a recovery pass every 2 s to keep this short.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from ingest.imports.jobs import cancel_import, find_job, retry_import
from repository.extensions import db
from repository.models import IngestJob, JobState, Record
from repository.models.jobs import ImportChunk
from tests.faults import conftest as faults
from tests.faults.test_import_faults import _finished, _job, _start, _table, _wait

# The fault suite's private Redis (a restart-free redis-server of its own) and instances.
_private_redis = faults._private_redis
redis_server = faults.redis_server
make_fault_instance = faults.make_fault_instance

SETTINGS = "JOB_LEASE_SECONDS = 6\nIMPORT_CHUNK_ROWS = 1500\n"
ROWS = 6000  # four chunks


@pytest.fixture
def worker_database() -> Any:
    """A database of its own on the test PostgreSQL, for an instance its workers share."""
    base = os.environ.get("HUIKU_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set HUIKU_TEST_DATABASE_URL)")
    url = make_url(base)
    name = f"{url.database}_chunk_workers"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _chunks(instance) -> list[dict[str, Any]]:
    with instance.app.app_context():
        try:
            found = db.session.scalars(select(ImportChunk).order_by(ImportChunk.id)).all()
            return [
                {
                    "number": chunk.number,
                    "state": chunk.state,
                    "holder": chunk.lease_holder,
                    "processed": chunk.processed_rows,
                    "rows": chunk.rows,
                    "attempts": chunk.attempts,
                }
                for chunk in found
            ]
        finally:
            db.session.remove()


def _each_row_once(instance, prefix: str, rows: int, job: dict[str, Any]) -> None:
    with instance.app.app_context():
        try:
            counted = dict(
                db.session.execute(
                    select(Record.local_id, func.count(Record.id)).group_by(Record.local_id)
                ).all()
            )
        finally:
            db.session.remove()
    assert {local_id: n for local_id, n in counted.items() if n > 1} == {}
    assert sorted(counted) == [f"{prefix}-{n:05d}" for n in range(1, rows + 1)]
    assert job["counts"]["created"] == rows and job["counts"]["failed"] == 0, job["counts"]
    created = [entry["local_id"] for entry in job["report"] if entry["outcome"] == "created"]
    assert created == sorted(counted)  # once each, in file order
    assert [entry["row"] for entry in job["report"]] == list(range(2, rows + 2))


def _service(instance, public_id: str, action) -> None:
    with instance.app.app_context():
        try:
            action(find_job(public_id))
        finally:
            db.session.remove()


def test_two_workers_share_the_chunks_and_a_killed_one_leaves_its_chunk_to_the_other(
    worker_database, redis_server, make_fault_instance, tmp_path
):
    instance = make_fault_instance(worker_database, redis_url=redis_server.url, settings=SETTINGS)
    workers = [instance.worker(wait=False), instance.worker(wait=False)]
    instance.ready()
    public_id = _start(instance, _table(tmp_path / "big.csv", "BIG", ROWS))

    owners_seen: set[int] = set()  # which of the two workers held a chunk of the job

    def note_holders() -> list[dict[str, Any]]:
        chunks = _chunks(instance)
        for chunk in chunks:
            if chunk["holder"]:
                pid = int(chunk["holder"].rsplit(":", 1)[1])
                owners_seen.update(i for i, w in enumerate(workers) if pid in w.children())
        return chunks

    victim = None
    deadline = time.monotonic() + 120
    while victim is None:
        assert time.monotonic() < deadline, f"no chunk half done: {_chunks(instance)}"
        for chunk in note_holders():
            if chunk["state"] == JobState.RUNNING and 500 <= chunk["processed"] < chunk["rows"]:
                victim = chunk
        time.sleep(0.1)
    pid = int(victim["holder"].rsplit(":", 1)[1])
    owners = [worker for worker in workers if pid in worker.children()]
    assert len(owners) == 1, (pid, [(w.pid, w.children()) for w in workers])
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    while _job(instance, public_id)["state"] not in JobState.final():
        assert time.monotonic() - killed_at < 90, f"{_chunks(instance)}\n{instance.logs()}"
        note_holders()
        time.sleep(0.2)
    job = _job(instance, public_id)
    assert job["state"] == JobState.SUCCEEDED, job["error"]
    assert all(worker.alive() for worker in workers), instance.logs()
    chunks = _chunks(instance)
    assert [chunk["rows"] for chunk in chunks] == [1500] * 4
    assert all(chunk["state"] == JobState.SUCCEEDED for chunk in chunks)
    taken_up = next(chunk for chunk in chunks if chunk["number"] == victim["number"])
    assert taken_up["attempts"] >= 2
    assert job["processed_rows"] == ROWS and job["attempts"] == 1
    assert owners_seen == {0, 1}  # both ``huiku worker`` processes ran chunks of the job
    _each_row_once(instance, "BIG", ROWS, job)
    print(
        f"killed chunk {victim['number']} at {victim['processed']} rows; ended "
        f"{time.monotonic() - killed_at:.1f} s later"
    )


def test_a_cancel_stops_every_chunk_and_a_retry_finishes_the_rest(
    worker_database, redis_server, make_fault_instance, tmp_path
):
    instance = make_fault_instance(worker_database, redis_url=redis_server.url, settings=SETTINGS)
    instance.worker(wait=False)
    instance.worker(wait=False)
    instance.ready()
    public_id = _start(instance, _table(tmp_path / "cancel.csv", "CAN", ROWS))

    def some_done(job: dict[str, Any]) -> bool:
        return sum(chunk["processed"] for chunk in _chunks(instance)) >= 1000

    _wait(instance, public_id, some_done, 120, "a thousand rows written")
    _service(instance, public_id, cancel_import)
    job = _finished(instance, public_id, 60)
    assert job["state"] == JobState.CANCELLED, job["error"]
    chunks = _chunks(instance)
    assert all(chunk["state"] in (JobState.CANCELLED, JobState.SUCCEEDED) for chunk in chunks)
    assert any(chunk["state"] == JobState.CANCELLED for chunk in chunks)
    assert all(chunk["holder"] is None for chunk in chunks)
    with instance.app.app_context():
        try:
            written = db.session.scalar(select(func.count(Record.id)))
            stopped = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
            assert written == stopped.processed_rows == stopped.counts["created"] < ROWS
        finally:
            db.session.remove()

    _service(instance, public_id, retry_import)
    job = _finished(instance, public_id, 90)
    assert job["state"] == JobState.SUCCEEDED, job["error"]
    _each_row_once(instance, "CAN", ROWS, job)
