"""Several machines in front of the same services: two ``huiku serve`` and two ``huiku worker``
processes, each with a storage folder of its own, sharing only PostgreSQL, Redis,
Elasticsearch and an S3 bucket (docs/storage.md, docs/deployment.md).

What one server accepts, the workers process and the other server shows; what one server
renders, the other sends from the shared cache; a worker killed mid-import costs the other one
only the time to take the job up.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import signal
import time
from urllib.parse import urlsplit

import pytest
import requests

from repository.models import JobState
from tests.conftest import service_url
from tests.faults.test_import_faults import _assert_exactly_once, _finished, _holder_pid, _wait
from tests.ingest.imports.conftest import jpeg, zip_bytes
from tests.storage.s3_server import object_names

pytestmark = pytest.mark.faults

LEASE = "JOB_LEASE_SECONDS = 20\n"
IMAGES = {f"p{n}.jpg": jpeg((640, 480), colour) for n, colour in enumerate(["olive", "teal"])}


@pytest.fixture
def cluster(postgres, redis_server, make_fault_instance, s3_settings, tmp_path):
    """An instance whose processes each get their own local storage and IIIF cache."""
    elasticsearch = service_url("HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch")
    if not elasticsearch:
        pytest.skip("no Elasticsearch (set HUIKU_TEST_ELASTICSEARCH_URL)")
    instance = make_fault_instance(
        postgres.create_database(f"faults_multi_node_{secrets.token_hex(4)}"),
        redis_url=redis_server.url,
        elasticsearch_url=elasticsearch,
        settings=LEASE,
    )
    instance.env.update(
        {
            "HUIKU_S3_BUCKET": s3_settings.bucket,
            "HUIKU_S3_ENDPOINT_URL": s3_settings.endpoint_url,
            "HUIKU_S3_PREFIX": s3_settings.prefix,
            "HUIKU_S3_REGION": s3_settings.region,
            "HUIKU_S3_ADDRESSING_STYLE": "path",
            **{key: os.environ[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")},
        }
    )
    instance.s3 = s3_settings
    return instance


def _machine(instance, name: str) -> None:
    """The next process started is a machine of its own: its own disk."""
    machine = instance.root / "machines" / name
    instance.env["HUIKU_STORAGE_ROOT"] = str(machine / "storage")
    instance.env["HUIKU_IIIF_CACHE_ROOT"] = str(machine / "iiif-cache")


def _table(rows: int, prefix: str, *, images: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["local_id", "title", "scientific_name", "kingdom", "images"])
    for number in range(1, rows + 1):
        picture = f"p{number - 1}.jpg" if images and number <= len(IMAGES) else ""
        local_id = f"{prefix}-{number:05d}"
        writer.writerow([local_id, f"红松 {number}", "Pinus koraiensis", "植物", picture])
    return out.getvalue().encode("utf-8")


def _upload(instance, server: str, table: bytes, images: bytes | None = None) -> str:
    files = {"table": ("plants.csv", table, "text/csv")}
    if images is not None:
        files["images"] = ("pictures.zip", images, "application/zip")
    answer = requests.post(
        f"{server}/api/collections/{instance.collection}/imports",
        headers={"Authorization": f"Bearer {instance.token}"},
        data={"publish": "1"},
        files=files,
        timeout=60,
    )
    assert answer.status_code == 202, answer.text[:500]
    return answer.json()["id"]


def _eventually(check, timeout: float, what: str, instance):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} within {timeout} s\n{instance.logs()}"
        time.sleep(0.5)


def test_two_servers_and_two_workers_share_only_the_services(cluster):
    instance = cluster
    _machine(instance, "a")
    server_a = instance.serve(wait=False)
    _machine(instance, "b")
    server_b = instance.serve(wait=False)
    _machine(instance, "w1")
    instance.worker(wait=False)
    _machine(instance, "w2")
    instance.worker(wait=False)
    instance.ready()

    # An import with pictures, uploaded to A, is run by a worker and read through B.
    public_id = _upload(instance, server_a, _table(6, "MN", images=True), zip_bytes(IMAGES))
    job = _finished(instance, public_id, 120)
    assert job["state"] == JobState.SUCCEEDED, job["error"]
    assert job["counts"]["created"] == 6 and job["counts"].get("published") == 6
    status = requests.get(
        f"{server_b}/api/imports/{public_id}",
        headers={"Authorization": f"Bearer {instance.token}"},
        timeout=30,
    )
    assert status.status_code == 200 and status.json()["state"] == "succeeded"

    # The published records are found through B's search.
    def found_through_b():
        answer = requests.get(
            f"{server_b}/api/search",
            params={"q": "红松", "collection": instance.collection},
            timeout=30,
        )
        return answer.status_code == 200 and answer.json()["total"] == 6 and answer.json()

    hits = _eventually(found_through_b, 60, "B's search finds the six records", instance)
    record = next(hit for hit in hits["hits"] if hit["title"] == "红松 1")

    # B's manifest of a record with a picture, whose image service B and A both answer.
    manifest = requests.get(f"{server_b}/iiif/3/manifests/{record['id']}", timeout=30)
    assert manifest.status_code == 200, manifest.text[:300]
    canvas = manifest.json()["items"][0]
    body = canvas["items"][0]["items"][0]["body"]
    service = body["service"][0]["id"]
    region = "/0,0,256,256/128,/0/default.jpg"

    def rendered(server: str) -> requests.Response:
        return requests.get(server + urlsplit(service).path + region, timeout=60)

    def derivatives_ready():
        answer = rendered(server_b)
        return answer.status_code == 200 and answer

    from_b = _eventually(derivatives_ready, 60, "B renders a tile", instance)
    cached = [name for name in object_names(instance.s3) if "/iiif-cache/" in name]
    assert cached, "B's rendering is kept in the bucket"
    from_a = rendered(server_a)
    assert from_a.status_code == 200 and from_a.content == from_b.content
    assert from_a.headers["Content-Type"] == "image/jpeg"


def test_a_worker_killed_mid_import_through_one_server_is_finished_by_the_other(cluster):
    instance = cluster
    _machine(instance, "a")
    server_a = instance.serve(wait=False)
    workers = []
    for name in ("w1", "w2"):
        _machine(instance, name)
        workers.append(instance.worker(wait=False))
    instance.ready()
    rows = 2000  # four batches: two or more committed before the kill, the rest after it
    public_id = _upload(instance, server_a, _table(rows, "MNK"))
    running = _wait(
        instance,
        public_id,
        lambda job: job["state"] == JobState.RUNNING and job["processed_rows"] >= 1000,
        120,
        "two batches committed",
    )
    os.kill(_holder_pid(running), signal.SIGKILL)
    job = _finished(instance, public_id, 90)
    assert job["state"] == JobState.SUCCEEDED, job["error"]
    assert job["attempts"] >= 2 and job["processed_rows"] == rows
    _assert_exactly_once(instance, "MNK", rows, job)
