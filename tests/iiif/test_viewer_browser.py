"""A reader opens a record page in a real Chromium: Mirador loads the record's manifest, asks the
Image API for tiles, draws them, and zooms in to full resolution.

Needs Chromium (``HUIKU_CHROMIUM``, default /usr/bin/chromium), Playwright and the viewer
installed by ``scripts/viewer-assets``; without them the test is skipped, or fails when
``HUIKU_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image, ImageDraw

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.repository.browser_pages import (  # noqa: F401 (fixture)
    launched_chromium,
    live_database,
    require,
)

pytestmark = pytest.mark.browser
QUADRANTS = {
    "red": (220, 30, 30),
    "green": (30, 170, 60),
    "blue": (30, 60, 210),
    "yellow": (240, 210, 30),
}
WIDTH, HEIGHT = 2000, 1500  # needs several 512-pixel tiles at full resolution
TILE = re.compile(
    r"/iiif/image/3/(?P<id>[^/]+)/(?P<x>\d+),(?P<y>\d+),(?P<w>\d+),(?P<h>\d+)/(?P<size>[^/]+)/0/default\.jpg$"
)


def quadrant_image() -> io.BytesIO:
    """Four coloured quarters, so a drawn canvas is easy to tell from a blank one."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    half_w, half_h = WIDTH // 2, HEIGHT // 2
    for (x, y), colour in zip(
        [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)], QUADRANTS.values(), strict=True
    ):
        draw.rectangle([x, y, x + half_w - 1, y + half_h - 1], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    buffer.seek(0)
    return buffer


@pytest.fixture
def published_record(live_server, live_database) -> dict[str, str]:  # noqa: F811 (fixture)
    with live_server.context():
        library = accounts.create_library("LIVE-V", "实况图书馆", "Live Library")
        contributor = accounts.create_user("viewer-c@example.org", library, "contributor", PASSWORD)
        admin = accounts.create_user("viewer-a@example.org", library, "admin", PASSWORD)
        collection = collections.create_collection(
            "live-flora", "natural_history", "实况植物", "Live flora"
        )
        data = {**SAMPLE_METADATA["natural_history"], "local_id": "LIVE-1"}
        record = save_new_record(
            contributor, collection, data, [ImageUpload(quadrant_image(), "quadrants.jpg", "四色")]
        )
        records.submit_record(contributor, record)
        records.publish_record(admin, record)
        return {"record": record.public_id, "asset": record.assets[0].public_id}


@pytest.fixture(scope="module")
def browser(live_server):
    with live_server.app.test_request_context():
        from iiif.viewer import viewer_assets

        require(viewer_assets() is not None, "the viewer is not installed (scripts/viewer-assets)")
    with launched_chromium() as chromium:
        yield chromium


def wait_for(page, condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        page.wait_for_timeout(200)


def colours_seen(png: bytes) -> set[str]:
    """Which of the quadrant colours cover a noticeable part of a screenshot."""
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 150))
    counts = dict.fromkeys(QUADRANTS, 0)
    for pixel in image.getdata():
        for name, colour in QUADRANTS.items():
            if sum(abs(a - b) for a, b in zip(pixel, colour, strict=True)) < 60:
                counts[name] += 1
    return {name for name, count in counts.items() if count > 100}


def test_the_viewer_draws_the_record_and_zooms_to_full_resolution(
    live_server, published_record, browser
):
    asset = published_record["asset"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))

    page.goto(f"{live_server.url}/records/{published_record['record']}?lang=en")
    page.hover("#iiif-viewer")  # Mirador starts when the reader reaches for its frame

    def info_loaded() -> bool:
        return any(
            r.url.endswith(f"/iiif/image/3/{asset}/info.json") and r.status == 200
            for r in responses
        )

    def tiles() -> list[tuple[re.Match, object]]:
        found = []
        for response in responses:
            match = TILE.search(response.url)
            if match and match["id"] == asset:
                found.append((match, response))
        return found

    wait_for(
        page,
        lambda: any(
            r.url.endswith("/iiif/3/manifests/" + published_record["record"]) and r.status == 200
            for r in responses
        ),
        "the manifest",
    )
    wait_for(page, info_loaded, "the image's info.json")
    wait_for(page, lambda: any(r.status == 200 for _, r in tiles()), "a tile")
    for _, response in tiles():
        assert response.status == 200, response.url
        assert response.header_value("content-type") == "image/jpeg"

    canvas = page.locator("#iiif-viewer .openseadragon-canvas").first
    wait_for(page, lambda: len(colours_seen(canvas.screenshot())) == 4, "all four quarters drawn")
    assert page.locator("#record-images").is_hidden()  # the viewer replaced the plain images

    def full_resolution_tiles() -> list:
        found = []
        for match, response in tiles():
            width = match["size"].split(",")[0]
            if width and int(width) == int(match["w"]) and response.status == 200:
                found.append(match)
        return found

    zoom_in = page.get_by_role("button", name=re.compile("zoom in", re.IGNORECASE)).first
    deadline = time.monotonic() + 60
    while not full_resolution_tiles():
        if time.monotonic() > deadline:
            pytest.fail("zooming in never asked for full-resolution tiles")
        zoom_in.click()
        page.wait_for_timeout(700)
    # Fully zoomed in, the middle of the view shows the image's real colours, not a blank.
    assert colours_seen(canvas.screenshot())
    assert failures == []
    page.close()
