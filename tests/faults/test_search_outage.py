"""Elasticsearch unreachable while reviewers publish: the records are saved, the index catches up.

The served app's save finds the engine gone (its proxy is stopped), keeps the index work in the
outbox; the recovery pass of a real ``huiku worker`` on the private Redis applies it once the
engine is back, without anyone running ``huiku search sync``.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Record, RecordStatus
from search.engine import search_backend
from search.indexing import reindex

pytestmark = pytest.mark.faults


def _published(instance) -> int:
    with instance.app.app_context():
        try:
            return db.session.scalar(
                select(func.count(Record.id)).where(Record.status == RecordStatus.PUBLISHED)
            )
        finally:
            db.session.remove()


def test_records_published_while_the_engine_is_unreachable_are_found_once_it_is_back(
    postgres, redis_server, elasticsearch_proxy, make_fault_instance, browser
):
    instance = make_fault_instance(
        postgres.create_database("faults_search_outage"),
        redis_url=redis_server.url,
        elasticsearch_url=elasticsearch_proxy.url(),
        # Saves stay quiet for the whole outage below, leaving the rows to the worker.
        settings="SEARCH_RETRY_SECONDS = 8.0\n",
    )
    instance.serve(workers=1, wait=False)
    worker = instance.worker(wait=False)
    with instance.app.app_context():
        reindex(search_backend())  # an empty index behind the instance's alias
        db.session.remove()
    instance.ready()
    reviewer = browser(instance.base_url)
    reviewer.sign_in(instance.admin_email)

    before = instance.submitted_record("ES-1", "故障前人参")
    assert reviewer.publish(before).status_code == 302
    assert instance.search_total() == 1  # applied by the save itself

    during = [instance.submitted_record(f"ES-{n}", f"故障中人参{n}") for n in (2, 3, 4)]
    elasticsearch_proxy.stop()
    for public_id in during:
        started = time.monotonic()
        answer = reviewer.publish(public_id)
        assert answer.status_code == 302, answer.text[:500]
        assert time.monotonic() - started < 10, "publishing waited on the unreachable engine"
        page = reviewer.get(f"/records/{public_id}")
        assert page.status_code == 200 and "故障中人参" in page.text
    assert _published(instance) == 4
    assert instance.outbox_rows() == 3  # the index work waits, nothing lost
    assert reviewer.get("/api/search").status_code == 503  # search says it is unavailable

    elasticsearch_proxy.start()
    # Nobody runs ``huiku search sync``: the worker's recovery pass (every 10 s) applies the
    # rows once their next attempt has come.
    deadline = time.monotonic() + 40
    while instance.outbox_rows() or instance.search_total() != 4:
        assert worker.alive(), instance.logs()
        assert time.monotonic() < deadline, (
            f"outbox {instance.outbox_rows()}, found {instance.search_total()}\n{instance.logs()}"
        )
        time.sleep(0.5)
    assert _published(instance) == 4
