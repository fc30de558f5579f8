"""In Chromium: axe-core finds no WCAG 2.1 A/AA violation and breaks none of its best practices
on the home, search, record and administration pages, in both languages; the skip link is the
first tab stop and leads past the filters to the results; Mirador, once started, leaves the record
page one main landmark and one top-level heading; the import page's radio buttons sit beside
their labels (issue 15)."""

from __future__ import annotations

import pytest

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.extensions import db
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA, jpeg_bytes
from tests.repository import browser_pages
from tests.repository.browser_pages import axe_violations, new_page, screenshots, sign_in

chromium = browser_pages.chromium  # fixtures
axe_script = browser_pages.axe_script

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shelf(live_server):
    """A published collection with records (images, Chinese values) and an administrator."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        return _shelve(live_server)
    finally:
        db.session.remove()
        db.session = test_session


def _shelve(live_server) -> dict[str, str]:
    with live_server.context():
        library = accounts.create_library("A11Y-JL", "无障碍图书馆", "Accessible Library")
        collection = collections.create_collection(
            "a11y-plants",
            "natural_history",
            "无障碍植物",
            "Accessible plants",
            description_zh="长白山的植物。",
            description_en="Plants of Changbai Mountain. Their Chinese names are shown as such.",
        )
        admin = accounts.create_user("admin@a11y.example.org", library, "admin", PASSWORD)
        first = None
        for n, title in enumerate(("人参", "东北红豆杉", "刺五加")):
            record = save_new_record(
                admin,
                collection,
                {**SAMPLE_METADATA["natural_history"], "title": title, "local_id": f"A-{n}"},
                [ImageUpload(jpeg_bytes((800, 600)), f"{n}.jpg", f"{title}全株")],
            )
            records.submit_record(admin, record)
            records.publish_record(admin, record)
            first = first or record.public_id
        return {"record": first, "admin": admin.email}


def violations_on(page, url: str, axe_script: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return axe_violations(page, axe_script)


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_public_pages_pass_axe(chromium, live_server, shelf, axe_script, language, tmp_path):
    page = new_page(chromium, language)
    found = {}
    for name, path in (
        ("home", "/"),
        ("collection", "/collections/a11y-plants"),
        ("search", "/search?q="),
        ("search-query", "/search?q=人参"),
        ("record", f"/records/{shelf['record']}"),
    ):
        found[name] = violations_on(page, live_server.url + path, axe_script)
        page.screenshot(path=str(screenshots(tmp_path) / f"a11y-{name}-{language}.png"))
    assert found == {name: [] for name in found}


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_administration_and_workspace_pass_axe(chromium, live_server, shelf, axe_script, language):
    page = sign_in(chromium, live_server, shelf["admin"], language)
    found = {
        path: violations_on(page, live_server.url + path, axe_script)
        for path in (
            "/admin/",
            "/workspace/",
            "/imports/",
            "/workspace/duplicates/",
            "/workspace/collections/a11y-plants/import",
            "/workspace/collections/a11y-plants/records/new",
        )
    }
    assert found == {path: [] for path in found}


def test_the_skip_link_is_the_first_tab_stop_and_jumps_to_the_results(chromium, live_server, shelf):
    page = new_page(chromium)
    page.goto(f"{live_server.url}/search?q=")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.textContent, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["Skip to the results", "#results"]
    assert page.locator("a.skip-link").is_visible()  # shown once it has the focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    in_results = page.evaluate(
        "() => !!document.activeElement.closest('#results') && document.activeElement.tagName"
    )
    assert in_results == "A"
    first_hit = page.evaluate(
        "() => document.activeElement.closest('li.hit') !== null || "
        "document.activeElement.closest('.results-bar') !== null"
    )
    assert first_hit


def test_mirador_leaves_one_main_landmark_and_one_h1(chromium, live_server, shelf, axe_script):
    page = new_page(chromium)
    page.goto(f"{live_server.url}/records/{shelf['record']}")
    if page.locator("#iiif-viewer[data-script]").count() == 0:
        pytest.skip("Mirador is not installed (scripts/viewer-assets)")
    page.hover("#iiif-viewer")
    page.wait_for_selector("#iiif-viewer .mirador-viewer", timeout=30000)
    page.wait_for_timeout(500)
    mains = page.evaluate(
        "() => [...document.querySelectorAll('main, [role=main]')]"
        ".filter(e => (e.getAttribute('role') || 'main') === 'main').length"
    )
    top_headings = page.evaluate(
        "() => [...document.querySelectorAll('h1')]"
        ".filter(h => (h.getAttribute('aria-level') || '1') === '1').length"
    )
    assert (mains, top_headings) == (1, 1)
    rules = ["landmark-main-is-top-level", "landmark-no-duplicate-main", "page-has-heading-one"]
    assert axe_violations(page, axe_script, runOnly={"type": "rule", "values": rules}) == []


def test_import_radio_buttons_sit_beside_their_labels(chromium, live_server, shelf, tmp_path):
    page = sign_in(chromium, live_server, shelf["admin"])
    page.goto(f"{live_server.url}/workspace/collections/a11y-plants/import")
    labels = page.locator("fieldset.radio-group label.check")
    assert labels.count() >= 4
    for n in range(labels.count()):
        label = labels.nth(n)
        radio = label.locator("input[type=radio]").bounding_box()
        whole = label.bounding_box()
        assert radio["width"] < 40, radio  # not stretched over the line
        assert whole["height"] < 2.2 * radio["height"] + 16, (radio, whole)  # on one line
        assert (
            radio["y"] >= whole["y"] - 1
            and radio["y"] + radio["height"] <= whole["y"] + whole["height"] + 1
        )
    page.screenshot(path=str(screenshots(tmp_path) / "import-radios.png"), full_page=True)
