"""IIIF Change Discovery 1.0: an aggregator harvests only what changed, deletions included."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest.services import save_record
from repository.extensions import db
from repository.models import RecordStatus
from repository.services import records
from tests.iiif.validators import fetch_presentation

BASE = "http://huiku.test"
DISCOVERY_TYPE = 'application/ld+json;profile="https://www.w3.org/ns/activitystreams"'
CONTEXT = "http://iiif.io/api/discovery/1/context.json"


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


def fetch(client, url: str) -> dict:
    response = client.get(url.removeprefix(BASE))
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == DISCOVERY_TYPE
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json(force=True)
    assert document["@context"] == CONTEXT
    return document


def harvest(client) -> list[dict]:
    """What a harvester does: start at the last page and walk ``prev`` to the first."""
    collection = fetch(client, "/iiif/discovery/changes")
    assert collection["type"] == "OrderedCollection"
    pages, url = [], collection["last"]["id"]
    while url:
        page = fetch(client, url)
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == {"id": collection["id"], "type": "OrderedCollection"}
        pages.insert(0, page)
        url = page.get("prev", {}).get("id")
    assert pages[0]["id"] == collection["first"]["id"]
    activities = [activity for page in pages for activity in page["orderedItems"]]
    assert len(activities) == collection["totalItems"]
    return activities


def summary(activities: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["type"], a["object"]["id"].removeprefix(f"{BASE}/iiif/3/manifests/")) for a in activities
    ]


def test_publishing_editing_and_withdrawing_are_create_update_delete(
    client, changbaishan, make_record, make_user
):
    changbaishan.edits_need_review = False  # the edit goes live at once
    contributor = make_user("contributor")
    admin = make_user("admin")
    record = make_record(changbaishan, contributor, images=1)
    save_record(contributor, record, {**record.metadata_, "title": "野山参"})
    records.withdraw_record(admin, record)

    activities = harvest(client)
    assert summary(activities) == [
        ("Create", record.public_id),
        ("Update", record.public_id),
        ("Delete", record.public_id),
    ]
    for activity in activities:
        assert activity["object"]["type"] == "Manifest"
        assert activity["endTime"].endswith("Z")
    times = [datetime.fromisoformat(a["endTime"].replace("Z", "+00:00")) for a in activities]
    assert times == sorted(times)


def test_work_before_publication_is_not_reported(client, changbaishan, make_record, make_user):
    contributor = make_user("contributor")
    draft = make_record(changbaishan, contributor, status=RecordStatus.DRAFT)
    save_record(contributor, draft, {**draft.metadata_, "title": "草稿修改"})
    make_record(changbaishan, status=RecordStatus.SUBMITTED)
    records.delete_record(contributor, draft)  # never public: nothing to tell harvesters

    assert harvest(client) == []
    collection = fetch(client, "/iiif/discovery/changes")
    assert collection["totalItems"] == 0
    assert collection["first"]["id"] == collection["last"]["id"]


def test_a_deleted_record_is_a_delete(client, changbaishan, make_record, make_user):
    admin = make_user("admin")
    record = make_record(changbaishan, status=RecordStatus.WITHDRAWN)
    public_id = record.public_id
    records.delete_record(admin, record)
    # Deleting removes the record and its history; the tombstone of the withdrawal remains, and
    # the deletion of what was already withdrawn is not announced a second time.
    assert summary(harvest(client)) == [("Delete", public_id)]


def test_records_of_an_unpublished_collection_are_not_announced(client, changbaishan, make_record):
    make_record(changbaishan)
    changbaishan.published = False
    db.session.commit()
    assert harvest(client) == []


def test_every_announced_manifest_is_there_and_every_deleted_one_is_gone(
    client, app, tmp_path, monkeypatch, changbaishan, make_record, make_user
):
    monkeypatch.setitem(app.config, "IIIF_CACHE_ROOT", str(tmp_path / "iiif-cache"))
    kept = make_record(changbaishan, images=1)
    gone = make_record(changbaishan, images=1)
    records.withdraw_record(make_user("admin"), gone)

    latest: dict[str, str] = {}
    for activity in harvest(client):
        latest[activity["object"]["id"]] = activity["type"]
    assert latest == {
        f"{BASE}/iiif/3/manifests/{kept.public_id}": "Create",
        f"{BASE}/iiif/3/manifests/{gone.public_id}": "Delete",
    }
    for url, kind in latest.items():
        if kind == "Delete":
            assert client.get(url.removeprefix(BASE)).status_code == 404
        else:
            assert fetch_presentation(client, url.removeprefix(BASE))["id"] == url


def test_activities_are_paged_oldest_first(app, client, changbaishan, make_record, monkeypatch):
    monkeypatch.setitem(app.config, "IIIF_DISCOVERY_PAGE_SIZE", 2)
    made = [make_record(changbaishan) for _ in range(5)]

    collection = fetch(client, "/iiif/discovery/changes")
    assert collection["totalItems"] == 5
    assert collection["first"] == {
        "id": f"{BASE}/iiif/discovery/changes/pages/1",
        "type": "OrderedCollectionPage",
    }
    assert collection["last"]["id"] == f"{BASE}/iiif/discovery/changes/pages/3"

    first = fetch(client, collection["first"]["id"])
    assert "prev" not in first
    assert first["next"]["id"] == f"{BASE}/iiif/discovery/changes/pages/2"
    assert first["startIndex"] == 0
    middle = fetch(client, first["next"]["id"])
    assert middle["prev"]["id"] == first["id"]
    assert middle["next"]["id"] == collection["last"]["id"]
    assert middle["startIndex"] == 2
    last = fetch(client, collection["last"]["id"])
    assert "next" not in last
    assert len(last["orderedItems"]) == 1

    assert summary(harvest(client)) == [("Create", r.public_id) for r in made]

    for beyond in (0, 4):
        response = client.get(f"/iiif/discovery/changes/pages/{beyond}")
        assert response.status_code == 404
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_earlier_pages_keep_their_content_as_changes_arrive(
    app, client, changbaishan, make_record, monkeypatch
):
    monkeypatch.setitem(app.config, "IIIF_DISCOVERY_PAGE_SIZE", 2)
    make_record(changbaishan)
    make_record(changbaishan)
    before = fetch(client, "/iiif/discovery/changes/pages/1")["orderedItems"]
    newest = make_record(changbaishan)
    after = fetch(client, "/iiif/discovery/changes/pages/1")
    assert after["orderedItems"] == before
    assert after["next"]["id"] == f"{BASE}/iiif/discovery/changes/pages/2"
    assert summary(fetch(client, after["next"]["id"])["orderedItems"]) == [
        ("Create", newest.public_id)
    ]


def test_ids_follow_the_configured_base_url(app, client, changbaishan, make_record, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://huiku.example.org")
    record = make_record(changbaishan)
    collection = client.get("/iiif/discovery/changes").get_json(force=True)
    assert collection["id"] == "https://huiku.example.org/iiif/discovery/changes"
    page = client.get("/iiif/discovery/changes/pages/1").get_json(force=True)
    assert page["orderedItems"][0]["object"]["id"] == (
        f"https://huiku.example.org/iiif/3/manifests/{record.public_id}"
    )
