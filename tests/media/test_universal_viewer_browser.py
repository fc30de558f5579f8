"""A record's manifest with a video and a sound opened in Universal Viewer, from another site,
in a real Chromium: UV reads the manifest, makes the media element, the media loads from Huiku
across origins, and playback advances.

Universal Viewer is the npm package pinned in tests/media/uv/package-lock.json, installed by
``scripts/services/universal-viewer.sh ensure``; it is served from its own port, as a viewer
elsewhere would be, so the manifest and the media are cross-origin requests. Needs Chromium and
Playwright, as tests/iiif/test_viewer_browser.py does.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media.test_playback_browser import chromium, performance  # noqa: F401 (fixtures)
from tests.repository.browser_pages import live_database, require  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]

# The media element UV made (it loads nothing before the reader presses play).
LOADED = """async () => {
  const started = performance.now();
  let media = null;
  while (!media && performance.now() - started < 30000) {
    media = document.querySelector('#uv video, #uv audio');
    if (!media) await new Promise((r) => setTimeout(r, 200));
  }
  if (!media) return {found: false};
  media.muted = true;
  return {found: true, source: media.currentSrc || media.src, from: media.currentTime};
}"""

# After the reader pressed UV's play button: how far playback got.
ADVANCES = """async (from) => {
  const media = document.querySelector('#uv video, #uv audio');
  const started = performance.now();
  while (media.currentTime < from + 0.5 && performance.now() - started < 15000) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return {now: media.currentTime, ready: media.readyState, duration: media.duration,
          tag: media.tagName.toLowerCase(), error: media.error && media.error.code};
}"""


@pytest.fixture(scope="module")
def universal_viewer() -> Iterator[str]:
    """UV's built files served by a plain HTTP server on a port of their own."""
    script = REPO / "scripts" / "services" / "universal-viewer.sh"
    done = subprocess.run([str(script), "ensure"], capture_output=True, text=True, check=False)
    require(done.returncode == 0, f"Universal Viewer could not be installed: {done.stderr[-300:]}")
    dist = Path(done.stdout.strip()) / "node_modules" / "universalviewer" / "dist"
    require((dist / "umd" / "UV.js").is_file(), f"no UV build in {dist}")
    handler = functools.partial(_QuietHandler, directory=str(dist))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def test_universal_viewer_opens_the_manifest_and_plays_its_video_and_sound(
    live_server,
    performance,  # noqa: F811 (the fixture)
    chromium,  # noqa: F811 (the fixture)
    universal_viewer,
):
    manifest = f"{live_server.url}/iiif/3/manifests/{performance}"
    failures: list[str] = []
    outcomes = []
    for index in (0, 1):  # the video canvas, then the sound's, each as a link would open it
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.on("requestfailed", lambda request: failures.append(request.url))
        page.on(
            "console",
            lambda message: failures.append(message.text) if message.type == "error" else None,
        )
        page.goto(f"{universal_viewer}/uv.html#?manifest={manifest}&cv={index}")
        outcome = page.evaluate(LOADED)
        if outcome["found"]:
            attribution = page.get_by_role("button", name="Close attribution panel")
            if attribution.is_visible():  # it covers the player's controls
                attribution.click()
            page.locator("button[aria-label=Play]:visible").first.click()
            outcome.update(page.evaluate(ADVANCES, outcome["from"]))
        outcomes.append(outcome)
        page.screenshot(path=f"/tmp/huiku-media-uv-{index}.png")
        page.close()

    for outcome in outcomes:
        assert outcome["found"], f"UV made no media element: {failures[-5:]}"
        assert outcome["error"] is None, outcome
        assert outcome["source"].startswith(f"{live_server.url}/media/"), outcome
        assert outcome["source"].endswith("/play"), outcome
        assert outcome["ready"] >= 2, outcome
        assert outcome["now"] >= outcome["from"] + 0.5, f"playback did not advance: {outcome}"
    assert outcomes[0]["tag"] == "video" and abs(outcomes[0]["duration"] - 6) < 0.3
    assert outcomes[0]["source"] != outcomes[1]["source"], "both canvases played one file"
