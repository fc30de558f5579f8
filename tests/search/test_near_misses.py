"""Searches one step away from the catalogued words, and odd input, over HTTP on both backends:
the fallback to most of the words, "did you mean", and pages that never fail."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.search.test_search_http import result_titles


@pytest.fixture
def catalogue(app_backend, make_collection, make_record):
    """Plants and intangible heritage, with near neighbours of each other's titles."""
    plants = make_collection("natural_history", slug="plants")
    heritage = make_collection("ich", slug="heritage")
    make_record(plants, title="长白山人参", description="野生人参，国家一级保护。", date="2016")
    make_record(plants, title="人参", description="吉林抚松，产于长白山林下。", date="2011")
    make_record(
        plants,
        title="西洋参",
        scientific_name="Panax quinquefolius L.",
        genus="人参属 Panax",
        date="1990",
    )
    make_record(
        plants,
        title="东北虎",
        scientific_name="Panthera tigris altaica",
        kingdom="动物",
        family="猫科 Felidae",
        date="2019",
    )
    make_record(
        heritage,
        title="二人转",
        category="曲艺",
        level="国家级",
        description="东北地区流行的走唱类曲艺。",
        ethnic_group=["汉族"],
    )
    make_record(heritage, title="吉剧", category="传统戏剧", level="国家级", ethnic_group=["汉族"])
    return plants, heritage


def did_you_mean(page: str) -> str | None:
    match = re.search(r'<p class="did-you-mean">.*?<a href="([^"]+)">([^<]+)</a>', page, re.S)
    return unescape(match.group(2)) if match else None


def test_one_character_off_finds_the_title_and_offers_it(client, catalogue):
    page = client.get("/search?q=二人传").get_data(as_text=True)
    assert "二人转" in result_titles(page)[:5]
    assert "没有记录包含全部检索词" in page  # the page says these are near misses
    assert did_you_mean(page) == "二人转"
    answer = client.get("/api/search", query_string={"q": "二人传"}).get_json()
    assert answer["relaxed"] is True and answer["did_you_mean"] == "二人转"
    assert answer["hits"][0]["title"] == "二人转"
    # What was suggested finds it exactly, with no fallback.
    exact = client.get("/api/search", query_string={"q": "二人转"}).get_json()
    assert [hit["title"] for hit in exact["hits"]] == ["二人转"]
    assert exact["relaxed"] is False and exact["did_you_mean"] is None


def test_records_matching_every_word_come_before_near_misses(client, catalogue):
    answer = client.get("/api/search", query_string={"q": "长白山人参"}).get_json()
    titles = [hit["title"] for hit in answer["hits"]]
    assert titles[:2] == ["长白山人参", "人参"]  # exact; then all five characters, apart
    assert "西洋参" not in titles  # one character of five is not "most"
    assert answer["relaxed"] is True
    assert "Only 1 record(s) match every word" in answer["notices"][-1]["en"]


def test_enough_exact_hits_need_no_fallback(client, catalogue):
    answer = client.get("/api/search", query_string={"q": "人参"}).get_json()
    assert answer["total"] >= 3 and answer["relaxed"] is False
    assert answer["did_you_mean"] is None


def test_a_misspelt_latin_name_is_put_right(client, catalogue):
    page = client.get("/search?q=panax+ginsneg").get_data(as_text=True)
    assert "人参" in result_titles(page)[:3]
    assert did_you_mean(page) == "panax ginseng"


@pytest.mark.parametrize(
    "query",
    [
        "ˉˊˇˋ",  # only tone marks
        "，。！？……",  # only punctuation
        "tiger虎 Panax人参",  # mixed scripts
        "参" * 200,  # one character, repeated
        "长白山人参" * 40,  # a long real word, repeated
        '"二人传"',  # a quoted phrase is not relaxed into characters
    ],
)
def test_odd_queries_give_a_page_never_an_error(client, catalogue, query):
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    api = client.get("/api/search", query_string={"q": query})
    assert api.status_code == 200
    assert api.get_json()["total"] >= 0


def test_latin_words_that_look_like_pinyin_find_latin_names_first(client, catalogue):
    assert result_titles(client.get("/search?q=panax").get_data(as_text=True))[0] in (
        "长白山人参",
        "人参",
        "西洋参",
    )
    full_width = result_titles(client.get("/search?q=ＰＡＮＡＸ").get_data(as_text=True))
    assert "西洋参" in full_width
    assert result_titles(client.get("/search?q=tiger").get_data(as_text=True))[0] == "东北虎"
