"""Redis restarted under a running ``huiku worker``: the worker survives and lost work still runs.

Redis keeps no data here, so its restart loses every queued and scheduled task, as a production
Redis without persistence does. The work those tasks stood for is in the database (here: the
search outbox row of a record published while the engine was unreachable), and the worker's own
scheduler brings it back: the recovery pass it enqueues every 10 s on the new Redis and runs in
the same worker process.
"""

from __future__ import annotations

import time

import pytest
import redis

from repository.extensions import db
from search.engine import search_backend
from search.indexing import reindex

pytestmark = pytest.mark.faults


def test_a_worker_survives_a_redis_restart_and_the_lost_work_is_done(
    postgres, redis_server, elasticsearch_proxy, make_fault_instance, browser
):
    instance = make_fault_instance(
        postgres.create_database("faults_redis_restart"),
        redis_url=redis_server.url,
        elasticsearch_url=elasticsearch_proxy.url(),
    )
    worker = instance.worker(wait=False)
    instance.serve(workers=1, wait=False)
    with instance.app.app_context():
        reindex(search_backend())
        db.session.remove()
    instance.ready()
    reviewer = browser(instance.base_url)
    reviewer.sign_in(instance.admin_email)
    record = instance.submitted_record("RD-1", "队列丢失人参")

    elasticsearch_proxy.stop()
    assert reviewer.publish(record).status_code == 302
    assert instance.outbox_rows() == 1

    redis_server.restart()
    client = redis.Redis(port=redis_server.port)
    try:
        assert client.dbsize() == 0 or not client.keys("*schedule*")  # the queue is empty
    finally:
        client.close()
    elasticsearch_proxy.start()
    time.sleep(3)  # the worker meets the restarted Redis: one failed read, then it goes on
    assert worker.alive(), instance.logs()

    # Nothing is left in the queue: the consumer's recovery pass applies the outbox (within
    # 10 s, plus the row's pause if a pass found the engine still away).
    deadline = time.monotonic() + 40
    while instance.outbox_rows() or instance.search_total() != 1:
        assert worker.alive(), instance.logs()
        assert time.monotonic() < deadline, instance.logs()
        time.sleep(1)
