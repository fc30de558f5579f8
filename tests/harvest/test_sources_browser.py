"""In a real Chromium, an administrator adds a harvested source (the live server's own /oai),
sees its check pass after a reload, starts a harvest and finds its counts on the source page.
Needs Chromium (``HUIKU_CHROMIUM``, default /usr/bin/chromium) and Playwright; skipped without
them, except in CI. Screenshots go to ``HUIKU_SCREENSHOTS`` when it is set."""

from __future__ import annotations

import pytest

from repository.extensions import db
from repository.services import accounts
from tests.factories import PASSWORD
from tests.harvest.test_views import publish_on
from tests.repository.browser_pages import chromium, new_page, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def harvesting_server(live_server, monkeypatch):
    """The live server harvests itself: tasks run in the request that queues them, and its
    own address on 127.0.0.1 is allowed."""
    monkeypatch.setitem(live_server.app.config, "TASKS_IMMEDIATE", True)
    monkeypatch.setitem(live_server.app.config, "HARVEST_ALLOW_PRIVATE_ADDRESSES", ["127.0.0.1"])
    return live_server


@pytest.fixture
def chief(harvesting_server) -> str:
    """An alliance administrator on the live server (its own database)."""
    with harvesting_server.context():
        home = accounts.get_library("HV-HQ", missing_ok=True) or accounts.create_library(
            "HV-HQ", "联盟秘书处", "Alliance office"
        )
        email = "chief@harvest.example.org"
        if accounts.find_user(email) is None:
            accounts.create_user(email, home, "admin", PASSWORD, alliance_admin=True)
        db.session.commit()
    return email


@pytest.fixture
def page(chromium):  # noqa: F811 (the fixture)
    page = new_page(chromium, "en-US")
    yield page
    page.close()


def test_an_admin_adds_a_source_checks_it_and_harvests_it(harvesting_server, chief, page):
    base = harvesting_server.url
    publish_on(harvesting_server, 3)
    page.goto(f"{base}/login")
    page.fill("#email", chief)
    page.fill("#password", PASSWORD)
    page.click("form.narrow-form button[type=submit]")
    page.goto(f"{base}/lang/en")
    page.goto(f"{base}/admin/")
    page.click("nav.admin-nav >> text=Harvested sources")
    assert page.url == f"{base}/admin/sources/"
    page.click("text=Add a source")
    page.fill("#slug", "self")
    page.fill("#name", "Our own repository")
    page.select_option("#kind", "oai")
    page.fill("#base_url", "http://10.0.0.1/oai")
    page.fill("#interval_hours", "0")
    page.select_option("#library", "HV-HQ")
    page.click("form.admin-form button[type=submit]")
    refusal = page.locator(".form-row.has-error").inner_text()
    assert "10.0.0.1 is a private, loopback or reserved address" in refusal, refusal
    shot(page, "harvest-source-refused")
    page.fill("#base_url", f"{base}/oai")
    page.click("form.admin-form button[type=submit]")
    assert page.url == f"{base}/admin/sources/self"

    page.reload()
    check = page.locator("section.source-check")
    assert check.get_attribute("data-check") == "ok", check.inner_text()
    assert "Check passed" in check.inner_text()

    with page.expect_navigation():  # the harvest runs in that request on this server
        page.click("button:has-text('Harvest now')")
    page.reload()
    row = page.locator("table.runs tbody tr").first
    assert row.locator("[data-state]").get_attribute("data-state") == "succeeded", row.inner_text()
    assert row.locator("td.count-new").inner_text() == "3"
    assert row.locator("td.count-failed").inner_text() == "0"
    assert "3 new, 0 updated, 0 deleted, 0 failed" in page.locator("section.last-run").inner_text()
    shot(page, "harvest-source")

    page.click("nav.breadcrumbs >> text=Harvested sources")
    listed = page.locator("table.sources tbody tr").first.inner_text()
    assert "Our own repository" in listed and "Check passed" in listed
    assert "3 new, 0 updated, 0 deleted, 0 failed" in listed
    shot(page, "harvest-sources")

    page.goto(f"{base}/lang/zh_Hans_CN")
    page.goto(f"{base}/admin/sources/self")
    chinese = page.locator("main").inner_text() if page.locator("main").count() else page.content()
    assert "检查通过" in chinese and "新增 3，更新 0，删除 0，失败 0" in chinese
    shot(page, "harvest-source-zh")
