"""The deployment profile (docs/nginx-iiif.conf) in a real nginx, on local disk and on S3.

Huiku answers the first request for a tile or a manifest and keeps it under its URL; from then
on nginx sends it without asking Huiku, with the headers Huiku gives it. A record that stops
being public takes its kept answers with it, so nginx must ask Huiku again, which says 404.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import boto3
import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from iiif import public_http
from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.app import create_app
from repository.extensions import db
from repository.models import User
from repository.services import accounts, collections, records
from repository.services.records import get_record
from tests.conftest import REQUIRE_SERVICES, service_url
from tests.factories import PASSWORD, SAMPLE_METADATA, jpeg_bytes
from tests.iiif.nginx_profile import Profile, find_nginx, free_port, nginx

TILE = "0,0,512,512/256,256/0/default.jpg"
FULL_RESOLUTION_TILE = "0,0,256,256/256,256/0/default.jpg"  # canonically .../max/...
T = TypeVar("T")

PRESENTATION = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'


@dataclass
class Site:
    app: Flask
    url: str  # nginx, the backend's server
    counter: list[str]  # paths that reached Huiku
    record_id: str
    asset_id: str
    bucket: str | None

    def kept(self) -> list[str]:
        """What is kept for nginx: files under the public tree, or objects in the bucket."""
        if self.bucket is None:
            root = Path(self.app.config["IIIF_CACHE_ROOT"]) / "public"
            return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        client = boto3.client("s3", endpoint_url=self.app.config["S3_ENDPOINT_URL"])
        listed = client.list_objects_v2(Bucket=self.bucket, Prefix="huiku/public/")
        names = [item["Key"] for item in listed.get("Contents", ())]
        return sorted(name.removeprefix("huiku/public/") for name in names)


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        connection.request(method, "/" + path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def counting(app: Flask, seen: list[str]):
    """The WSGI app with a note of every path that reached it (nginx's misses)."""
    inner = app.wsgi_app

    def wsgi(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    return wsgi


@contextlib.contextmanager
def running_profile(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, publish: Callable[[], T]
) -> Iterator[tuple[Flask, str, list[str], T, str | None]]:
    """Huiku (SQLite, public answers kept) behind Debian's nginx in the deployment profile, its
    files on ``backend`` ("disk" or "s3"), filled by ``publish``.

    Yields the app, the address of the backend's nginx server, the paths that reached Huiku,
    what ``publish`` returned, and the bucket (None on disk).
    """
    if find_nginx() is None:
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (scripts/services/nginx.sh ensure)")
        pytest.skip("nginx is not installed (scripts/services/nginx.sh ensure)")
    ports = {name: free_port() for name in ("app", "disk", "s3", "static")}
    database = f"sqlite:///{tmp_path / 'huiku.sqlite3'}"
    config = {
        "DATABASE_URL": database,
        "SQLALCHEMY_DATABASE_URI": database,
        "SECRET_KEY": "nginx-profile-test",
        "STORAGE_ROOT": str(tmp_path / "storage"),
        "SEARCH_INDEX_PATH": str(tmp_path / "search.sqlite3"),
        "IIIF_CACHE_ROOT": str(tmp_path / "iiif-cache"),
        "ELASTICSEARCH_URL": None,
        "TASKS_IMMEDIATE": True,
        "IIIF_PUBLIC_ANSWERS": True,
        "BASE_URL": f"http://127.0.0.1:{ports[backend]}",
    }
    bucket = None
    s3_url = "http://127.0.0.1:9"
    if backend == "s3":
        s3_url = service_url("HUIKU_TEST_S3_URL", "An S3 server")
        if not s3_url:
            pytest.skip("HUIKU_TEST_S3_URL is not set (scripts/services/s3.sh start)")
        bucket = f"huiku-nginx-{free_port()}"
        for variable, value in (("AWS_ACCESS_KEY_ID", "t"), ("AWS_SECRET_ACCESS_KEY", "t")):
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        make_public_bucket(s3_url, bucket)
        config.update(
            S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_url, S3_PREFIX="huiku", S3_REGION="us-east-1"
        )
        config["S3_ADDRESSING_STYLE"] = "path"
    app = create_app(config)
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade()
        published = publish()
        db.session.remove()
    seen: list[str] = []
    server = make_server("127.0.0.1", ports["app"], counting(app, seen), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    profile = Profile(
        app_port=ports["app"],
        disk_port=ports["disk"],
        s3_port=ports["s3"],
        public_root=tmp_path / "iiif-cache" / "public",
        s3_url=s3_url,
        bucket=bucket or "unused",
        prefix="huiku",
    )
    try:
        with nginx(tmp_path / "nginx", profile, ports["static"]):
            yield app, f"http://127.0.0.1:{ports[backend]}", seen, published, bucket
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
        if bucket is not None:
            remove_bucket(s3_url, bucket)


@pytest.fixture(params=["disk", "s3"])
def site(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with running_profile(request.param, tmp_path, monkeypatch, publish_record) as running:
        app, url, seen, (record_id, asset_id), bucket = running
        yield Site(app, url, seen, record_id, asset_id, bucket)


def remove_bucket(s3_url: str, bucket: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_url)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def make_public_bucket(s3_url: str, bucket: str) -> None:
    """A bucket whose ``huiku/public/`` objects anyone may read, as the docs ask."""
    client = boto3.client("s3", endpoint_url=s3_url)
    client.create_bucket(Bucket=bucket)
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/huiku/public/*",
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def publish_record() -> tuple[str, str]:
    library = accounts.create_library("JL-SL", "吉林省图书馆", "Jilin Provincial Library")
    contributor = accounts.create_user("c@nginx.test", library, "contributor", PASSWORD)
    admin = accounts.create_user("a@nginx.test", library, "admin", PASSWORD)
    collection = collections.create_collection(
        "changbaishan", "natural_history", "长白山动植菌物", "Changbai Mountain"
    )
    data = {**SAMPLE_METADATA["natural_history"], "local_id": "NGINX-1"}
    upload = ImageUpload(jpeg_bytes((900, 700)), "ginseng.jpg", "人参")
    record = save_new_record(contributor, collection, data, [upload])
    records.submit_record(contributor, record)
    records.publish_record(admin, record)
    return record.public_id, record.assets[0].public_id


def withdraw(site: Site) -> None:
    with site.app.app_context():
        record = get_record(site.record_id)
        admin = db.session.query(User).filter_by(email="a@nginx.test").one()
        records.withdraw_record(admin, record)
        db.session.remove()


def test_a_kept_tile_is_sent_by_nginx_with_huikus_headers(site: Site) -> None:
    url = f"{site.url}/iiif/image/3/{site.asset_id}/{TILE}"

    status, first_headers, first = get(url)
    asked_huiku = len(site.counter)
    status_again, headers, again = get(url)

    assert status == status_again == 200
    assert again == first and first[:2] == b"\xff\xd8"
    assert len(site.counter) == asked_huiku, "the second request reached Huiku"
    assert f"iiif/image/3/{site.asset_id}/{TILE}" in site.kept()
    assert headers["content-type"] == "image/jpeg"
    assert headers["access-control-allow-origin"] == "*"
    assert "ETag" in headers["access-control-expose-headers"]
    assert headers["cache-control"] == first_headers["cache-control"]
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert f'<{url}>;rel="canonical"' in headers["link"]
    assert "vary" not in headers or "cookie" not in headers["vary"].lower()
    assert headers.get("etag") and headers.get("last-modified")


def test_a_kept_manifest_is_sent_by_nginx_and_plain_json_still_asks_huiku(site: Site) -> None:
    url = f"{site.url}/iiif/3/manifests/{site.record_id}"
    accept = {"Accept": PRESENTATION}

    status, _, first = get(url, accept)
    asked_huiku = len(site.counter)
    _, headers, again = get(url, accept)
    _, plain_headers, plain = get(url, {"Accept": "application/json"})
    _, preflight, _ = get(url, {"Origin": "https://viewer.example", **accept}, method="OPTIONS")

    assert status == 200 and json.loads(again) == json.loads(first)
    assert len(site.counter) == asked_huiku + 2, "only plain JSON and OPTIONS reach Huiku"
    assert headers["content-type"] == PRESENTATION
    assert headers["access-control-allow-origin"] == "*"
    assert headers["cache-control"] == "public, no-cache"
    assert "Accept" in headers["vary"] and "cookie" not in headers["vary"].lower()
    assert plain_headers["content-type"] == "application/json" and json.loads(plain)
    assert preflight["access-control-allow-origin"] == "*"


def test_withdrawing_a_record_removes_what_nginx_would_send(site: Site) -> None:
    tile = f"{site.url}/iiif/image/3/{site.asset_id}/{TILE}"
    manifest = f"{site.url}/iiif/3/manifests/{site.record_id}"
    viewer_tile = f"{site.url}/iiif/image/3/{site.asset_id}/{FULL_RESOLUTION_TILE}"
    for _ in range(2):  # the second time from nginx
        assert get(tile)[0] == get(viewer_tile)[0] == get(manifest)[0] == 200
    assert len(site.kept()) == 5  # two tiles, one also canonically, the manifest, its gzip form

    withdraw(site)

    assert site.kept() == []
    assert get(tile)[0] == 404
    assert get(manifest)[0] == 404
    assert site.kept() == []


def test_huiku_alone_sends_kept_answers_without_the_database(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same files through gunicorn alone: sent before Flask, even with the database gone.

    Small files are read whole and larger ones streamed; both forms are asked for here, and
    a client's copy is confirmed by its ETag or its date.
    """
    path = f"/iiif/image/3/{site.asset_id}/{TILE}"
    client = site.app.test_client()
    first = client.get(path, buffered=True)
    with site.app.app_context():
        db.engine.dispose()
    database = Path(site.app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    moved = database.with_suffix(".away")
    database.rename(moved)
    try:
        again = client.get(path, buffered=True)
        monkeypatch.setattr(public_http, "READ_WHOLE", 0)
        streamed = client.get(path, buffered=True)
        by_etag = client.get(path, headers={"If-None-Match": again.headers["ETag"]})
        by_date = client.get(path, headers={"If-Modified-Since": again.headers["Last-Modified"]})
        changed = client.get(path, headers={"If-None-Match": '"0-0"'}, buffered=True)
    finally:
        moved.rename(database)

    assert first.status_code == again.status_code == streamed.status_code == 200
    assert again.data == streamed.data == first.data
    assert streamed.headers["ETag"] == again.headers["ETag"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Cookie" not in again.headers.get("Vary", "")
    assert by_etag.status_code == by_date.status_code == 304 and by_etag.data == b""
    assert changed.status_code == 200 and changed.data == first.data
