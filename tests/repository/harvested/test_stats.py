"""Harvested records count in the statistics per source, apart from contributed records."""

from __future__ import annotations

import csv
import io

import pytest

from repository.models import RecordStatus


@pytest.fixture
def harvest(make_library, make_source, make_harvested, make_collection, make_record, make_user):
    """Two sources of one library (one switched off) and one of another; one record deleted."""
    jilin, yanbian = make_library("JL-SL", "吉林省图书馆"), make_library("YB-LIB", "延边图书馆")
    maps = make_source(jilin, name="Old Maps Archive")
    museum = make_source(yanbian, name="Yanbian Museum")
    hidden = make_source(jilin, name="Closed Archive", enabled=False)
    for _ in range(3):
        make_harvested(maps)
    make_harvested(maps, deleted=True)
    make_harvested(museum)
    make_harvested(hidden)
    flora = make_collection("natural_history", slug="flora")
    make_record(flora, make_user("contributor", library=jilin))
    make_record(flora, make_user("contributor", library=jilin), status=RecordStatus.DRAFT)
    return {"jilin": jilin, "maps": maps, "museum": museum, "hidden": hidden}


def test_the_json_lists_records_per_source_apart_from_the_contributed_totals(client, harvest):
    data = client.get("/stats.json").get_json()
    assert data["totals"] == {"records": 1, "images": 0}  # contributed records only, as before
    assert data["harvested"]["records"] == 4
    sources = {row["key"]: row for row in data["harvested"]["sources"]}
    assert set(sources) == {harvest["maps"].slug, harvest["museum"].slug}  # not the disabled one
    maps = sources[harvest["maps"].slug]
    assert maps["records"] == 3 and maps["name"] == "Old Maps Archive"
    assert maps["library"] == "JL-SL" and maps["library_label"]["zh"] == "吉林省图书馆"


def test_the_page_shows_a_table_of_sources(client, harvest):
    html = client.get("/stats?lang=en").get_data(as_text=True)
    assert "Harvested from other repositories" in html
    assert "Old Maps Archive" in html and "Yanbian Museum" in html
    assert "Closed Archive" not in html
    assert 'href="/libraries/YB-LIB"' in html
    assert "采集自其他资源库" in client.get("/stats?lang=zh").get_data(as_text=True)


def test_the_csv_has_a_harvested_section_after_the_tables(client, harvest):
    text = client.get("/stats.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["table"] == "total" and rows[0]["records"] == "1"
    harvested = {row["key"]: row for row in rows if row["table"] == "harvested"}
    assert harvested[harvest["maps"].slug]["records"] == "3"
    assert harvested[harvest["maps"].slug]["label_zh"] == "Old Maps Archive（吉林省图书馆）"
    assert harvested[harvest["museum"].slug]["label_en"] == "Yanbian Museum (Test Library)"
    assert rows[-1]["table"] == "harvested"


def test_a_library_counts_its_own_sources_apart(client, login, make_user, harvest):
    public = client.get("/libraries/JL-SL").get_data(as_text=True)
    assert "Old Maps Archive" in public and "Yanbian Museum" not in public
    assert "Closed Archive" not in public
    login(make_user("contributor", library=harvest["jilin"]))
    own = client.get("/libraries/JL-SL/stats.json").get_json()
    assert own["totals"]["records"] == 2  # the draft too: the library's own figures
    assert {row["key"]: row["records"] for row in own["harvested"]["sources"]} == {
        harvest["maps"].slug: 3,
        harvest["hidden"].slug: 1,
    }
