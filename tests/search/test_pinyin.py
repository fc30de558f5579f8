"""Pinyin as readers and librarians expect it: sort keys read word by word, pinyin queries."""

from __future__ import annotations

import pytest

from demo.dataset import rows as demo_rows
from repository.chinese import ReadingsError, pinyin_sort_key, read_place_names

DEMO_TITLES = [row.cells["title"] for row in demo_rows()]


class TestSortKeys:
    def test_place_names_read_as_places(self):
        assert pinyin_sort_key("长白松").startswith("chang2 bai2")
        assert pinyin_sort_key("长白落叶松").startswith("chang2 bai2")
        assert pinyin_sort_key("查干淖尔冬捕习俗").startswith("cha2 gan1")
        assert pinyin_sort_key("银行行长") == "yin2 hang2 hang2 zhang3"  # a word still wins

    def test_demo_titles_beginning_with_changbai_sort_together_by_what_follows(self):
        ordered = sorted(DEMO_TITLES, key=pinyin_sort_key)
        changbai = [title for title in ordered if title.startswith("长白")]
        first = ordered.index(changbai[0])
        assert ordered[first : first + len(changbai)] == changbai  # nothing in between
        assert changbai.index("长白落叶松") < changbai.index("长白山罂粟")  # luo < shan
        assert changbai.index("长白山罂粟") < changbai.index("长白松")  # shan < song
        assert ordered.index("长春电影制片厂厂门") > first + len(changbai) - 1  # bai < chun

    def test_a_place_name_line_without_one_syllable_per_character_is_refused(self, tmp_path):
        bad = tmp_path / "places.txt"
        bad.write_text("# places\n长白 cháng bái\n长春 chang\n", encoding="utf-8")
        with pytest.raises(ReadingsError, match="line 3"):
            read_place_names(bad)


class TestOverHttp:
    def test_pinyin_and_everyday_words_on_the_search_page(self, client, herbarium):
        from tests.search.test_search_http import result_titles

        assert result_titles(client.get("/search?q=renshen").get_data(as_text=True)) == ["人参"]
        page = client.get("/search?q=老虎").get_data(as_text=True)
        assert result_titles(page)[0] == "东北虎"
        assert "同时检索：东北虎" in page

    def test_suggestions_take_pinyin_and_initials(self, client, herbarium):
        for typed in ("rens", "rs", "人"):
            answer = client.get("/api/suggest", query_string={"q": typed}).get_json()
            assert [s["title"] for s in answer["suggestions"]] == ["人参"], typed
