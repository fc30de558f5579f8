"""A viewer on another site, in a real Chromium, opens a manifest with the IIIF profile ``Accept``.

The profile's quotes make ``Accept`` a non-safelisted header, so the browser sends a CORS
preflight (``OPTIONS``) first and reads the answer only if both carry the CORS headers. The
page is served from a second local origin (a plain ``http.server`` on another port).

Needs Chromium (``HUIKU_CHROMIUM``, default /usr/bin/chromium) and Playwright; without them the
test is skipped, or fails when ``HUIKU_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.extensions import db
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA, jpeg_bytes
from tests.repository.browser_pages import launched_chromium

pytestmark = pytest.mark.browser
PROFILE_ACCEPT = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'

VIEWER_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>another site's viewer</title>
<script>
async function load(url, headers) {
  try {
    const response = await fetch(url, {headers: headers, mode: "cors"});
    const type = response.headers.get("Content-Type");
    const body = type.includes("json") ? await response.json() : (await response.blob()).size;
    return {ok: true, status: response.status, type: type, body: body};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}
window.check = async function (manifest, thumbnailUrl, page) {
  const accept = {Accept: PROFILE};
  const opened = await load(manifest, accept);
  const thumbnail = await load(thumbnailUrl, {});
  const htmlPage = await load(page, accept);
  return {manifest: opened, thumbnail: thumbnail, page: htmlPage};
};
</script>
""".replace("PROFILE", json.dumps(PROFILE_ACCEPT))


class ViewerSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = VIEWER_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ViewerSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def published_record(live_server) -> Iterator[dict[str, str]]:
    """Written to the live server's own database (not the test's rolled-back connection)."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        with live_server.context():
            library = accounts.create_library("LIVE-X", "跨站图书馆", "Cross-site Library")
            contributor = accounts.create_user(
                "cors-c@example.org", library, "contributor", PASSWORD
            )
            admin = accounts.create_user("cors-a@example.org", library, "admin", PASSWORD)
            collection = collections.create_collection(
                "cors-flora", "natural_history", "跨站植物", "Cross-site flora"
            )
            data = {**SAMPLE_METADATA["natural_history"], "local_id": "CORS-1"}
            record = save_new_record(
                contributor, collection, data, [ImageUpload(jpeg_bytes(), "a.jpg", "图")]
            )
            records.submit_record(contributor, record)
            records.publish_record(admin, record)
            found = {"record": record.public_id, "asset": record.assets[0].public_id}
        yield found
    finally:
        db.session.remove()
        db.session = test_session


@pytest.fixture
def chromium():
    with launched_chromium() as browser:
        yield browser


def test_a_viewer_on_another_origin_opens_a_manifest_with_the_profile_accept(
    live_server, published_record, other_origin, chromium
):
    assert not live_server.url.startswith(other_origin)  # really two origins
    page = chromium.new_page()
    page.goto(f"{other_origin}/viewer.html")
    manifest_url = f"{live_server.url}/iiif/3/manifests/{published_record['record']}"
    thumbnail_url = f"{live_server.url}/assets/{published_record['asset']}/thumb-200.jpg"
    record_page = f"{live_server.url}/records/{published_record['record']}"
    result = page.evaluate(
        "([m, t, p]) => window.check(m, t, p)", [manifest_url, thumbnail_url, record_page]
    )

    manifest = result["manifest"]
    assert manifest["ok"], manifest
    assert manifest["status"] == 200
    assert manifest["type"].startswith("application/ld+json")
    assert manifest["body"]["id"] == manifest_url
    assert manifest["body"]["type"] == "Manifest"
    # Thumbnails (a manifest's point to /assets/) are readable by the other site as well.
    assert result["thumbnail"]["ok"], result["thumbnail"]
    assert result["thumbnail"]["body"] > 0
    # The browser really enforces CORS here: a page without the headers stays unreadable.
    assert not result["page"]["ok"]
    page.close()
