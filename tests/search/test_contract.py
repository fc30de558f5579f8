"""The search contract: what every backend must do, Elasticsearch and embedded alike.

The corpus (tests/search/corpus.py) holds the traps: traditional titles, names inside longer
names, characters of a query that appear apart, Latin names in mixed case.
"""

from __future__ import annotations

import pytest

from search.backends import Deletion
from search.documents import build_document
from search.query import SearchRequest, Sort
from tests.search.corpus import RECORDS, corpus_documents, corpus_record


def ids(backend, text: str = "", **request) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text, **request)).hits]


def facet_counts(result, name: str) -> dict[str, int]:
    return {value.value: value.count for value in result.facets.get(name, ())}


class TestChinese:
    def test_traditional_query_finds_simplified_record(self, corpus_backend):
        assert ids(corpus_backend, "人參") == ["ginseng"]

    def test_simplified_query_finds_traditional_record(self, corpus_backend):
        assert "yew" in ids(corpus_backend, "东北红豆杉")
        assert ids(corpus_backend, "江岗志略") == ["gazetteer"]

    def test_single_character_query_ranks_the_title_first(self, corpus_backend):
        found = ids(corpus_backend, "虎")
        assert found[0] == "tiger"
        assert "deer" in found  # mentions 东北虎 in its description

    def test_two_characters_must_stand_together(self, corpus_backend):
        # 梅花鹿's description has 人 and 参 apart (行人应参照): not a match for 人参.
        assert ids(corpus_backend, "人参") == ["ginseng"]

    def test_word_inside_a_longer_name_without_scattered_matches(self, corpus_backend):
        # 红松 has 红 and 杉 apart in its description: not a match for 红豆杉.
        assert ids(corpus_backend, "红豆杉") == ["yew"]

    def test_title_match_outranks_a_mention_in_the_description(self, corpus_backend):
        assert ids(corpus_backend, "东北虎")[:2] == ["tiger", "deer"]
        assert ids(corpus_backend, "长白山")[0] == "gazetteer"

    def test_latin_names_match_case_insensitively(self, corpus_backend):
        assert ids(corpus_backend, "PANAX Ginseng") == ["ginseng"]
        assert ids(corpus_backend, "taxus") == ["yew"]

    def test_vocabulary_terms_are_found_by_their_english_label(self, corpus_backend):
        assert set(ids(corpus_backend, "fungi")) == {"matsutake"}


class TestQueryOperators:
    def test_quoted_phrase_needs_the_words_together(self, corpus_backend):
        assert set(ids(corpus_backend, "sieb zucc")) == {"yew", "pine"}
        assert ids(corpus_backend, '"Pinus koraiensis"') == ["pine"]
        assert ids(corpus_backend, '"koraiensis pinus"') == []

    def test_every_word_must_match(self, corpus_backend):
        assert ids(corpus_backend, "东北 猫科") == ["tiger"]

    def test_minus_excludes(self, corpus_backend):
        assert set(ids(corpus_backend, "国家一级 -动物")) == {"ginseng", "yew"}

    def test_only_exclusions_return_everything_else(self, corpus_backend):
        found = set(ids(corpus_backend, "-长白山", per_page=50))
        assert found == {key for key, *_ in RECORDS} - {"gazetteer", "manchu-epics"}

    def test_operators_and_punctuation_alone_ask_for_everything(self, corpus_backend):
        assert len(ids(corpus_backend, '- " ，。', per_page=50)) == len(RECORDS)

    def test_lucene_syntax_is_plain_text(self, corpus_backend):
        assert ids(corpus_backend, "title:人参 OR *:* AND (") == []


class TestFacets:
    def test_counts_for_every_value(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(per_page=0))
        assert result.total == len(RECORDS)
        assert facet_counts(result, "collection") == {"chbs": 6, "ich": 2, "docs": 1}
        assert facet_counts(result, "library") == {"JL-A": 5, "JL-B": 2, "JL-C": 2}
        assert facet_counts(result, "kingdom") == {"植物": 3, "动物": 2, "真菌": 1}

    def test_a_filter_narrows_and_updates_the_other_counts(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(filters={"kingdom": ("动物",)}))
        assert {hit.id for hit in result.hits} == {"tiger", "deer"}
        assert facet_counts(result, "library") == {"JL-A": 1, "JL-B": 1}
        # The filtered facet keeps its other values, so readers can widen the choice.
        assert facet_counts(result, "kingdom") == {"植物": 3, "动物": 2, "真菌": 1}
        assert [v.value for v in result.facets["kingdom"] if v.selected] == ["动物"]

    def test_values_of_one_facet_combine_with_or_and_facets_with_and(self, corpus_backend):
        either = SearchRequest(filters={"kingdom": ("动物", "真菌")})
        assert {hit.id for hit in corpus_backend.search(either).hits} == {
            "tiger",
            "deer",
            "matsutake",
        }
        both = SearchRequest(filters={"kingdom": ("动物", "真菌"), "library": ("JL-B",)})
        assert [hit.id for hit in corpus_backend.search(both).hits] == ["tiger"]

    def test_facets_respond_to_the_text_query(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(text="国家一级"))
        assert facet_counts(result, "kingdom") == {"植物": 2, "动物": 2}

    def test_within_a_collection(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(text="长白山", collection="ich"))
        assert [hit.id for hit in result.hits] == ["manchu-epics"]
        assert facet_counts(result, "ethnic_group") == {"满族": 1}

    def test_an_unknown_value_finds_nothing(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(filters={"kingdom": ("矿物",)}))
        assert result.total == 0 and result.hits == ()

    def test_year_range_keeps_records_that_overlap_it(self, corpus_backend):
        assert set(ids(corpus_backend, year_from=1900, year_to=1990)) == {"gazetteer", "pine"}
        assert set(ids(corpus_backend, year_from=2019)) == {"tiger", "matsutake"}
        assert ids(corpus_backend, year_to=1907) == []


