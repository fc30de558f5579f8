"""In a real Chromium, an alliance administrator adds a library, its accounts and a collection,
and finds each step in the audit log. Needs Chromium (``HUIKU_CHROMIUM``, default
/usr/bin/chromium) and Playwright; skipped without them, except in CI. Screenshots go to
``HUIKU_SCREENSHOTS`` when it is set."""

from __future__ import annotations

import pytest

from repository.extensions import db
from repository.services import accounts
from tests.factories import PASSWORD
from tests.repository.browser_pages import chromium, new_page, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def chief(live_server) -> str:
    """An alliance administrator on the live server (its own database)."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        with live_server.context():
            home = accounts.get_library("ADM-HQ", missing_ok=True) or accounts.create_library(
                "ADM-HQ", "联盟秘书处", "Alliance office"
            )
            email = "chief@adm.example.org"
            if accounts.find_user(email) is None:
                accounts.create_user(email, home, "admin", PASSWORD, alliance_admin=True)
    finally:
        db.session.remove()
        db.session = test_session
    return email


@pytest.fixture
def page(chromium):  # noqa: F811 (the fixture)
    page = new_page(chromium, "zh-CN")
    yield page
    page.close()


def test_an_alliance_admin_sets_up_a_library_in_the_browser(live_server, chief, page):
    base = live_server.url
    page.goto(f"{base}/login")
    page.fill("#email", chief)
    page.fill("#password", PASSWORD)
    page.click("form.narrow-form button[type=submit]")
    page.click("header >> text=管理")
    assert page.url == f"{base}/admin/"
    shot(page, "01-libraries")

    page.click("text=添加成员馆")
    page.fill("#code", "jl-bs")  # lower case: the service makes it JL-BS
    page.fill("#name_zh", "白山市图书馆")
    page.fill("#name_en", "Baishan Library")
    page.fill("#region", "吉林省白山市")
    page.click("form.admin-form button[type=submit]")
    assert page.url.endswith("/admin/libraries/JL-BS")
    assert "成员馆 JL-BS 已添加。" in page.inner_text("main")

    new_account = "form[action$='/users']"
    page.fill(f"{new_account} #email", "admin@bs.example.org")
    page.fill(f"{new_account} #name", "白山管理员")
    page.select_option(f"{new_account} #role", "admin")
    page.select_option(f"{new_account} #how", "password")
    page.fill(f"{new_account} #password", "12345678")  # too common: refused, named
    page.click(f"{new_account} button[type=submit]")
    assert "该密码太容易被猜到" in page.inner_text("main")
    shot(page, "02-weak-password")
    page.fill(f"{new_account} #email", "admin@bs.example.org")
    page.select_option(f"{new_account} #role", "admin")
    page.select_option(f"{new_account} #how", "password")
    page.fill(f"{new_account} #password", "baishan library 2026")
    page.click(f"{new_account} button[type=submit]")
    assert "账户 admin@bs.example.org 已创建。" in page.inner_text("main")

    page.fill(f"{new_account} #email", "cataloguer@bs.example.org")
    page.click(f"{new_account} button[type=submit]")  # invited: a one-time link
    link = page.inner_text("[data-link]")
    assert "/account/link/" in link
    shot(page, "03-invitation")

    page.goto(f"{base}/admin/collections/new")
    page.fill("#slug", "baishan-ich")
    page.select_option("#profile", "ich")
    page.fill("#title_zh", "白山非物质文化遗产")
    page.fill("#title_en", "Baishan intangible heritage")
    page.fill("#description_zh", "长白山区的传统技艺、民俗与口头文学。")
    page.fill("#default_rights", "https://creativecommons.org/licenses/by-nc/4.0/")
    page.select_option("#coordinating_library", "JL-BS")
    shot(page, "04-new-collection")
    page.click("form.admin-form button[type=submit]")
    assert page.url.endswith("/admin/collections/baishan-ich")

    page.goto(f"{base}/admin/libraries/JL-BS")
    accounts_table = page.inner_text("main table")
    assert "admin@bs.example.org" in accounts_table and "已邀请" in accounts_table
    shot(page, "05-library")

    page.goto(f"{base}/admin/audit")
    log = page.inner_text("main table")
    for action in ("library.create", "user.create", "user.invite_link", "collection.create"):
        assert action in log
    shot(page, "06-audit")

    # The invited cataloguer sets a password through the link, then signs in.
    other = page.context.browser.new_page(locale="zh-CN")
    other.goto(link)
    other.fill("#password", "my own passphrase")
    other.fill("#repeat", "my own passphrase")
    other.click("form.narrow-form button[type=submit]")
    other.fill("#email", "cataloguer@bs.example.org")
    other.fill("#password", "my own passphrase")
    other.click("form.narrow-form button[type=submit]")
    assert other.url.endswith("/workspace/")
    other.goto(link)
    assert "该链接已使用过" in other.inner_text("main")
