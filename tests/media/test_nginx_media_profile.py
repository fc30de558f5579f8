"""A public recording through the deployment profile (docs/nginx-iiif.conf) in a real nginx,
on local disk and on S3: Huiku sends it once and keeps it under its URL; then nginx sends it,
ranges and all, with Huiku's CORS and caching headers. A withdrawn record's recording is no
longer sent by nginx, and Huiku answers 404."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.app import create_app
from repository.extensions import db
from repository.models import User
from repository.services import accounts, collections, records
from repository.services.records import get_record
from tests.conftest import REQUIRE_SERVICES, service_url
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.iiif.nginx_profile import Profile, find_nginx, free_port, nginx
from tests.iiif.test_nginx_profile import counting, get, make_public_bucket, remove_bucket


@dataclass
class Site:
    app: Flask
    url: str
    counter: list[str]  # paths that reached Huiku
    record_id: str
    film: str  # a MOV, played from its MP4 copy
    tone: str  # an MP3, played as it is
    bucket: str | None

    def kept(self) -> list[str]:
        """What is kept for nginx below public/media."""
        if self.bucket is None:
            root = Path(self.app.config["IIIF_CACHE_ROOT"]) / "public"
            found = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
        else:
            client = boto3.client("s3", endpoint_url=self.app.config["S3_ENDPOINT_URL"])
            listed = client.list_objects_v2(Bucket=self.bucket, Prefix="huiku/public/")
            found = [
                item["Key"].removeprefix("huiku/public/") for item in listed.get("Contents", ())
            ]
        return sorted(name for name in found if name.startswith("media/"))


@pytest.fixture(params=["disk", "s3"])
def site(
    request, sample: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    if find_nginx() is None:
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (scripts/services/nginx.sh ensure)")
        pytest.skip("nginx is not installed (scripts/services/nginx.sh ensure)")
    ports = {name: free_port() for name in ("app", "disk", "s3", "static")}
    database = f"sqlite:///{tmp_path / 'huiku.sqlite3'}"
    config = {
        "DATABASE_URL": database,
        "SQLALCHEMY_DATABASE_URI": database,
        "SECRET_KEY": "nginx-media-test",
        "STORAGE_ROOT": str(tmp_path / "storage"),
        "SEARCH_INDEX_PATH": str(tmp_path / "search.sqlite3"),
        "IIIF_CACHE_ROOT": str(tmp_path / "iiif-cache"),
        "ELASTICSEARCH_URL": None,
        "TASKS_IMMEDIATE": True,
        "IIIF_PUBLIC_ANSWERS": True,
        "BASE_URL": f"http://127.0.0.1:{ports[request.param]}",
    }
    bucket = None
    s3_url = "http://127.0.0.1:9"
    if request.param == "s3":
        s3_url = service_url("HUIKU_TEST_S3_URL", "An S3 server")
        if not s3_url:
            pytest.skip("HUIKU_TEST_S3_URL is not set (scripts/services/s3.sh start)")
        bucket = f"huiku-media-{free_port()}"
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
        record_id, film, tone = publish_recordings(sample)
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
            url = f"http://127.0.0.1:{ports[request.param]}"
            yield Site(app, url, seen, record_id, film, tone, bucket)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
        if bucket is not None:
            remove_bucket(s3_url, bucket)


def publish_recordings(sample: Callable[..., Path]) -> tuple[str, str, str]:
    library = accounts.create_library("HLJ-L", "黑龙江省图书馆", "Heilongjiang Library")
    contributor = accounts.create_user("c@media.test", library, "contributor", PASSWORD)
    admin = accounts.create_user("a@media.test", library, "admin", PASSWORD)
    collection = collections.create_collection("ich-nginx", "ich", "非遗", "ICH")
    data = {**SAMPLE_METADATA["ich"], "local_id": "NGINX-AV-1"}
    uploads = [
        ImageUpload(sample("clip.mov"), "duet.mov", "二人转"),
        ImageUpload(sample("tone.mp3"), "song.mp3", "民歌"),
    ]
    record = save_new_record(contributor, collection, data, uploads)
    records.submit_record(contributor, record)
    records.publish_record(admin, record)
    film, tone = record.recordings
    assert film.ready and tone.ready
    return record.public_id, film.public_id, tone.public_id


def withdraw(site: Site) -> None:
    with site.app.app_context():
        admin = db.session.query(User).filter_by(email="a@media.test").one()
        records.withdraw_record(admin, get_record(site.record_id))
        db.session.remove()


def test_nginx_sends_a_kept_recording_with_ranges_etag_cors_and_its_type(site: Site) -> None:
    film = f"{site.url}/media/{site.film}/play"
    tone = f"{site.url}/media/{site.tone}/play"

    status, first_headers, whole = get(film)
    assert get(tone)[0] == 200
    asked_huiku = len(site.counter)
    _, whole_headers, again = get(film)
    part_status, headers, part = get(film, {"Range": "bytes=100-1123"})
    _, tone_headers, tone_part = get(tone, {"Range": "bytes=0-9"})
    revalidated = get(film, {"If-None-Match": headers["etag"]})[0]

    assert status == 200 and whole[4:8] == b"ftyp" and again == whole
    assert whole_headers["accept-ranges"] == "bytes"  # what lets a player seek
    assert len(site.counter) == asked_huiku, "a kept recording reached Huiku"
    assert site.kept() and all(name.startswith("media/") for name in site.kept())
    assert part_status == 206
    assert part == whole[100:1124]
    assert headers["content-range"] == f"bytes 100-1123/{len(whole)}"
    assert headers["content-length"] == "1024"
    assert headers["content-type"] == first_headers["content-type"] == "video/mp4"
    assert headers["etag"]
    assert headers["access-control-allow-origin"] == "*"
    assert "Content-Range" in headers["access-control-expose-headers"]
    assert headers["cache-control"] == first_headers["cache-control"]
    assert "set-cookie" not in headers and not any(h.startswith("x-amz") for h in headers)
    assert tone_headers["content-type"] == "audio/mpeg" and tone_part[:3] == b"ID3"
    assert revalidated == 304


def test_a_preflight_still_reaches_huiku(site: Site) -> None:
    film = f"{site.url}/media/{site.film}/play"
    get(film)
    origin = {"Origin": "https://viewer.example", "Access-Control-Request-Headers": "range"}

    status, headers, _ = get(film, origin, method="OPTIONS")

    assert status == 204 and site.counter[-1] == f"/media/{site.film}/play"
    assert headers["access-control-allow-origin"] == "*"
    assert "Range" in headers["access-control-allow-headers"]


def test_a_withdrawn_records_recording_is_no_longer_sent_by_nginx(site: Site) -> None:
    film = f"{site.url}/media/{site.film}/play"
    for _ in range(2):  # the second time from nginx
        assert get(film, {"Range": "bytes=0-99"})[0] == 206
    assert get(f"{site.url}/media/{site.tone}/play")[0] == 200
    assert len(site.kept()) == 2

    withdraw(site)

    assert site.kept() == []
    asked_huiku = len(site.counter)
    assert get(film, {"Range": "bytes=0-99"})[0] == 404
    assert len(site.counter) == asked_huiku + 1, "nginx did not ask Huiku"
    assert site.kept() == []