class TestSortingAndPaging:
    def test_titles_sort_by_pinyin(self, corpus_backend):
        titles = [
            hit.title
            for hit in corpus_backend.search(SearchRequest(sort=Sort.TITLE, per_page=50)).hits
        ]
        assert titles[:3] == ["長白山江岡志略", "朝鲜族农乐舞", "東北紅豆杉"]  # chang < chao
        assert titles[-1] == "松茸"

    def test_date_sort_puts_the_earliest_first_and_undated_last(self, corpus_backend):
        found = ids(corpus_backend, sort=Sort.DATE, per_page=50)
        assert found[:3] == ["gazetteer", "pine", "deer"]
        assert set(found[-2:]) == {"farmers-dance", "manchu-epics"}  # no date

    def test_newest_first_is_the_default_without_words(self, corpus_backend):
        assert ids(corpus_backend, per_page=3) == ["gazetteer", "manchu-epics", "farmers-dance"]

    def test_pages_do_not_overlap(self, corpus_backend):
        first = ids(corpus_backend, sort=Sort.TITLE, per_page=4, page=1)
        second = ids(corpus_backend, sort=Sort.TITLE, per_page=4, page=2)
        third = ids(corpus_backend, sort=Sort.TITLE, per_page=4, page=3)
        assert len(first) == 4 and len(second) == 4 and len(third) == 1
        assert len(set(first + second + third)) == len(RECORDS)

    def test_a_page_past_the_end_is_empty_with_the_true_total(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(page=500, per_page=20))
        assert result.hits == () and result.total == len(RECORDS)

    @pytest.mark.parametrize("sort", list(Sort))
    def test_after_cursor_walks_every_result_once(self, corpus_backend, sort):
        text = "国家" if sort is Sort.RELEVANCE else ""
        seen: list[str] = []
        after = None
        for _ in range(10):
            result = corpus_backend.search(
                SearchRequest(text=text, sort=sort, per_page=2, after=after)
            )
            seen += [hit.id for hit in result.hits]
            after = result.next_after
            if after is None:
                break
        expected = ids(corpus_backend, text, sort=sort, per_page=50)
        assert seen == expected


class TestHits:
    def test_hit_carries_what_a_result_list_shows(self, corpus_backend):
        (hit,) = corpus_backend.search(SearchRequest(text="红豆杉")).hits
        assert (hit.collection, hit.libraries, hit.local_id) == ("chbs", ("JL-B",), "L-yew")
        assert hit.title == "東北紅豆杉"
        assert str(hit.title_html) == "東北<mark>紅豆杉</mark>"
        assert "<mark>红豆杉</mark>" in hit.snippet
        assert (hit.year_start, hit.year_end) == (2015, 2015)

    def test_snippet_shows_where_a_description_matched(self, corpus_backend):
        hits = corpus_backend.search(SearchRequest(text="东北虎")).hits
        deer = next(hit for hit in hits if hit.id == "deer")
        assert "<mark>东北虎</mark>的主要猎物" in deer.snippet

    def test_markup_in_stored_text_is_escaped(self, new_backend):
        backend = new_backend()
        record = corpus_record(0, description="<script>alert(1)</script> 根肉质")
        backend.apply([build_document(record)], refresh=True)
        (hit,) = backend.search(SearchRequest(text="根肉质")).hits
        assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


class TestSuggestions:
    def test_titles_containing_what_was_typed(self, corpus_backend):
        titles = [s.title for s in corpus_backend.suggest("长白")]
        assert titles == ["長白山江岡志略"]
        # Titles that begin with the text first, shorter ones before longer ones.
        assert [s.title for s in corpus_backend.suggest("東北")] == ["东北虎", "東北紅豆杉"]
        assert [s.title for s in corpus_backend.suggest("松")] == ["松茸", "红松"]

    def test_latin_prefix_and_collection_scope(self, corpus_backend):
        assert [s.id for s in corpus_backend.suggest("朝鲜", collection="ich")] == ["farmers-dance"]
        assert corpus_backend.suggest("朝鲜", collection="chbs") == []

    def test_nothing_for_punctuation(self, corpus_backend):
        assert corpus_backend.suggest("“ ”") == []


