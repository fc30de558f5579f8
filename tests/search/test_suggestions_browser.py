"""In Chromium: typing in a search box shows title suggestions under it, and choosing one (by
click, or with the arrow keys and Enter) searches for it (issue 15)."""

from __future__ import annotations

import pytest

from repository.extensions import db
from repository.services import accounts, collections, records
from search.engine import search_backend
from search.indexing import bring_up_to_date
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.repository import browser_pages
from tests.repository.browser_pages import axe_violations, new_page, screenshots

pytestmark = pytest.mark.browser
chromium = browser_pages.chromium  # fixtures
axe_script = browser_pages.axe_script

TITLES = ("东北红豆杉", "东北虎", "东北刺人参", "人参")


@pytest.fixture(scope="module")
def shelf(live_server) -> None:
    """Published records, in the live server's search index."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        with live_server.context():
            library = accounts.create_library("SUG-JL", "提示图书馆", "Suggest Library")
            collection = collections.create_collection(
                "suggest-plants", "natural_history", "提示植物", "Suggest plants"
            )
            admin = accounts.create_user("admin@sug.example.org", library, "admin", PASSWORD)
            for n, title in enumerate(TITLES):
                record = records.create_record(
                    admin,
                    collection,
                    {**SAMPLE_METADATA["natural_history"], "title": title, "local_id": f"S-{n}"},
                )
                records.submit_record(admin, record)
                records.publish_record(admin, record)
            bring_up_to_date(search_backend())
    finally:
        db.session.remove()
        db.session = test_session


def suggestions(page) -> list[str]:
    page.wait_for_selector("ul.suggestions [role=option]", timeout=10000)
    return page.locator("ul.suggestions [role=option]").all_inner_texts()


def test_typing_shows_suggestions_and_clicking_one_searches(chromium, live_server, shelf, tmp_path):
    page = new_page(chromium)
    page.goto(f"{live_server.url}/")
    page.locator("#site-search-q").press_sequentially("东北", delay=50)
    shown = suggestions(page)
    assert {"东北红豆杉", "东北虎"} <= set(shown), shown
    assert page.get_attribute("#site-search-q", "aria-expanded") == "true"
    page.screenshot(path=str(screenshots(tmp_path) / "suggestions.png"))
    with page.expect_navigation():
        page.click("ul.suggestions [role=option]:has-text('东北虎')")
    assert "/search?q=%E4%B8%9C%E5%8C%97%E8%99%8E" in page.url
    assert page.input_value("#search-q") == "东北虎"
    assert "东北虎" in page.inner_text("#results")


def test_arrow_keys_and_enter_choose_a_suggestion(chromium, live_server, shelf, axe_script):
    page = new_page(chromium, "zh-CN")
    page.goto(f"{live_server.url}/search?q=")
    box = page.locator("#search-q")
    box.press_sequentially("东北", delay=50)
    first = suggestions(page)[0]
    box.press("ArrowDown")
    active = page.get_attribute("#search-q", "aria-activedescendant")
    assert page.get_attribute(f"#{active}", "aria-selected") == "true"
    assert axe_violations(page, axe_script) == []  # the open list box too
    with page.expect_navigation():
        box.press("Enter")
    assert page.input_value("#search-q") == first
    assert page.locator("ul.suggestions [role=option]").count() == 0


def test_escape_closes_the_suggestions(chromium, live_server, shelf):
    page = new_page(chromium)
    page.goto(f"{live_server.url}/")
    box = page.locator("#site-search-q")
    box.press_sequentially("人", delay=50)
    assert suggestions(page)
    box.press("Escape")
    assert page.locator("ul.suggestions").is_hidden()
    assert page.get_attribute("#site-search-q", "aria-expanded") == "false"
