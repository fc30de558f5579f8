"""Object storage that cannot be used refuses uploads whole, saying why in both languages.

"Stopped" is a real TCP proxy in front of the S3 server, killed, so the app finds nothing
listening while the test still looks into the bucket directly; "missing" is a bucket deleted
(or never made). Either way: no record or job row, no object and no local file left behind.
"""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from ingest.imports import run_import, start_import
from repository.extensions import db
from repository.images import s3
from repository.images.s3 import S3Settings, S3Store
from repository.images.storage_errors import STORING, StorageUnavailable
from repository.models import Asset, IngestJob, JobState, Record, RecordStatus
from repository.services import records
from tests.ingest.api_client import issue_token
from tests.ingest.imports.conftest import HEADERS, ROWS, csv_bytes, default_images, zip_bytes
from tests.ingest.imports.test_pages import upload
from tests.ingest.test_record_form import FIELDS, post_new
from tests.storage.s3_server import object_names, raw_client
from tests.storage.test_s3_end_to_end import picture_bytes

PROXY = Path(__file__).parents[1] / "faults" / "tcp_proxy.py"


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Proxy:
    """The S3 server as the app reaches it: through a proxy process that can be stopped."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(PROXY), str(self.port), parts.hostname, str(parts.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process.stdout.close()


@pytest.fixture
def proxied(s3_app: Flask, s3_url: str) -> Iterator[Proxy]:
    proxy = Proxy(s3_url)
    s3_app.config["S3_ENDPOINT_URL"] = proxy.url
    try:
        yield proxy
    finally:
        proxy.stop()


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def local_files(app: Flask, folder: str) -> list[Path]:
    path = Path(app.config["STORAGE_ROOT"]) / folder
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []


def test_uploads_work_through_the_proxy_until_the_server_stops(
    s3_app, proxied, login, collection, contributor, s3_settings: S3Settings
):
    browser = login(contributor)
    saved = post_new(browser, FIELDS, [("one.jpg", picture_bytes((300, 200)))])
    assert saved.status_code == 302
    before = object_names(s3_settings)

    proxied.stop()
    second = {**FIELDS, "local_id": "CBS-0002"}
    response = post_new(browser, second, [("two.jpg", picture_bytes((200, 300)))])

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "未保存任何内容" in page and "无法连接对象存储" in page
    assert 'value="CBS-0002"' in page  # the form comes back with what was typed
    assert (count(Record), count(Asset)) == (1, 1)
    assert object_names(s3_settings) == before
    assert len(local_files(s3_app, "originals")) == 1  # only the first image's copy


def test_a_missing_bucket_is_named_and_nothing_is_kept(
    s3_app, login, collection, contributor, s3_settings: S3Settings
):
    raw_client(s3_settings).delete_bucket(Bucket=s3_settings.bucket)

    response = post_new(login(contributor), FIELDS, [("one.jpg", picture_bytes((300, 200)))])

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert f"存储桶“{s3_settings.bucket}”不存在" in page and "保存图片时出错" in page
    assert (count(Record), count(Asset)) == (0, 0)
    assert local_files(s3_app, "originals") == []
    assert local_files(s3_app, "derivatives") == []


def test_the_api_answers_503_in_both_languages(
    s3_app, proxied, client, collection, contributor, make_record
):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)
    proxied.stop()

    response = client.post(
        f"/api/records/{record.public_id}/images",
        data={"images": [(io.BytesIO(picture_bytes((300, 200))), "a.jpg")]},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {issue_token(contributor)}"},
    )

    assert response.status_code == 503
    body = response.get_json()
    assert (
        "Nothing was saved: storing the images failed because the object storage" in (body["error"])
    )
    assert "cannot be reached" in body["error"] and "无法连接对象存储" in body["message"]
    assert count(Asset) == 0


def test_an_import_is_refused_before_a_job_exists(
    s3_app, proxied, login, collection, contributor, s3_settings: S3Settings
):
    browser = login(contributor)
    proxied.stop()

    response = upload(
        browser, csv_bytes([HEADERS, *ROWS]), images=zip_bytes(default_images()), mode="import"
    )

    page = response.get_data(as_text=True)
    assert response.status_code != 302
    assert "接收上传的文件时出错" in page and "无法连接对象存储" in page
    assert count(IngestJob) == 0
    assert object_names(s3_settings) == []
    assert local_files(s3_app, "imports") == []


def test_an_import_whose_bucket_vanished_keeps_nothing_half_stored(
    s3_app, login, collection, contributor, s3_settings: S3Settings
):
    raw_client(s3_settings).delete_bucket(Bucket=s3_settings.bucket)

    response = upload(login(contributor), csv_bytes([HEADERS, *ROWS]), mode="import")

    assert f"存储桶“{s3_settings.bucket}”不存在" in response.get_data(as_text=True)
    assert count(IngestJob) == 0
    assert local_files(s3_app, "imports") == []


def test_a_failed_put_leaves_no_local_copy_claiming_the_original(s3_settings: S3Settings, tmp_path):
    store = S3Store(tmp_path / "copies", s3_settings)
    raw_client(s3_settings).delete_bucket(Bucket=s3_settings.bucket)

    with pytest.raises(OSError) as caught:
        store.put_original(io.BytesIO(picture_bytes((120, 80))))

    assert sorted(p for p in (tmp_path / "copies").rglob("*") if p.is_file()) == []
    refusal = StorageUnavailable(STORING, caught.value)
    assert refusal.status == 503
    assert str(refusal).startswith(
        f"Nothing was saved: storing the images failed because the storage bucket "
        f"“{s3_settings.bucket}” does not exist."
    )
    assert f"存储桶“{s3_settings.bucket}”不存在" in refusal.message.zh


def test_while_the_server_is_stopped_readers_get_pages_and_the_copies_there_are(
    s3_app, proxied, client, login, collection, contributor, make_user, tmp_path, monkeypatch
):
    saved = post_new(login(contributor), FIELDS, [("one.jpg", picture_bytes((300, 200)))])
    assert saved.status_code == 302
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    admin = make_user("admin", library=record.library)
    records.submit_record(admin, record)
    records.publish_record(admin, record)
    [asset] = record.assets
    thumbnail = f"/assets/{asset.public_id}/thumb-200.jpg"
    assert client.get(thumbnail).status_code == 200

    proxied.stop()
    monkeypatch.setattr(s3, "RECHECK_SECONDS", 0)  # every read asks the bucket, which is gone

    assert client.get(f"/records/{record.public_id}").status_code == 200
    assert client.get(thumbnail).status_code == 200  # this machine's copy, unchecked
    s3_app.config["STORAGE_ROOT"] = str(tmp_path / "a-machine-without-copies")
    assert client.get(f"/records/{record.public_id}").status_code == 200
    assert client.get(thumbnail).status_code == 404  # no image, but no error page either


def test_an_import_whose_worker_cannot_reach_the_server_fails_with_the_reason(
    s3_app, proxied, collection, contributor, tmp_path
):
    table = tmp_path / "plants.csv"
    table.write_bytes(csv_bytes([HEADERS, *ROWS]))
    job = start_import(contributor, collection, table, None, dry_run=False)
    s3_app.config["STORAGE_ROOT"] = str(tmp_path / "worker")  # a worker without the upload
    proxied.stop()

    with contextlib.suppress(OSError):
        job = run_import(db.session.get(IngestJob, job.id))

    db.session.expire_all()
    job = db.session.get(IngestJob, job.id)
    assert job.state is JobState.FAILED
    assert "the object storage" in job.error and "cannot be reached" in job.error
    assert "retry" in job.error  # English where logs and the CLI read it
    assert "请重试" in job.error_message.localized("zh_Hans_CN")
    assert count(Record) == 0
