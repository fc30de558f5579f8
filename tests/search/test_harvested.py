"""Harvested records in the one-stop search, on both backends: found like contributed records,
a facet by source, merged into the contributed record they match, never exported as ours.

Harvested rows are made here with the models and their outbox rows, as the harvester makes them.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from repository.extensions import db
from repository.models import IndexTask, Record
from repository.models.base import utcnow
from repository.models.harvest import HarvestedRecord, HarvestSource, SourceKind
from repository.services import records
from repository.transactions import INDEX_TASKS_QUEUED, unit_of_work
from search.indexing import index_report, reindex
from search.query import SearchRequest
from tests.search.test_openapi import conforms

_numbers = itertools.count(1)


def found(backend, text: str = "", **request: Any) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text, **request)).hits]


def source_counts(result) -> dict[str, int]:
    return {value.value: value.count for value in result.facets.get("source", ())}


def queue(harvested: HarvestedRecord, action: str = "upsert") -> None:
    """The outbox row the harvester writes with each change of a harvested record."""
    db.session.add(
        IndexTask(record_id=harvested.id, record_public_id=harvested.public_id, action=action)
    )
    db.session.info[INDEX_TASKS_QUEUED] = True


@pytest.fixture
def make_source(make_library):
    def make(slug: str = "jlgj", name: str = "吉林古籍数字化平台", library=None) -> HarvestSource:
        with unit_of_work():
            source = HarvestSource(
                slug=slug,
                name=name,
                kind=SourceKind.OAI,
                base_url=f"https://{slug}.example.org/oai",
                library_id=(library or make_library(f"SRC-{next(_numbers)}")).id,
            )
            db.session.add(source)
        return source

    return make


@pytest.fixture
def harvest():
    def make(source: HarvestSource, title: str, **metadata: Any) -> HarvestedRecord:
        number = next(_numbers)
        with unit_of_work():
            harvested = HarvestedRecord(
                source=source,
                identifier=f"oai:{source.slug}:{number}",
                datestamp="2026-11-30",
                title=title,
                metadata_={"title": title, **metadata},
                year_start=1891,
                year_end=1891,
                original_url=f"https://{source.slug}.example.org/items/{number}",
                thumbnail_url=f"https://{source.slug}.example.org/thumbs/{number}.jpg",
            )
            db.session.add(harvested)
            db.session.flush()
            queue(harvested)
        return harvested

    return make


def match(harvested: HarvestedRecord, record: Record | None) -> None:
    """What the harvester does when a harvested record starts (or stops) matching a record."""
    with unit_of_work():
        before = harvested.matched_record_id
        harvested.matched_record_id = record.id if record else None
        queue(harvested)
        for record_id in {before, harvested.matched_record_id} - {None}:
            other = db.session.get(Record, record_id)
            db.session.add(
                IndexTask(record_id=other.id, record_public_id=other.public_id, action="upsert")
            )


class TestFinding:
    def test_found_by_one_or_two_characters_and_by_traditional_ones(
        self, app_backend, make_source, harvest
    ):
        harvested = harvest(
            make_source(), "長白山江岗志略", description="光緒十七年刘建封踏查长白山所记。"
        )
        assert harvested.public_id.startswith("h-")
        assert found(app_backend, "志") == [harvested.public_id]
        assert found(app_backend, "江岗") == [harvested.public_id]
        assert found(app_backend, "长白山") == [harvested.public_id]  # simplified finds 長白山
        assert found(app_backend, "光绪") == [harvested.public_id]  # in the description
        assert found(app_backend, "踏查長白") == [harvested.public_id]

    def test_hit_names_its_source_library_and_original(
        self, client, app_backend, make_source, make_library, harvest
    ):
        library = make_library("JL-GJ", name_zh="吉林省图书馆")
        source = make_source(library=library)
        harvested = harvest(source, "满文老档")
        data = client.get("/api/search", query_string={"q": "老档"}).get_json()
        (hit,) = data["hits"]
        assert hit["id"] == harvested.public_id and hit["kind"] == "harvested"
        assert hit["url"].endswith(f"/harvested/{harvested.public_id}")
        assert hit["library"] == "JL-GJ" and hit["collection"] is None
        assert hit["source"] == "jlgj" and hit["source_name"] == "吉林古籍数字化平台"
        assert hit["original_url"] == harvested.original_url
        assert hit["thumbnail"] == harvested.thumbnail_url
        spec = client.get("/api/openapi.json").get_json()
        assert conforms(spec, "SearchResult", data) == []
        library_facet = next(f for f in data["facets"] if f["name"] == "library")
        assert {"value": "JL-GJ", "label": "吉林省图书馆", "count": 1, "selected": False} in (
            library_facet["values"]
        )

        page = client.get("/search", query_string={"q": "老档"}).get_data(as_text=True)
        assert f'href="/harvested/{harvested.public_id}"' in page
        assert f'src="{harvested.thumbnail_url}"' in page
        assert "吉林古籍数字化平台" in page and "吉林省图书馆" in page

    def test_a_title_suggestion_leads_to_the_harvested_records_page(
        self, client, app_backend, make_source, harvest
    ):
        harvested = harvest(make_source(), "满文老档")
        (suggestion,) = client.get("/api/suggest?q=满文").get_json()["suggestions"]
        assert suggestion["id"] == harvested.public_id
        assert suggestion["url"] == f"/harvested/{harvested.public_id}"
        assert suggestion["collection"] == ""


class TestSourceFacet:
    @pytest.fixture
    def mixed(self, app_backend, make_collection, make_record, make_source, harvest):
        collection = make_collection()
        make_record(collection, title="人参")
        make_record(collection, title="人参果")
        first = make_source("jlgj", "吉林古籍数字化平台")
        second = make_source("ybzx", "延边数字方志")
        harvest(first, "人参图谱")
        harvest(first, "人参栽培法")
        harvest(second, "长白山人参")
        return first, second

    def test_counts_each_source_and_this_repository(self, app_backend, mixed):
        result = app_backend.search(SearchRequest(text="人参"))
        assert result.total == 5
        assert source_counts(result) == {"huiku": 2, "jlgj": 2, "ybzx": 1}

    def test_filter_by_source(self, client, mixed):
        by_facet = client.get("/api/search", query_string={"q": "人参", "f": "source:jlgj"})
        assert by_facet.get_json()["total"] == 2
        by_name = client.get("/api/search", query_string={"q": "人参", "source": "ybzx"}).get_json()
        assert [hit["source"] for hit in by_name["hits"]] == ["ybzx"]
        assert by_name["query"]["filters"] == {"source": ["ybzx"]}
        own = client.get("/api/search", query_string={"q": "人参", "source": "huiku"}).get_json()
        assert own["total"] == 2 and {hit["kind"] for hit in own["hits"]} == {"record"}
        # The other sources still count, so that the reader can widen the choice.
        facet = next(f for f in own["facets"] if f["name"] == "source")
        assert {v["value"]: v["count"] for v in facet["values"]} == {
            "huiku": 2,
            "jlgj": 2,
            "ybzx": 1,
        }

    @pytest.mark.parametrize(
        ("lang", "label", "own"),
        [("en", "Source", "This repository"), ("zh_Hans_CN", "来源", "本库记录")],
    )
    def test_labels_in_both_languages(self, client, mixed, lang, label, own):
        client.get(f"/lang/{lang}")
        data = client.get("/api/search", query_string={"q": "人参"}).get_json()
        facet = next(f for f in data["facets"] if f["name"] == "source")
        labels = {v["value"]: v["label"] for v in facet["values"]}
        assert facet["label"] == label
        assert labels == {"huiku": own, "jlgj": "吉林古籍数字化平台", "ybzx": "延边数字方志"}

    def test_page_links_toggle_the_source(self, client, mixed):
        page = client.get("/search", query_string={"q": "人参", "source": "ybzx"})
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert 'data-facet="source" data-value="ybzx"' in html
        assert '<input type="hidden" name="source" value="ybzx">' in html
        assert "/exports/search.csv?q=%E4%BA%BA%E5%8F%82&amp;f=source:ybzx" in html

    def test_no_source_facet_without_harvested_hits(
        self, client, app_backend, make_collection, make_record
    ):
        make_record(make_collection(), title="人参")
        data = client.get("/api/search", query_string={"q": "人参"}).get_json()
        assert "source" not in {facet["name"] for facet in data["facets"]}


class TestMatched:
    @pytest.fixture
    def pair(self, app_backend, make_collection, make_record, make_source, harvest):
        record = make_record(make_collection(), title="东北红豆杉")
        harvested = harvest(make_source(), "東北紅豆杉")
        match(harvested, record)
        return record, harvested

    def test_one_hit_the_contributed_record_carrying_the_origin(self, app_backend, client, pair):
        record, harvested = pair
        result = app_backend.search(SearchRequest(text="红豆杉"))
        assert [hit.id for hit in result.hits] == [record.public_id]
        assert source_counts(result) == {"huiku": 1, "jlgj": 1}
        (origin,) = result.hits[0].origins
        assert (origin.id, origin.source, origin.url) == (
            harvested.public_id,
            "jlgj",
            harvested.original_url,
        )
        data = client.get("/api/search", query_string={"q": "红豆杉"}).get_json()
        assert data["hits"][0]["also_in"] == [
            {
                "id": harvested.public_id,
                "source": "jlgj",
                "source_name": "吉林古籍数字化平台",
                "url": harvested.original_url,
            }
        ]
        spec = client.get("/api/openapi.json").get_json()
        assert conforms(spec, "SearchResult", data) == []
        html = client.get("/search", query_string={"q": "红豆杉"}).get_data(as_text=True)
        assert f'href="{harvested.original_url}"' in html
        # Filtered by its source, the thing is still found once, as the contributed record.
        assert found(app_backend, "红豆杉", filters={"source": ("jlgj",)}) == [record.public_id]

    def test_withdrawing_the_contributed_record_brings_the_harvested_one_back(
        self, app_backend, pair, make_user
    ):
        record, harvested = pair
        admin = make_user("admin", library=record.library)
        records.withdraw_record(admin, record)
        assert found(app_backend, "红豆杉") == [harvested.public_id]

    def test_deleting_the_contributed_record_brings_the_harvested_one_back(
        self, app_backend, pair, make_user
    ):
        record, harvested = pair
        records.delete_record(make_user("admin", library=record.library), record)
        assert found(app_backend, "红豆杉") == [harvested.public_id]

    def test_no_longer_matching_it_comes_back(self, app_backend, pair):
        record, harvested = pair
        match(harvested, None)
        assert set(found(app_backend, "红豆杉")) == {record.public_id, harvested.public_id}
        hits = app_backend.search(SearchRequest(text="红豆杉")).hits
        assert next(hit for hit in hits if hit.id == record.public_id).origins == ()

    def test_a_match_to_a_draft_leaves_the_harvested_record_found(
        self, app_backend, make_collection, make_record, make_source, harvest
    ):
        from repository.models import RecordStatus

        draft = make_record(make_collection(), status=RecordStatus.DRAFT, title="松茸")
        harvested = harvest(make_source(), "松茸")
        match(harvested, draft)
        assert found(app_backend, "松茸") == [harvested.public_id]


class TestLeavingTheIndex:
    def test_a_record_deleted_at_its_source_is_not_found(self, app_backend, make_source, harvest):
        harvested = harvest(make_source(), "吉林通志")
        assert found(app_backend, "通志") == [harvested.public_id]
        with unit_of_work():
            harvested.deleted = True
            harvested.updated_at = utcnow()
            queue(harvested, "delete")
        assert found(app_backend, "通志") == []

    def test_a_disabled_sources_records_are_not_found(self, app_backend, make_source, harvest):
        source = make_source()
        kept = harvest(make_source("ybzx", "延边数字方志"), "延吉县志")
        harvested = harvest(source, "吉林县志")
        with unit_of_work():
            source.enabled = False
            source.updated_at = utcnow()
            queue(harvested)
        assert found(app_backend, "县志") == [kept.public_id]

    def test_a_row_gone_from_the_database_is_deleted(self, app_backend, make_source, harvest):
        harvested = harvest(make_source(), "吉林通志")
        harvested_id, public_id = harvested.id, harvested.public_id
        with unit_of_work():
            db.session.delete(harvested)
            db.session.add(
                IndexTask(record_id=harvested_id, record_public_id=public_id, action="delete")
            )
            db.session.info[INDEX_TASKS_QUEUED] = True
        assert found(app_backend, "通志") == []


class TestReindex:
    def test_includes_public_unmatched_harvested_records(
        self, app_backend, new_backend, make_collection, make_record, make_source, harvest
    ):
        record = make_record(make_collection(), title="人参")
        source = make_source()
        kept = harvest(source, "人参图谱")
        match(harvest(source, "人参"), record)  # merged into the contributed record
        gone = harvest(source, "人参考")
        with unit_of_work():
            gone.deleted = True
        fresh = new_backend()
        assert reindex(fresh) == 2
        result = fresh.search(SearchRequest(text="人参"))
        assert {hit.id for hit in result.hits} == {record.public_id, kept.public_id}
        assert source_counts(result) == {"huiku": 1, "jlgj": 2}
        report = index_report(fresh, "test", compare_ids=True)
        assert (report.indexed, report.published, report.missing, report.extra) == (2, 2, (), ())

    def test_the_status_counts_harvested_records(self, app_backend, make_source, harvest):
        harvested = harvest(make_source(), "吉林通志")
        report = index_report(app_backend, "test", compare_ids=True)
        assert report.published == 1 and report.in_sync
        assert harvested.public_id not in report.missing


def test_leaving_harvested_records_out_keeps_documents_indexed_before_the_kind_field(
    empty_backend,
):
    """An index built before documents said their kind still exports its contributed records."""
    from tests.search.corpus import corpus_documents

    older = corpus_documents()[0]
    del older["facets"]["kind"]
    empty_backend.apply([older], refresh=True)
    without = {"kind": ("harvested",)}
    assert found(empty_backend, "人参", without=without) == [older["id"]]


class TestExports:
    def test_search_results_export_only_contributed_records(
        self, client, app_backend, make_collection, make_record, make_source, harvest
    ):
        from search.exports import matching_records

        collection = make_collection()
        ours = {make_record(collection, title=title).public_id for title in ("人参", "人参果")}
        source = make_source()
        harvest(source, "人参图谱")
        harvest(source, "长白山人参")
        for arguments in ({"q": ["人参"]}, {"q": ["人参"], "source": ["jlgj"]}):
            found_records = matching_records(arguments)
            ids = set(found_records.public_ids)
            assert ids <= ours and not any(i.startswith("h-") for i in ids)
            assert found_records.total == len(ids)
        response = client.get("/exports/search.jsonl", query_string={"q": "人参"})
        lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
        assert len(lines) == 2
        assert {line["metadata"]["title"] for line in lines} == {"人参", "人参果"}
