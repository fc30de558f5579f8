"""Harvested records are other repositories' descriptions: Huiku never serves them again as its
own, over OAI-PMH, in its sitemaps, its exports or its IIIF collections and change stream."""

from __future__ import annotations

import itertools
import json

import pytest

from repository.extensions import db
from repository.models import HarvestedRecord, HarvestSource, IndexTask, SourceKind
from repository.transactions import INDEX_TASKS_QUEUED
from tests.interop.conftest import error_code
from tests.interop.oai_checks import OAI

_numbers = itertools.count(1)


@pytest.fixture
def world(make_collection, make_record, make_user):
    """A published record of a library, and that library's source with harvested records: one
    matched to the record, one on its own, one deleted at the source."""
    plants = make_collection("natural_history", slug="plants")
    contributor = make_user("contributor")
    record = make_record(plants, contributor)
    source = HarvestSource(
        slug="other-museum",
        name="Other Museum",
        kind=SourceKind.OAI,
        base_url="https://museum.example.org/oai",
        library_id=contributor.library_id,
    )
    db.session.add(source)
    harvested = []
    for matched, deleted in ((record.id, False), (None, False), (None, True)):
        n = next(_numbers)
        title = f"HARVESTED-ONLY-{n}"
        item = HarvestedRecord(
            source=source,
            identifier=f"oai:museum.example.org:{n}",
            metadata_={"title": title, "subject": ["Plants"], "description": "Not Huiku's."},
            title=title,
            original_url=f"https://museum.example.org/items/{n}",
            thumbnail_url=f"https://museum.example.org/items/{n}/thumb.jpg",
            manifest_url=f"https://museum.example.org/iiif/{n}/manifest",
            matched_record_id=matched,
            deleted=deleted,
        )
        db.session.add(item)
        harvested.append(item)
    db.session.flush()
    # Indexed as a harvest would leave them, so a search export could meet them.
    for item in harvested:
        db.session.add(
            IndexTask(record_id=item.id, record_public_id=item.public_id, action="upsert")
        )
    db.session.info[INDEX_TASKS_QUEUED] = True
    db.session.commit()
    return {"record": record, "library": contributor.library, "harvested": harvested}


def _assert_absent(body: bytes | str, world, where: str) -> None:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    for item in world["harvested"]:
        assert item.public_id not in text, f"{where} names {item.public_id}"
        assert item.title not in text, f"{where} shows {item.title}"
        assert item.original_url not in text, f"{where} links {item.original_url}"
        assert "/harvested/" not in text, f"{where} links a harvested record's page"


def test_oai_pmh_lists_only_contributed_records(oai, world):
    expected = {f"oai:huiku.test:{world['record'].public_id}"}
    for prefix in ("oai_dc", "huiku"):
        listed = oai(verb="ListRecords", metadataPrefix=prefix)
        assert {h.findtext(f"{OAI}identifier") for h in listed.iter(f"{OAI}header")} == expected
        identifiers = oai(verb="ListIdentifiers", metadataPrefix=prefix)
        found = {h.findtext(f"{OAI}identifier") for h in identifiers.iter(f"{OAI}header")}
        assert found == expected
    sets = oai(verb="ListSets")
    assert "other-museum" not in {s.findtext(f"{OAI}setSpec") for s in sets.iter(f"{OAI}set")}


def test_oai_pmh_get_record_of_a_harvested_id_does_not_exist(oai, world):
    for item in world["harvested"]:
        wanted = f"oai:huiku.test:{item.public_id}"
        for prefix in ("oai_dc", "huiku"):
            root = oai(verb="GetRecord", identifier=wanted, metadataPrefix=prefix)
            assert error_code(root) == "idDoesNotExist"


def test_oai_pmh_responses_never_carry_harvested_metadata(client, world):
    for query in (
        "verb=ListRecords&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=huiku",
        "verb=ListIdentifiers&metadataPrefix=oai_dc",
        "verb=ListSets",
    ):
        _assert_absent(client.get(f"/oai?{query}").data, world, query)


def test_sitemaps_list_no_harvested_record(client, world):
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    _assert_absent(index.data, world, "/sitemap.xml")
    sitemap = client.get("/sitemaps/1.xml")
    assert sitemap.status_code == 200
    assert f"/records/{world['record'].public_id}".encode() in sitemap.data
    _assert_absent(sitemap.data, world, "/sitemaps/1.xml")


@pytest.mark.parametrize("extension", ["csv", "jsonl", "xml", "xlsx"])
def test_exports_of_a_collection_and_a_library_hold_contributed_records_only(
    client, world, extension
):
    code = world["library"].code
    for url in (f"/collections/plants/export.{extension}", f"/libraries/{code}/export.{extension}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Record-Count"] == "1", url
        if extension != "xlsx":  # a zipped workbook: the count says it
            _assert_absent(response.data, world, url)


def test_a_search_export_holds_contributed_records_only(client, world):
    title = world["harvested"][1].title  # searched on its own: not matched, not deleted
    found = client.get("/search", query_string={"q": title})
    assert title in found.get_data(as_text=True)  # the one-stop search finds it ...
    response = client.get("/exports/search.jsonl", query_string={"q": title})
    assert response.status_code == 200  # ... its export of contributed records does not
    _assert_absent(response.data, world, "the search export")
    for line in response.get_data(as_text=True).splitlines():
        assert not json.loads(line).get("id", "").startswith("h-")


def test_iiif_collections_and_the_change_stream_hold_no_harvested_record(client, world):
    code = world["library"].code
    for url in (
        "/iiif/3/collections/top",
        "/iiif/3/collections/plants",
        f"/iiif/3/libraries/{code}",
        "/iiif/discovery/changes",
        "/iiif/discovery/changes/pages/1",
    ):
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 200, url
        _assert_absent(response.data, world, url)
        assert "museum.example.org" not in response.get_data(as_text=True), url
    for item in world["harvested"]:
        assert client.get(f"/iiif/3/manifests/{item.public_id}").status_code == 404
