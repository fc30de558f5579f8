"""PostgreSQL restarted under a served Huiku: the next requests of every worker succeed.

gunicorn's workers hold pooled connections that a restart cuts; ``pool_pre_ping`` must replace
them before use, so no reader or API client sees the restart afterwards.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Record, RecordRevision
from tests.factories import SAMPLE_METADATA

pytestmark = pytest.mark.faults


def _record(instance, base_url: str, local_id: str) -> str:
    """A draft made through the JSON API; answers its public id."""
    answer = requests.post(
        f"{base_url}/api/collections/{instance.collection}/records",
        json={"metadata": {**SAMPLE_METADATA["natural_history"], "local_id": local_id}},
        headers={"Authorization": f"Bearer {instance.token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text[:500]
    return answer.json()["id"]


def _many(base_url: str, paths: list[str], token: str, rounds: int) -> list[tuple[str, int]]:
    """Requests from 8 clients at once, so every gunicorn worker and thread gets some."""

    def fetch(path: str) -> tuple[str, int]:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        return path, requests.get(base_url + path, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(fetch, paths * rounds))


def _app_connections(postgres, database: str) -> int:
    with psycopg.connect(
        host="127.0.0.1", port=postgres.port, user="huiku", dbname="postgres", autocommit=True
    ) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]


def test_every_worker_answers_after_postgresql_restarts(postgres, make_fault_instance):
    instance = make_fault_instance(postgres.create_database("faults_pg_restart"))
    with instance.app.app_context():
        db.engine.dispose()  # this process holds no connection across the restart
    base = instance.serve(workers=2)
    public_id = _record(instance, base, "PG-1")
    paths = ["/", f"/collections/{instance.collection}", f"/api/records/{public_id}"]

    before = _many(base, paths, instance.token, rounds=6)
    assert {status for _, status in before} == {200}, before
    assert _app_connections(postgres, "faults_pg_restart") >= 2  # both workers hold connections

    postgres.restart()

    after = _many(base, paths, instance.token, rounds=12)
    assert [item for item in after if item[1] != 200] == [], instance.logs()
    # Writing works too, and what was written before the restart is all there.
    _record(instance, base, "PG-2")
    answer = requests.get(
        f"{base}/api/records/{public_id}",
        headers={"Authorization": f"Bearer {instance.token}"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["metadata"]["local_id"] == "PG-1"

    # While the database is down, a reader gets an error page quickly, never a traceback.
    postgres.stop()
    try:
        started = time.monotonic()
        page = requests.get(f"{base}/collections/{instance.collection}", timeout=60)
        api = requests.get(
            f"{base}/api/records/{public_id}",
            headers={"Authorization": f"Bearer {instance.token}"},
            timeout=60,
        )
        waited = time.monotonic() - started
        write = requests.post(
            f"{base}/api/collections/{instance.collection}/records",
            json={"metadata": {**SAMPLE_METADATA["natural_history"], "local_id": "PG-DOWN"}},
            headers={"Authorization": f"Bearer {instance.token}"},
            timeout=60,
        )
    finally:
        postgres.start()
    for answer in (page, api, write):  # a reader may try again: 503 with Retry-After
        assert answer.status_code == 503, answer.status_code
        assert answer.headers["Retry-After"] == "30"
        assert "Traceback" not in answer.text and "psycopg" not in answer.text
    assert "数据库暂时无法连接" in page.text
    assert api.json()["error"].startswith("The database cannot be reached")
    assert waited < 20, f"requests while PostgreSQL was down took {waited:.1f} s"

    again = _many(base, paths, instance.token, rounds=4)
    assert [item for item in again if item[1] != 200] == [], instance.logs()
    # The write refused while the database was down left nothing behind; the others are whole.
    with instance.app.app_context():
        local_ids = db.session.scalars(select(Record.local_id).order_by(Record.local_id)).all()
        revisions = db.session.scalar(select(func.count(RecordRevision.id)))
        db.session.remove()
    assert local_ids == ["PG-1", "PG-2"]
    assert revisions == 2
