"""The embedded (SQLite FTS5) backend beyond the shared contract: swapping in a rebuilt index,
threads reading while others write, damaged or unwritable files, and query text that looks like
FTS5 syntax."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from search.backends import Deletion, SearchUnavailable
from search.backends.embedded import REBUILD_BATCH, EmbeddedBackend
from search.documents import Document, build_document
from search.query import CursorInvalid, SearchRequest, Sort
from tests.search.corpus import RECORDS, corpus_documents, corpus_record

CORPUS_IDS = {key for key, *_ in RECORDS}


def found(backend: EmbeddedBackend, text: str = "", **request) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text, **request)).hits]


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "search.sqlite3"


@pytest.fixture
def backend(index_path: Path) -> Iterator[EmbeddedBackend]:
    opened = EmbeddedBackend(index_path)
    opened.ensure_index()
    opened.apply(corpus_documents())
    yield opened
    opened.drop()


def renamed_ginseng(title: str, version_step: int = 0, key: str = "ginseng") -> Document:
    """The ginseng record under another title (and id), ``version_step`` versions newer."""
    document = build_document(corpus_record(0, title=title))
    document["id"] = key
    document["version"] += version_step
    return document


class TestRebuild:
    def test_searches_see_the_old_index_until_the_new_one_is_complete(self, backend, index_path):
        reader = EmbeddedBackend(index_path)  # another process or thread with the same file
        count = REBUILD_BATCH + 200
        seen_midway: dict[str, object] = {}

        def replacement() -> Iterator[Document]:
            for number in range(count):
                if number == REBUILD_BATCH + 100:  # a first batch has been written by now
                    with ThreadPoolExecutor(1) as pool:
                        seen_midway["ids"] = pool.submit(reader.ids).result()
                        seen_midway["new"] = pool.submit(found, reader, "园参").result()
                        seen_midway["old"] = pool.submit(found, reader, "人参").result()
                yield renamed_ginseng("园参", key=f"garden-{number:05d}")

        assert backend.rebuild(replacement()) == count
        assert seen_midway == {"ids": CORPUS_IDS, "new": [], "old": ["ginseng"]}
        assert reader.status().documents == count
        assert found(reader, "人参") == []
        assert reader.search(SearchRequest(text="园参", per_page=0)).total == count

    def test_changes_applied_during_a_rebuild_survive_the_swap(self, backend, index_path):
        writer = EmbeddedBackend(index_path)
        documents = corpus_documents()

        def reloaded() -> Iterator[Document]:
            yield from documents[:4]
            writer.apply(
                [renamed_ginseng("园参", version_step=1)],  # ginseng was already loaded
                [Deletion("matsutake", documents[5]["version"] + 1)],  # not loaded yet
            )
            yield from documents[4:]  # with its stale copy of matsutake

        backend.rebuild(reloaded())
        assert found(backend, "园参") == ["ginseng"]
        assert backend.ids() == CORPUS_IDS - {"matsutake"}

    def test_a_later_rebuild_takes_over_from_an_earlier_one(self, backend, index_path):
        later = EmbeddedBackend(index_path)

        def slow() -> Iterator[Document]:
            yield renamed_ginseng("园参", key="from-the-earlier-rebuild")
            assert later.rebuild(iter(corpus_documents()[:2])) == 2
            yield renamed_ginseng("园参", key="also-from-the-earlier-rebuild")

        with pytest.raises(SearchUnavailable):
            backend.rebuild(slow())
        assert backend.ids() == {"ginseng", "yew"}

    def test_a_rebuild_that_fails_midway_leaves_the_old_index_serving(self, backend):
        def broken() -> Iterator[Document]:
            yield renamed_ginseng("园参", key="garden")
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError):
            backend.rebuild(broken())
        assert backend.ids() == CORPUS_IDS
        assert found(backend, "人参") == ["ginseng"]
        # The next rebuild starts clean, without the leftovers of the failed one.
        assert backend.rebuild(iter(corpus_documents()[:2])) == 2
        assert backend.ids() == {"ginseng", "yew"}

    def test_stale_copies_in_the_rebuild_stream_do_not_win(self, index_path):
        backend = EmbeddedBackend(index_path)
        newer, older = renamed_ginseng("园参", version_step=5), renamed_ginseng("人参")
        assert backend.rebuild(iter([newer, older])) == 1
        assert found(backend, "园参") == ["ginseng"]
        backend.drop()

    def test_ensure_index_keeps_what_is_indexed(self, backend):
        backend.ensure_index()
        assert backend.ids() == CORPUS_IDS


class TestConcurrency:
    def test_readers_on_threads_see_whole_writes_while_a_writer_applies(self, backend):
        stop = threading.Event()
        problems: list[str] = []
        searches = 0

        def read() -> None:
            nonlocal searches
            while searches == 0 or not stop.is_set():
                result = backend.search(SearchRequest(per_page=50))
                collections = sum(v.count for v in result.facets["collection"])
                if result.total != len(RECORDS) or collections != len(RECORDS):
                    problems.append(f"saw {result.total} records, {collections} in facets")
                # 参 is in both titles (and in 梅花鹿's description): never missing, never twice.
                hits = backend.search(SearchRequest(text="参")).hits
                if sorted(hit.id for hit in hits) != ["deer", "ginseng"]:
                    problems.append(f"found {[hit.id for hit in hits]} for 参")
                searches += 1

        readers = [threading.Thread(target=read) for _ in range(4)]
        for thread in readers:
            thread.start()
        try:
            for step in range(1, 41):
                title = "园参" if step % 2 else "人参"
                backend.apply([renamed_ginseng(title, version_step=step)])
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert problems == []
        assert searches > 0
        assert found(backend, "人参") == ["ginseng"]  # the last write (step 40) won

    def test_concurrent_writers_wait_for_each_other(self, backend):
        def write(prefix: str) -> None:
            for number in range(25):
                backend.apply([renamed_ginseng("园参", key=f"{prefix}-{number}")])

        with ThreadPoolExecutor(3) as pool:
            for future in [pool.submit(write, prefix) for prefix in ("a", "b", "c")]:
                future.result()
        assert backend.status().documents == len(RECORDS) + 75

    def test_a_writer_gives_up_after_the_busy_timeout_while_searches_go_on(self, index_path):
        impatient = EmbeddedBackend(index_path, busy_timeout=0.2)
        impatient.ensure_index()
        impatient.apply(corpus_documents())
        holder = sqlite3.connect(index_path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock and does not let go
            with pytest.raises(SearchUnavailable) as raised:
                impatient.apply([renamed_ginseng("园参", version_step=1)])
            assert "locked" in raised.value.detail
            assert found(impatient, "人参") == ["ginseng"]
        finally:
            holder.close()
        impatient.apply([renamed_ginseng("园参", version_step=1)])
        assert found(impatient, "园参") == ["ginseng"]
        impatient.drop()


class TestBrokenIndex:
    def test_a_file_that_is_not_an_index(self, index_path):
        index_path.write_bytes(b"these are notes, not a search index\n" * 200)
        backend = EmbeddedBackend(index_path)
        for operation in (
            backend.ensure_index,
            lambda: backend.apply(corpus_documents()),
            lambda: backend.search(SearchRequest(text="人参")),
            backend.status,
        ):
            with pytest.raises(SearchUnavailable) as raised:
                operation()
            assert str(index_path) in raised.value.detail
            assert raised.value.status == 503

    def test_damaged_pages(self, backend, index_path):
        assert backend.status().documents == len(RECORDS)  # every connection closed: no WAL left
        size = index_path.stat().st_size
        with index_path.open("r+b") as file:
            file.seek(4096)
            file.write(bytes(range(256)) * ((size - 4096) // 256))
        with pytest.raises(SearchUnavailable):
            backend.search(SearchRequest(text="人参"))

    def test_a_location_that_cannot_hold_a_file(self, tmp_path):
        (tmp_path / "a-folder.sqlite3").mkdir()
        (tmp_path / "a-file").write_text("")
        for path in (tmp_path / "a-folder.sqlite3", tmp_path / "a-file" / "search.sqlite3"):
            backend = EmbeddedBackend(path)
            with pytest.raises(SearchUnavailable):
                backend.ensure_index()
            with pytest.raises(SearchUnavailable):
                backend.rebuild(iter(corpus_documents()))

    def test_an_index_that_was_never_created(self, index_path):
        backend = EmbeddedBackend(index_path)
        with pytest.raises(SearchUnavailable):  # readers are told to try later, not "no results"
            backend.search(SearchRequest())
        assert not index_path.exists()
        assert (backend.status().name, backend.status().documents, backend.ids()) == ("", 0, set())
        backend.apply(corpus_documents())  # the first write creates it
        assert found(backend, "人参") == ["ginseng"]
        assert backend.status().name == str(index_path)
        backend.drop()

    def test_a_failed_write_changes_nothing(self, backend):
        broken = renamed_ginseng("破损", key="broken")
        del broken["collection"]
        with pytest.raises(KeyError):
            backend.apply([renamed_ginseng("园参", version_step=1), broken])
        assert found(backend, "人参") == ["ginseng"]
        assert "broken" not in backend.ids()


class TestQueryText:
    @pytest.mark.parametrize(
        "text",
        [
            "AND",
            "OR",
            "NOT",
            "NEAR",
            "near(the river)",
            "salt*",
            "^salt",
            "pepper:",
            "(salt)",
            'salt"',
            "salt AND pepper",
            "pepper NOT salt",
        ],
    )
    def test_fts_syntax_is_plain_text(self, backend, text):
        notes = build_document(
            corpus_record(5, description="Salt AND pepper, or NOT; near (the river)*^: done")
        )
        notes["version"] += 1
        backend.apply([notes])
        assert found(backend, text) == ["matsutake"]

    @pytest.mark.parametrize("text", ["search_title:人参", "NEAR(人 参)", "人参 OR 松茸", "AND("])
    def test_column_filters_and_operators_are_not_obeyed(self, backend, text):
        assert found(backend, text) == []

    @pytest.mark.parametrize("text", ["{人参}", "人参*", "(人参)", "^人参", "人参:", '人参"'])
    def test_punctuation_around_words_is_ignored(self, backend, text):
        assert found(backend, text) == ["ginseng"]

    @pytest.mark.parametrize("text", ["*", "^", ":", "(", ")", '"', '""', "{ }", "- )"])
    def test_syntax_characters_alone_ask_for_everything(self, backend, text):
        assert set(found(backend, text, per_page=50)) == CORPUS_IDS

    def test_excluded_words_are_plain_text_too(self, backend):
        assert set(found(backend, "-(松茸)", per_page=50)) == CORPUS_IDS - {"matsutake"}
        assert found(backend, '"人参 -OR"') == []

    @pytest.mark.parametrize("prefix", ['"', "*", "(", "^", ":", "-"])
    def test_suggestions_take_syntax_as_text(self, backend, prefix):
        assert backend.suggest(prefix) == []
        assert backend.suggest(f"search_title{prefix}") == []
        assert backend.suggest(f"NEAR{prefix}") == []
        assert [s.id for s in backend.suggest(f'{prefix}人"参*')] == ["ginseng"]


class TestVersions:
    def test_a_stale_document_arriving_after_its_deletion_stays_out(self, backend):
        ginseng = corpus_documents()[0]
        backend.apply([], [Deletion("ginseng", ginseng["version"] + 1)])
        backend.apply([ginseng])  # a retry of an older write
        assert found(backend, "人参") == []
        backend.apply([renamed_ginseng("人参", version_step=2)])  # published again later
        assert found(backend, "人参") == ["ginseng"]

    def test_a_stale_deletion_leaves_the_newer_document(self, backend):
        backend.apply([renamed_ginseng("园参", version_step=5)])
        backend.apply([], [Deletion("ginseng", corpus_documents()[0]["version"] + 1)])
        assert found(backend, "园参") == ["ginseng"]


def counted_by_hand(backend: EmbeddedBackend, request: SearchRequest) -> dict[str, dict]:
    """Facet counts worked out document by document: each facet over the documents matching
    the words, the years and every other facet's filter."""
    unfiltered = SearchRequest(
        text=request.text, year_from=request.year_from, year_to=request.year_to, per_page=100
    )
    matching = [hit.id for hit in backend.search(unfiltered).hits]
    documents = {document["id"]: document for document in corpus_documents()}

    def values(key: str, name: str) -> set[str]:
        document = documents[key]
        if name == "collection":
            return {document["collection"]}
        if name == "library":
            return set(document["libraries"])
        return set(document["facets"].get(name, ()))

    filters = request.all_filters()
    names = {"collection", "library"} | {n for d in documents.values() for n in d["facets"]}
    counts = {}
    for name in names:
        counted = [
            key
            for key in matching
            if all(
                values(key, other) & set(wanted)
                for other, wanted in filters.items()
                if other != name
            )
        ]
        if tally := Counter(value for key in counted for value in values(key, name)):
            counts[name] = dict(tally)
    return counts


