"""A reader opens /stats and a library page in a real Chromium: ECharts draws every chart.

Needs Chromium (``HUIKU_CHROMIUM``, default /usr/bin/chromium), Playwright and ECharts installed
by ``scripts/chart-assets``; without them the test is skipped, or fails when
``HUIKU_REQUIRE_SERVICES=1`` (CI). Screenshots go to ``HUIKU_SCREENSHOTS`` if set.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from repository.extensions import db
from repository.models import Library, RecordStatus
from repository.public.statistics import chart_script
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.repository.browser_pages import (  # noqa: F401 (fixture)
    launched_chromium,
    live_database,
    require,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def alliance(live_server, live_database) -> None:  # noqa: F811 (the fixture)
    with live_server.context():
        if db.session.scalar(select(Library).where(Library.code == "LIVE-JL")) is not None:
            return  # the live server's database outlives one test
        flora = collections.create_collection("live-flora", "natural_history", "植物", "Flora")
        for code, name, count in (("LIVE-JL", "吉林省图书馆", 5), ("LIVE-YB", "延边图书馆", 3)):
            library = accounts.create_library(code, name, f"{code} Library")
            library.region, library.website = "吉林省", "https://example.org/"
            contributor = accounts.create_user(
                f"c-{code}@example.org", library, "contributor", PASSWORD
            )
            admin = accounts.create_user(f"a-{code}@example.org", library, "admin", PASSWORD)
            for n in range(count):
                data = {**SAMPLE_METADATA["natural_history"], "local_id": f"{code}-{n}"}
                record = records.create_record(contributor, flora, data)
                if n < count - 1:
                    records.submit_record(contributor, record)
                    records.publish_record(admin, record)
                else:
                    assert record.status is RecordStatus.DRAFT
        db.session.commit()


@pytest.fixture(scope="module")
def browser(live_server):
    with live_server.app.test_request_context():
        require(chart_script() is not None, "ECharts is not installed (scripts/chart-assets)")
    with launched_chromium() as chromium:
        yield chromium


def drawn(png: bytes) -> int:
    """How many pixels of a screenshot are neither white nor near it: a blank chart has none."""
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 100))
    return sum(1 for pixel in image.getdata() if min(pixel) < 200)


def shoot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("HUIKU_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_the_statistics_charts_are_drawn(live_server, alliance, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.goto(f"{live_server.url}/stats?lang=zh")
    page.wait_for_selector("#stats-library .chart canvas", timeout=30_000)
    for table in ("month", "library", "collection", "status", "contributor"):
        canvas = page.locator(f"#stats-{table} .chart canvas").first
        assert canvas.is_visible(), table
        assert drawn(canvas.screenshot()) > 300, f"the {table} chart is blank"
    assert page.locator("#stats-library table tbody tr").count() == 2  # the tables stay
    shoot(page, "stats.png", tmp_path)
    assert failures == []
    page.close()


def test_a_library_page_shows_its_contributions_and_chart(live_server, alliance, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/libraries/LIVE-JL?lang=en")
    assert page.locator("h1").inner_text() == "LIVE-JL Library"
    assert page.get_by_role("link", name="https://example.org/").is_visible()
    canvas = page.locator("#stats-month .chart canvas").first
    canvas.wait_for(timeout=30_000)
    assert drawn(canvas.screenshot()) > 300
    assert "4" in page.locator(".library-contributions td.num").first.inner_text()
    shoot(page, "library.png", tmp_path)
    page.close()
