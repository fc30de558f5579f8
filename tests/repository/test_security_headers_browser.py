"""In a real Chromium, the Content-Security-Policy blocks nothing that Huiku's pages need: the
record page's Mirador viewer loads its manifest and tiles and draws them, with no violation
reported. Needs what tests/iiif/test_viewer_browser.py needs, and is skipped without it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.extensions import db
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.repository.browser_pages import launched_chromium, require

pytestmark = pytest.mark.browser


@pytest.fixture
def record_page(live_server) -> str:
    """A published record with one image on the live server (its own database)."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        with live_server.context():
            library = accounts.create_library("CSP-V", "策略图书馆", "Policy Library")
            contributor = accounts.create_user(
                "csp-c@example.org", library, "contributor", PASSWORD
            )
            admin = accounts.create_user("csp-a@example.org", library, "admin", PASSWORD)
            collection = collections.create_collection(
                "csp-flora", "natural_history", "策略植物", "Policy flora"
            )
            picture = io.BytesIO()
            Image.new("RGB", (1200, 900), "seagreen").save(picture, "JPEG")
            picture.seek(0)
            data = {**SAMPLE_METADATA["natural_history"], "local_id": "CSP-1"}
            record = save_new_record(
                contributor, collection, data, [ImageUpload(picture, "flora.jpg", "图")]
            )
            records.submit_record(contributor, record)
            records.publish_record(admin, record)
            public_id = record.public_id
    finally:
        db.session.remove()
        db.session = test_session
    return f"{live_server.url}/records/{public_id}"


@pytest.fixture
def chromium(live_server):
    with live_server.app.test_request_context():
        from iiif.viewer import viewer_assets

        require(viewer_assets() is not None, "the viewer is not installed (scripts/viewer-assets)")
    with launched_chromium() as browser:
        yield browser


def test_the_viewer_runs_under_the_policy_without_violations(record_page, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    reported: list[str] = []
    page.on("console", lambda message: reported.append(message.text))
    page.on("pageerror", lambda error: reported.append(str(error)))

    response = page.goto(f"{record_page}?lang=en")
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    page.hover("#iiif-viewer")  # Mirador starts when the reader reaches for its frame
    page.locator("#iiif-viewer .openseadragon-canvas canvas").first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert page.locator("#iiif-viewer").is_visible()
    assert page.locator("#record-images").is_hidden()  # the viewer took over from the list

    violations = [text for text in reported if "Content Security Policy" in text]
    assert violations == []
    page.close()