class TestWrites:
    def test_update_replaces_the_document(self, new_backend):
        backend = new_backend()
        backend.apply([build_document(corpus_record(0))], refresh=True)
        changed = corpus_record(0, title="园参")
        changed.updated_at = changed.updated_at.replace(year=2026)
        backend.apply([build_document(changed)], refresh=True)
        assert ids(backend, "园参") == ["ginseng"]
        assert ids(backend, "人参") == []
        assert backend.status().documents == 1

    def test_a_stale_write_never_overwrites_a_newer_one(self, new_backend):
        backend = new_backend()
        newer = corpus_record(0, title="园参")
        newer.updated_at = newer.updated_at.replace(year=2026)
        backend.apply([build_document(newer)], refresh=True)
        backend.apply([build_document(corpus_record(0))], refresh=True)  # older version
        assert ids(backend, "园参") == ["ginseng"]

    def test_deletion_removes_and_is_idempotent(self, new_backend):
        backend = new_backend()
        documents = corpus_documents()
        backend.apply(documents, refresh=True)
        gone = Deletion("tiger", documents[3]["version"] + 1)
        backend.apply([], [gone], refresh=True)
        backend.apply([], [gone, Deletion("never-indexed", 1)], refresh=True)
        assert "tiger" not in ids(backend, "虎")
        assert backend.ids() == {key for key, *_ in RECORDS} - {"tiger"}

    def test_rebuild_replaces_everything_at_once(self, new_backend):
        backend = new_backend()
        documents = corpus_documents()
        backend.apply(documents, refresh=True)
        count = backend.rebuild(iter(documents[:3]))
        assert count == 3
        assert backend.ids() == {"ginseng", "yew", "pine"}
        assert backend.status().documents == 3
        assert ids(backend, "人参") == ["ginseng"]

    def test_rebuild_when_nothing_was_indexed_yet(self, new_backend):
        backend = new_backend()
        backend.drop()
        assert backend.rebuild(iter(corpus_documents())) == len(RECORDS)
        assert ids(backend, "松茸") == ["matsutake"]

    def test_empty_index_answers_with_no_hits(self, empty_backend):
        result = empty_backend.search(SearchRequest(text="人参"))
        assert result.total == 0 and result.hits == ()
        assert empty_backend.status().documents == 0


class TestPinyin:
    def test_full_pinyin_joined_spaced_or_with_tone_marks(self, corpus_backend):
        assert ids(corpus_backend, "hongsong") == ["pine"]
        assert ids(corpus_backend, "hóngsōng") == ["pine"]
        assert ids(corpus_backend, "nong yue wu") == ["farmers-dance"]
        assert ids(corpus_backend, '"nong yue wu"') == ["farmers-dance"]
        assert ids(corpus_backend, "changbaishan")[0] == "gazetteer"

    def test_initials_and_aliases(self, corpus_backend):
        assert ids(corpus_backend, "rs") == ["ginseng"]
        assert ids(corpus_backend, "bangchui") == ["ginseng"]  # the alias 棒槌

    def test_chinese_matches_rank_above_pinyin_matches(self, corpus_backend):
        # "song" is 松 in 红松 and 松茸; the record titled in pinyin-free Latin does not exist,
        # so compare a Latin name match with a pinyin one instead.
        assert ids(corpus_backend, "panax") == ["ginseng"]
        assert ids(corpus_backend, "tigris") == ["tiger"]
        assert set(ids(corpus_backend, "song")) == {"pine", "matsutake"}

    def test_pinyin_does_not_exclude(self, corpus_backend):
        assert "pine" in ids(corpus_backend, "国家二级 -hongsong")

    def test_suggestions_accept_pinyin_initials_and_aliases(self, corpus_backend):
        assert [s.id for s in corpus_backend.suggest("hongs")] == ["pine"]
        assert [s.id for s in corpus_backend.suggest("rs")] == ["ginseng"]
        assert [s.id for s in corpus_backend.suggest("棒槌")] == ["ginseng"]
        assert [s.id for s in corpus_backend.suggest("Panax")] == ["ginseng"]

    @pytest.mark.parametrize(
        "text",
        ["ˉˊˇˋ", "̀́̌", "，。！？", "人参ginseng", "ｐａｎａｘ", "长" * 200, "a" * 200, "ü", "'"],
    )
    def test_odd_queries_do_not_break(self, corpus_backend, text):
        corpus_backend.search(SearchRequest(text=text))
        corpus_backend.suggest(text)


class TestSynonyms:
    def test_everyday_words_find_what_the_catalogue_calls_it(self, corpus_backend):
        assert ids(corpus_backend, "tiger")[0] == "tiger"
        assert ids(corpus_backend, "老虎") == ["tiger", "deer"]  # deer mentions 东北虎
        assert ids(corpus_backend, "Amur tiger")[0] == "tiger"

    def test_the_expansion_is_shown_and_highlighted(self, corpus_backend):
        result = corpus_backend.search(SearchRequest(text="老虎"))
        assert SearchRequest(text="老虎").query.also_searched == ("东北虎",)
        assert str(result.hits[0].title_html) == "<mark>东北虎</mark>"

    def test_only_one_level_deep_and_not_for_exclusions(self, corpus_backend):
        assert "tiger" in ids(corpus_backend, "国家一级 -老虎")
