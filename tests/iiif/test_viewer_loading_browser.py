"""The record page does not run the viewer's 2.3 MB script until the reader reaches for it.

Running Mirador as the page loads held the main thread for seconds (Lighthouse: total blocking
time 3.9 s, performance 61). The page shows the plain images in the viewer's frame, prefetches
the bundle, and starts Mirador on the first pointer, touch, wheel or focus in the frame.
"""

from __future__ import annotations

import pytest

from tests.iiif.test_viewer_browser import (  # noqa: F401 (fixtures)
    browser,
    live_database,
    published_record,
    wait_for,
)

pytestmark = pytest.mark.browser


def test_the_viewer_starts_only_when_the_reader_reaches_for_it(
    live_server,
    published_record,  # noqa: F811 (the fixture imported above)
    browser,  # noqa: F811
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    manifests: list[str] = []
    page.on("request", lambda r: manifests.append(r.url) if "/manifests/" in r.url else None)
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))

    page.goto(f"{live_server.url}/records/{published_record['record']}?lang=en")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("typeof window.Mirador") == "undefined"
    assert manifests == []
    assert page.locator("#record-images").is_visible()  # the plain images hold the frame
    frame_before = page.locator("#iiif-viewer").bounding_box()

    page.hover("#iiif-viewer")

    wait_for(page, lambda: page.evaluate("typeof window.Mirador") == "object", "Mirador")
    wait_for(page, lambda: bool(manifests), "the manifest")
    wait_for(
        page,
        lambda: (
            page.locator("#record-images").count() == 0
            or page.locator("#record-images").is_hidden()
        ),
        "the plain images to go",
    )
    assert page.locator("#iiif-viewer").bounding_box() == frame_before  # nothing moved
    assert failures == []
    page.close()
