"""Searching as readers do: the search page and the JSON API, over HTTP."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest


def result_titles(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", unescape(title))
        for title in re.findall(r'<li class="record-item hit">.*?<h2>(.*?)</h2>', page, re.S)
    ]


def facet_link(page: str, facet: str, value: str) -> str:
    match = re.search(
        rf'<a href="([^"]+)"[^>]*data-facet="{facet}" data-value="{re.escape(value)}"', page
    )
    assert match, f"no link for {facet}={value}"
    return unescape(match.group(1))


def facet_count(page: str, facet: str, value: str) -> int | None:
    link = rf'data-facet="{facet}" data-value="{re.escape(value)}">'
    match = re.search(link + r'.*?<span class="count">(\d+)</span>', page, re.S)
    return int(match.group(1)) if match else None


class TestSearchPage:
    def test_traditional_query_finds_the_simplified_record(self, client, herbarium):
        page = client.get("/search?q=人參").get_data(as_text=True)
        assert result_titles(page) == ["人参"]
        assert "<mark>人参</mark>" in page
        assert "共 1 条结果" in page

    def test_clicking_a_facet_narrows_and_updates_the_other_counts(self, client, herbarium):
        page = client.get("/search").get_data(as_text=True)
        assert sorted(result_titles(page)) == sorted(["人参", "东北虎", "梅花鹿"])
        assert facet_count(page, "kingdom", "动物") == 2
        narrowed = client.get(facet_link(page, "kingdom", "动物")).get_data(as_text=True)
        assert sorted(result_titles(narrowed)) == sorted(["东北虎", "梅花鹿"])
        libraries = re.findall(r'data-facet="library" data-value="([^"]+)"', narrowed)
        assert len(libraries) == 2
        assert all(facet_count(narrowed, "library", code) == 1 for code in libraries)
        assert facet_count(narrowed, "kingdom", "植物") == 1  # still offered, to widen
        # The selected filter shows as a chip that removes it again.
        chip = re.search(r'<ul class="chips".*?<a href="([^"]+)"', narrowed, re.S)
        assert chip
        widened = client.get(unescape(chip.group(1))).get_data(as_text=True)
        assert len(result_titles(widened)) == 3

    def test_year_range_and_sort_are_in_the_shareable_url(self, client, herbarium):
        page = client.get("/search?from=2010&to=2020&sort=date").get_data(as_text=True)
        assert result_titles(page) == ["人参", "东北虎"]  # 2011, 2019; 梅花鹿 is 2008
        link = re.search(r'<a href="([^"]+)"[^>]*>[^<]*(?:title|题名)', page)
        assert link is not None
        query = parse_qs(urlsplit(unescape(link.group(1))).query)
        assert query["from"] == ["2010"] and query["to"] == ["2020"]

    def test_search_within_a_collection(self, client, herbarium, make_collection, make_record):
        other = make_collection("ich", slug="ich-test")
        make_record(other, title="人参传说", category="民间文学", level="省级")
        everywhere = client.get("/search?q=人参").get_data(as_text=True)
        assert sorted(result_titles(everywhere)) == ["人参", "人参传说"]
        within = client.get("/search?q=人参&collection=changbai").get_data(as_text=True)
        assert result_titles(within) == ["人参"]

    def test_empty_state_helps(self, client, herbarium):
        page = client.get("/search?q=恐龙&f=kingdom:动物").get_data(as_text=True)
        assert result_titles(page) == []
        assert "没有找到" in page or "Nothing found" in page
        assert "/search?q=%E6%81%90%E9%BE%99" in page  # again without the filters

    def test_english_interface(self, client, herbarium):
        client.get("/lang/en")
        page = client.get("/search?q=tigris").get_data(as_text=True)
        assert result_titles(page) == ["东北虎"]
        assert "1 result" in page and "Group" in page and "Animals" in page

    def test_search_box_on_every_page(self, client, herbarium):
        home = client.get("/").get_data(as_text=True)
        assert 'role="search"' in home and 'action="/search"' in home

    @pytest.mark.parametrize(
        "query",
        [
            '"unbalanced',
            "- -- ---",
            "人" * 5000,
            "人参\x00\x1b[31m",
            "title:人参 AND (",
            "f=kingdom:动物&f=kingdom:植物&page=2",
        ],
    )
    def test_odd_queries_give_results_or_messages_never_errors(self, client, herbarium, query):
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200

    def test_a_long_query_is_cut_with_a_notice(self, client, herbarium):
        page = client.get("/search", query_string={"q": "人" * 5000}).get_data(as_text=True)
        assert "前 200 个字符" in page or "first 200 characters" in page

    @pytest.mark.parametrize(
        ("args", "parameter"),
        [
            ({"f": "colour:red"}, "f"),
            ({"f": "kingdom"}, "f"),
            ({"page": "abc"}, "page"),
            ({"page": "-3"}, "page"),
            ({"from": "1990", "to": "1900"}, "from"),
            ({"sort": "random"}, "sort"),
        ],
    )
    def test_bad_parameters_get_a_message_naming_them(self, client, herbarium, args, parameter):
        response = client.get("/search", query_string=args)
        assert response.status_code == 400
        assert f"<code>{parameter}</code>" in response.get_data(as_text=True)

    def test_an_absurd_page_number_says_where_the_results_end(self, client, herbarium):
        response = client.get("/search?page=999999")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "超出了结果的最后一页" in page or "past the last page" in page

    def test_unknown_collection_scope(self, client, herbarium):
        assert client.get("/search?collection=nowhere").status_code == 404

    def test_engine_down_page_says_so_and_records_still_open(self, client, herbarium, engine_down):
        _, records = herbarium
        response = client.get("/search?q=人参")
        assert response.status_code == 503
        assert "检索服务暂时不可用" in response.get_data(as_text=True)
        assert client.get(f"/records/{records['ginseng'].public_id}").status_code == 200


class TestSearchApi:
    def test_hits_carry_ids_urls_and_facets(self, client, herbarium):
        collection, records = herbarium
        data = client.get("/api/search?q=人參").get_json()
        assert data["total"] == 1
        (hit,) = data["hits"]
        ginseng = records["ginseng"]
        assert hit["id"] == ginseng.public_id
        assert hit["collection"] == collection.slug
        assert hit["library"] == ginseng.library.code
        assert hit["local_id"] == ginseng.local_id
        assert hit["title"] == "人参" and "<mark>" in hit["title_html"]
        assert hit["url"].endswith(f"/records/{ginseng.public_id}")
        assert hit["json_url"].endswith(f"/records/{ginseng.public_id}.json")
        assert hit["thumbnail"] and client.get(hit["thumbnail"]).status_code == 200
        names = [facet["name"] for facet in data["facets"]]
        assert "collection" in names and "kingdom" in names

    def test_after_cursor_pages_through_everything(self, client, herbarium):
        seen, after = [], None
        for _ in range(5):
            args = {"per_page": 1, "sort": "title"} | ({"after": after} if after else {})
            data = client.get("/api/search", query_string=args).get_json()
            seen += [hit["id"] for hit in data["hits"]]
            after = data["next_after"]
            if not after:
                break
        assert len(seen) == len(set(seen)) == 3

    def test_bad_parameters_are_400_with_bilingual_messages(self, client, herbarium):
        response = client.get("/api/search?f=colour:red&per_page=1000&after=%%%")
        assert response.status_code == 400
        errors = response.get_json()["errors"]
        assert set(errors) == {"f", "per_page", "after"}
        assert errors["f"][0]["zh"] and errors["f"][0]["en"]

    def test_a_cursor_from_another_sort_is_a_400(self, client, herbarium):
        first = client.get("/api/search?per_page=1&sort=title").get_json()
        response = client.get(f"/api/search?per_page=1&sort=newest&after={first['next_after']}")
        assert response.status_code == 400
        assert "after" in response.get_json()["errors"]

    def test_engine_down_is_503(self, client, herbarium, engine_down):
        response = client.get("/api/search?q=人参")
        assert response.status_code == 503
        assert response.get_json()["message"]

    def test_suggestions_as_you_type(self, client, herbarium):
        data = client.get("/api/suggest?q=東北").get_json()
        assert [s["title"] for s in data["suggestions"]] == ["东北虎"]
        assert client.get("/api/suggest?q=").get_json() == {"suggestions": []}
