"""A public recording through the deployment profile (docs/nginx-iiif.conf) in a real nginx,
on local disk and on S3: Huiku sends it once and keeps it under its URL; then nginx sends it,
ranges and all, with Huiku's CORS and caching headers. A withdrawn record's recording is no
longer sent by nginx, and Huiku answers 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from flask import Flask

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.extensions import db
from repository.models import User
from repository.services import accounts, collections, records
from repository.services.records import get_record
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.iiif.test_nginx_profile import get, running_profile


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
    with running_profile(
        request.param, tmp_path, monkeypatch, lambda: publish_recordings(sample)
    ) as running:
        app, url, seen, (record_id, film, tone), bucket = running
        yield Site(app, url, seen, record_id, film, tone, bucket)


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
