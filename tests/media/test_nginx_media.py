"""nginx sends a recording's file when Huiku says so (``MEDIA_X_ACCEL_PREFIX``): ranges for
seeking, the type and CORS header Huiku chose, and a draft's file still refused by Huiku."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.media.tasks import build_recording_derivatives
from repository.services import accounts, collections, records
from tests.conftest import REQUIRE_SERVICES
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.iiif.nginx_profile import find_nginx
from tests.media.nginx_media import PREFIX, nginx_for_media
from tests.repository.browser_pages import live_database  # noqa: F401 (fixture)


@pytest.fixture
def proxied(live_server, live_database, sample, tmp_path: Path):  # noqa: F811
    if find_nginx() is None:
        if REQUIRE_SERVICES:
            pytest.fail("nginx is not installed (scripts/services/nginx.sh ensure)")
        pytest.skip("nginx is not installed")
    with live_server.context():
        library = accounts.create_library("LIVE-N", "实况图书馆三", "Live Library 3")
        user = accounts.create_user("nginx-a@example.org", library, "admin", PASSWORD)
        collection = collections.create_collection("live-ich-n", "ich", "非遗", "ICH")
        data = {**SAMPLE_METADATA["ich"], "local_id": "LIVE-N-1"}
        film = ImageUpload(sample("clip.webm"), "duet.webm", "二人转")
        record = save_new_record(user, collection, data, [film])
        build_recording_derivatives.call_local(record.recordings[0].public_id)
        records.submit_record(user, record)
        records.publish_record(user, record)
        recording_id = record.recordings[0].public_id
    config = live_server.app.config
    config["MEDIA_X_ACCEL_PREFIX"] = PREFIX
    port = int(live_server.url.rsplit(":", 1)[1])
    try:
        with nginx_for_media(tmp_path / "nginx", Path(config["STORAGE_ROOT"]), port) as urls:
            yield urls[0], recording_id
    finally:
        config["MEDIA_X_ACCEL_PREFIX"] = None


def test_nginx_sends_the_file_with_ranges_type_and_cors_and_nothing_around_huiku(proxied):
    url, recording_id = proxied
    whole = requests.get(f"{url}/media/{recording_id}/play", timeout=10)
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "video/mp4"
    assert whole.headers["Access-Control-Allow-Origin"] == "*"
    assert whole.content[4:8] == b"ftyp"

    part = requests.get(
        f"{url}/media/{recording_id}/play", headers={"Range": "bytes=10-19"}, timeout=10
    )
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(whole.content)}"
    assert part.content == whole.content[10:20]
    # The store itself is reachable only through Huiku's answers.
    assert requests.get(f"{url}{PREFIX}originals/", timeout=10).status_code == 404