class TestResults:
    @pytest.mark.parametrize(
        "request_",
        [
            SearchRequest(),
            SearchRequest(text="-松茸"),  # all documents but one
            SearchRequest(text="国家"),  # about half
            SearchRequest(text="人参"),  # one
            SearchRequest(filters={"kingdom": ("动物", "真菌")}),
            SearchRequest(filters={"kingdom": ("植物",), "library": ("JL-A", "JL-B")}),
            SearchRequest(
                text="-虎", collection="chbs", filters={"protection_level": ("国家一级",)}
            ),
            SearchRequest(year_from=1990, filters={"library": ("JL-A",)}),
            SearchRequest(text="人参", filters={"kingdom": ("动物",), "library": ("JL-B",)}),
        ],
    )
    def test_facet_counts_match_counting_by_hand(self, backend, request_):
        result = backend.search(replace(request_, facet_size=100))
        counts = {f: {v.value: v.count for v in values} for f, values in result.facets.items()}
        for name, values in request_.all_filters().items():  # selected values show even at 0
            for value in values:
                if counts[name][value] == 0:
                    del counts[name][value]
        assert {name: values for name, values in counts.items() if values} == counted_by_hand(
            backend, request_
        )

    def test_counts_over_everything_follow_updates_and_deletions(self, backend):
        documents = corpus_documents()
        ginseng = build_document(corpus_record(0, kingdom="动物"))
        ginseng["version"] += 1
        backend.apply([ginseng])
        backend.apply([ginseng])  # the same version again (a retried task) counts once
        backend.apply([], [Deletion("tiger", documents[3]["version"])])
        backend.apply([], [Deletion("yew", documents[1]["version"])])
        result = backend.search(SearchRequest(per_page=0))
        counts = {f: {v.value: v.count for v in values} for f, values in result.facets.items()}
        assert counts["kingdom"] == {"植物": 1, "动物": 2, "真菌": 1}
        assert counts["library"] == {"JL-A": 5, "JL-C": 2}  # JL-B had only the two removed
        # The same numbers counted the other way, over matches (all dated records of chbs).
        narrowed = backend.search(SearchRequest(per_page=0, year_from=1, collection="chbs"))
        assert {v.value: v.count for v in narrowed.facets["kingdom"]} == {
            "植物": 1,
            "动物": 2,
            "真菌": 1,
        }

    def test_a_selected_value_outside_the_top_values_still_shows(self, backend):
        result = backend.search(SearchRequest(filters={"library": ("JL-C",)}, facet_size=1))
        values = [(v.value, v.count, v.selected) for v in result.facets["library"]]
        assert values == [("JL-A", 5, False), ("JL-C", 2, True)]
        assert {hit.id for hit in result.hits} == {"matsutake", "farmers-dance"}

    def test_a_cursor_from_another_sort_is_refused(self, backend):
        title_cursor = backend.search(SearchRequest(sort=Sort.TITLE, per_page=2)).next_after
        assert title_cursor is not None
        with pytest.raises(CursorInvalid):
            backend.search(SearchRequest(sort=Sort.DATE, after=title_cursor))
        with pytest.raises(CursorInvalid):
            backend.search(SearchRequest(sort=Sort.TITLE, after=("a", "b", "c")))

    def test_beyond_the_paging_window_only_the_total(self, backend):
        result = backend.search(SearchRequest(page=1001, per_page=10))
        assert result.hits == () and result.total == len(RECORDS)
        counted = backend.search(SearchRequest(per_page=0))
        assert counted.hits == () and counted.total == len(RECORDS)
        assert counted.next_after is None and counted.facets["collection"]

    def test_relevance_scores_fall_from_first_to_last(self, backend):
        hits = backend.search(SearchRequest(text="长白山")).hits
        scores = [hit.score for hit in hits]
        assert hits[0].id == "gazetteer" and scores == sorted(scores, reverse=True)
        assert all(hit.score is None for hit in backend.search(SearchRequest()).hits)

    def test_newest_first_compares_times_not_their_spelling(self, backend):
        early, late = corpus_documents()[:2]
        early["published_at"] = "2030-01-02T01:00:00+08:00"  # 2030-01-01 17:00 UTC
        late["published_at"] = "2030-01-01T20:00:00+00:00"
        for document in (early, late):
            document["version"] += 1
        backend.apply([early, late])
        assert found(backend, per_page=2) == ["yew", "ginseng"]

    def test_drop_removes_the_files(self, backend, index_path):
        backend.drop()
        assert list(index_path.parent.iterdir()) == []
