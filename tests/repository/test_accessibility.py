"""Accessibility on the rendered HTML (issue 15): Chinese text is marked ``lang="zh-Hans"`` in the
English interface so screen readers read it with a Chinese voice, a skip link leads past the
header (and past the filters to the search results), repeated landmarks have names, thumbnails
next to their title are decorative, and the record page keeps one ``<h1>``.

In Chromium, tests/repository/test_accessibility_browser.py runs axe-core on the same pages."""

from __future__ import annotations

import re

import lxml.html
import pytest
from markupsafe import Markup

from repository.public.presentation import mark_chinese
from tests.search.conftest import open_backend, searching_with

HAN = re.compile("[\u3400-\u9fff]")


def parse(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


@pytest.fixture
def plants(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def shelves(app, tmp_path, plants, make_record):
    """Records with images in a search index of their own (the embedded backend)."""
    with searching_with(app, open_backend("embedded", tmp_path)) as backend:
        backend.ensure_index()
        make_record(plants, images=1, title="人参", habitat="针阔混交林下")
        make_record(plants, images=1, title="东北红豆杉", family="红豆杉科 Taxaceae")
        yield


def chinese_outside_marks(element: lxml.html.HtmlElement) -> list[str]:
    """Texts with Han characters whose nearest ``lang`` is not Chinese."""
    found = []
    for node in element.iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style"):
            continue
        for text, owner in ((node.text, node), (node.tail, node.getparent())):
            if not text or not HAN.search(text) or owner is None:
                continue
            langs = [owner.get("lang"), *(up.get("lang") for up in owner.iterancestors())]
            if not (next((lang for lang in langs if lang), "") or "").startswith("zh"):
                found.append(text.strip())
    return found


def test_mark_chinese_wraps_only_chinese_in_english():
    assert mark_chinese("人参", "en") == Markup('<span lang="zh-Hans">人参</span>')
    assert mark_chinese("Panax", "en") == Markup("Panax")
    assert mark_chinese("人参", "zh_Hans_CN") == Markup("人参")
    assert mark_chinese("<b>人</b>", "en") == Markup(
        '<span lang="zh-Hans">&lt;b&gt;人&lt;/b&gt;</span>'
    )
    highlighted = Markup("<mark>人参</mark>")
    assert mark_chinese(highlighted, "en") == Markup(
        '<span lang="zh-Hans"><mark>人参</mark></span>'
    )


def test_chinese_on_english_record_and_collection_pages_is_marked(client, plants, make_record):
    record = make_record(plants, images=1, habitat="针阔混交林下")
    for url in (f"/records/{record.public_id}?lang=en", "/collections/changbaishan?lang=en"):
        main = parse(client.get(url)).find(".//main")
        assert chinese_outside_marks(main) == [], url
    page = parse(client.get(f"/records/{record.public_id}?lang=en"))
    assert page.xpath("//h1/span/@lang") == ["zh-Hans"]


def test_chinese_in_english_search_results_and_facets_is_marked(client, shelves):
    page = parse(client.get("/search?q=&lang=en"))
    results = page.get_element_by_id("results")
    assert results.xpath(".//li[contains(@class, 'hit')]")
    facets = page.find_class("facets")[0]
    for part in (results, facets):
        assert chinese_outside_marks(part) == []


def test_the_chinese_interface_needs_no_marks(client, plants, make_record):
    record = make_record(plants)
    page = parse(client.get(f"/records/{record.public_id}?lang=zh_Hans_CN"))
    assert page.get("lang") == "zh-Hans"
    assert not page.xpath("//main//span[@lang='zh-Hans']")


def test_a_skip_link_comes_first_and_leads_to_the_content(client, plants, make_record):
    make_record(plants)
    page = parse(client.get("/?lang=en"))
    first = page.xpath("//body//a")[0]
    assert first.get("href") == "#content" and first.text_content() == "Skip to content"
    assert page.xpath("//main/@id") == ["content"]


def test_on_the_search_page_the_skip_link_passes_the_filters(client, shelves):
    page = parse(client.get("/search?q=&lang=en"))
    first = page.xpath("//body//a")[0]
    assert first.get("href") == "#results"
    assert first.text_content() == "Skip to the results"
    assert page.get_element_by_id("results").tag == "section"


def test_repeated_landmarks_have_names(client, login, plants, make_user, make_record):
    record = make_record(plants)
    login(make_user("reviewer", reviews=[plants]))
    for url in (
        "/?lang=en",
        f"/records/{record.public_id}?lang=en",
        "/workspace/?lang=en",
        "/workspace/duplicates/?lang=en",
        "/imports/?lang=en",
        "/collections/changbaishan?lang=en",
    ):
        page = parse(client.get(url))
        for kind in ("//nav", "//*[@role='search']"):
            found = page.xpath(kind)
            if len(found) > 1:
                names = [element.get("aria-label") for element in found]
                assert all(names) and len(set(names)) == len(names), (url, kind, names)


def test_thumbnails_beside_their_title_are_decorative(client, shelves):
    home = parse(client.get("/?lang=en"))
    assert home.xpath("//article[@class='collection-card']//img/@alt") == [""]
    collection = parse(client.get("/collections/changbaishan?lang=en"))
    assert set(collection.xpath("//li[@class='record-item']//img/@alt")) == {""}
    search = parse(client.get("/search?q=&lang=en"))
    assert set(search.xpath("//li[contains(@class, 'hit')]//img/@alt")) <= {""}


def test_the_record_page_has_one_h1_and_one_main(client, plants, make_record):
    record = make_record(plants, images=2)
    page = parse(client.get(f"/records/{record.public_id}"))
    assert len(page.xpath("//h1")) == 1
    assert len(page.xpath("//main")) == 1
