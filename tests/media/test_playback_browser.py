"""A reader plays a record's video and sound in a real Chromium: playback advances, seeking to
the middle lands there (range requests), and the page's content security policy lets the media
load. Debian's Chromium plays H.264/AAC MP4 and MP3.

Needs Chromium and Playwright, as tests/iiif/test_viewer_browser.py does.
"""

from __future__ import annotations

import pytest

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.media.tasks import build_recording_derivatives
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.repository.browser_pages import (  # noqa: F401 (fixture)
    launched_chromium,
    live_database,
    require,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def performance(live_server, live_database, sample) -> str:  # noqa: F811 (the fixture)
    """A published ICH record with a 6-second video and a 6-second sound, derivatives built."""
    with live_server.context():
        library = accounts.create_library("LIVE-M", "实况图书馆", "Live Library")
        contributor = accounts.create_user("media-c@example.org", library, "contributor", PASSWORD)
        admin = accounts.create_user("media-a@example.org", library, "admin", PASSWORD)
        collection = collections.create_collection("live-ich", "ich", "实况非遗", "Live ICH")
        data = {**SAMPLE_METADATA["ich"], "local_id": "LIVE-M-1"}
        uploads = [
            ImageUpload(sample("clip.webm", 6), "duet.webm", "二人转"),
            ImageUpload(sample("tone.wav", 6), "song.wav", "号子"),
        ]
        record = save_new_record(contributor, collection, data, uploads)
        for recording in record.recordings:
            build_recording_derivatives.call_local(recording.public_id)
        records.submit_record(contributor, record)
        records.publish_record(admin, record)
        return record.public_id


@pytest.fixture(scope="module")
def chromium():
    with launched_chromium("--autoplay-policy=no-user-gesture-required") as browser:
        yield browser


PLAY_AND_SEEK = """async (selector) => {
  const media = document.querySelector(selector);
  media.muted = true;
  await media.play();
  const start = performance.now();
  while (media.currentTime < 0.5 && performance.now() - start < 15000) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const advanced = media.currentTime;
  const middle = media.duration / 2;
  await new Promise((resolve) => {
    media.addEventListener('seeked', resolve, {once: true});
    media.currentTime = middle;
  });
  const landed = media.currentTime;
  await new Promise((r) => setTimeout(r, 600));
  return {advanced, middle, landed, after: media.currentTime, duration: media.duration,
          error: media.error && media.error.code, source: media.currentSrc};
}"""


def test_a_reader_plays_and_seeks_the_video_and_the_sound(live_server, performance, chromium):
    page = chromium.new_page(viewport={"width": 1100, "height": 1400})
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}/records/{performance}")

    for selector in ("video", "audio"):
        outcome = page.evaluate(PLAY_AND_SEEK, selector)
        assert outcome["error"] is None, outcome
        assert outcome["advanced"] >= 0.5, f"{selector} did not play: {outcome}"
        assert abs(outcome["duration"] - 6) < 0.3, outcome
        assert abs(outcome["landed"] - outcome["middle"]) < 0.5, outcome
        assert outcome["after"] > outcome["landed"], f"{selector} stopped after seeking"
        assert "/play" in outcome["source"]
    page.screenshot(path="/tmp/huiku-media-record-page.png", full_page=True)
    assert violations == []


@pytest.fixture
def mixed(live_server, live_database, sample) -> str:  # noqa: F811 (the fixture)
    """A published record with a photograph, then a video: Mirador shows both canvases."""
    from tests.factories import jpeg_bytes

    with live_server.context():
        library = accounts.create_library("LIVE-X", "实况图书馆二", "Live Library 2")
        contributor = accounts.create_user("mixed-c@example.org", library, "contributor", PASSWORD)
        admin = accounts.create_user("mixed-a@example.org", library, "admin", PASSWORD)
        collection = collections.create_collection("live-ich-2", "ich", "实况非遗二", "Live ICH 2")
        data = {**SAMPLE_METADATA["ich"], "local_id": "LIVE-X-1"}
        uploads = [
            ImageUpload(jpeg_bytes((800, 600)), "stage.jpg", "舞台"),
            ImageUpload(sample("clip.mp4", 6), "duet.mp4", "二人转"),
        ]
        record = save_new_record(contributor, collection, data, uploads)
        for recording in record.recordings:
            build_recording_derivatives.call_local(recording.public_id)
        records.submit_record(contributor, record)
        records.publish_record(admin, record)
        return record.public_id


def test_mirador_plays_the_video_canvas_of_a_mixed_record(live_server, mixed, chromium):
    with live_server.app.test_request_context():
        from iiif.viewer import viewer_assets

        require(viewer_assets() is not None, "the viewer is not installed (scripts/viewer-assets)")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/records/{mixed}?lang=en")
    page.hover("#iiif-viewer")  # Mirador starts when the reader reaches for its frame
    page.wait_for_selector("#iiif-viewer .mirador-viewer", timeout=30000)
    page.get_by_role("button", name="Next item").first.click()
    page.wait_for_selector("#iiif-viewer video", timeout=30000)
    outcome = page.evaluate(PLAY_AND_SEEK, "#iiif-viewer video")
    page.screenshot(path="/tmp/huiku-media-mirador.png")
    assert outcome["error"] is None, outcome
    assert outcome["advanced"] >= 0.5, outcome
    assert "/play" in outcome["source"]
