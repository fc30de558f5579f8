"""Facets beyond the sidebar, over HTTP on both backends: the year histogram narrowing the
years, facet values on record pages as searches, related records, language names."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.search.test_search_http import result_titles


@pytest.fixture
def shelves(app_backend, make_collection, make_record):
    plants = make_collection("natural_history", slug="plants")
    heritage = make_collection("ich", slug="heritage")
    documents = make_collection("generic", slug="documents")
    records = {
        "ginseng": make_record(plants, title="人参", genus="人参属 Panax", date="1990"),
        "american": make_record(
            plants,
            title="西洋参",
            scientific_name="Panax quinquefolius L.",
            genus="人参属 Panax",
            date="1995",
        ),
        "yew": make_record(
            plants,
            title="东北红豆杉",
            scientific_name="Taxus cuspidata",
            family="红豆杉科 Taxaceae",
            date="2014",
        ),
        "tiger": make_record(
            plants,
            title="东北虎",
            scientific_name="Panthera tigris altaica",
            kingdom="动物",
            family="猫科 Felidae",
            date="2019",
        ),
        "errenzhuan": make_record(heritage, title="二人转", category="曲艺", level="国家级"),
        "gazetteer": make_record(documents, title="吉林通志", language="chi", date="1891"),
    }
    return records


def record_page(client, record) -> str:
    return client.get(f"/records/{record.public_id}").get_data(as_text=True)


def test_the_year_histogram_narrows_the_search(client, shelves):
    page = client.get("/search").get_data(as_text=True)
    bars = re.findall(r'<a href="([^"]+)" class="bar" data-from="(-?\d+)" data-to="(-?\d+)"', page)
    assert bars, "no histogram"
    assert int(bars[0][1]) <= 1891 and int(bars[-1][2]) >= 2019
    # The bar holding 2014 and 2019 narrows to the records of its years.
    url, start, _end = next(bar for bar in bars if int(bar[1]) <= 2019 <= int(bar[2]))
    narrowed = result_titles(client.get(unescape(url)).get_data(as_text=True))
    expected = {"东北红豆杉", "东北虎"} if int(start) <= 2014 else {"东北虎"}
    assert expected <= set(narrowed) and "吉林通志" not in narrowed
    years = client.get("/api/search").get_json()["years"]
    assert sum(bar["count"] for bar in years) == 5  # the dated records (二人转 has no date)


def test_facet_values_on_a_record_page_link_to_their_search(client, shelves):
    page = record_page(client, shelves["yew"])
    link = re.search(r'<a href="([^"]+)" class="field-search" data-field="family">([^<]+)<', page)
    assert link and unescape(link.group(2)) == "红豆杉科 Taxaceae"
    found = result_titles(client.get(unescape(link.group(1))).get_data(as_text=True))
    assert found == ["东北红豆杉"]
    assert 'data-field="description"' not in page  # prose is no facet


def test_related_records_share_the_most_and_stay_in_the_collection(client, shelves):
    page = record_page(client, shelves["ginseng"])
    section = re.search(r'<section class="related">(.*?)</section>', page, re.S)
    assert section
    titles = [unescape(t) for t in re.findall(r'<a href="/records/[^"]+">([^<]+)</a>', section[1])]
    assert titles[0] == "西洋参"  # same genus and family
    assert set(titles) == {"西洋参", "东北红豆杉", "东北虎"}  # the rest of the collection
    assert "二人转" not in titles and "人参" not in titles


def test_language_codes_read_as_names(client, shelves):
    page = record_page(client, shelves["gazetteer"])
    assert re.search(r'data-field="language">中文</a>', page)
    client.get("/lang/en")
    assert 'data-field="language">Chinese</a>' in record_page(client, shelves["gazetteer"])
    facets = client.get("/api/search", query_string={"collection": "documents"}).get_json()
    language = next(facet for facet in facets["facets"] if facet["name"] == "language")
    assert language["values"] == [
        {"value": "chi", "label": "Chinese", "count": 1, "selected": False}
    ]


def test_a_record_page_without_the_engine_still_shows(client, shelves, app):
    from search.backends.elasticsearch import ElasticsearchBackend
    from tests.search.conftest import searching_with

    down = ElasticsearchBackend("http://127.0.0.1:9", index="huiku-unreachable", timeout=1.0)
    with searching_with(app, down):
        response = client.get(f"/records/{shelves['ginseng'].public_id}")
    assert response.status_code == 200
    assert "<h1>人参</h1>" in response.get_data(as_text=True)
    assert 'class="related"' not in response.get_data(as_text=True)
