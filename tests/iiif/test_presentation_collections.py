"""IIIF Collections: the top collection, one per themed collection and one per member library."""

from __future__ import annotations

import pytest

from repository.extensions import db
from repository.models import RecordContributor, RecordStatus
from repository.services import records
from tests.iiif.validators import fetch_presentation

BASE = "http://huiku.test"


@pytest.fixture(autouse=True)
def manifest_cache(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IIIF_CACHE_ROOT", str(tmp_path / "iiif-cache"))


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


def manifest_ids(collection: dict) -> list[str]:
    return [item["id"] for item in collection["items"] if item["type"] == "Manifest"]


def test_the_top_collection_lists_themed_collections_and_libraries(
    client, changbaishan, make_collection, make_record
):
    heritage = make_collection("ich", slug="heritage")
    hidden = make_collection("generic", slug="hidden")
    hidden.published = False
    record = make_record(changbaishan, images=1)
    make_record(heritage)
    draft_only = make_record(heritage, status=RecordStatus.DRAFT)
    db.session.commit()

    top = fetch_presentation(client, "/iiif/3/collections/top")
    assert top["id"] == f"{BASE}/iiif/3/collections/top"
    assert top["label"] == {"zh-Hans": ["汇库特色馆藏"], "en": ["Huiku special collections"]}
    ids = [item["id"] for item in top["items"]]
    assert f"{BASE}/iiif/3/collections/changbaishan" in ids
    assert f"{BASE}/iiif/3/collections/heritage" in ids
    assert f"{BASE}/iiif/3/collections/hidden" not in ids
    assert f"{BASE}/iiif/3/libraries/{record.library.code}" in ids
    # A library with nothing public is not listed.
    assert f"{BASE}/iiif/3/libraries/{draft_only.library.code}" not in ids
    assert {item["type"] for item in top["items"]} == {"Collection"}
    for item in top["items"]:  # every member answers, and is itself valid
        fetch_presentation(client, item["id"].removeprefix(BASE))


def test_a_themed_collection_lists_its_public_records_with_thumbnails(
    client, changbaishan, make_record
):
    with_image = make_record(changbaishan, images=2, title="红松")
    without_image = make_record(changbaishan, title="东北虎")
    make_record(changbaishan, status=RecordStatus.SUBMITTED, title="待审")

    collection = fetch_presentation(client, "/iiif/3/collections/changbaishan")
    assert collection["label"] == {
        "zh-Hans": [changbaishan.title_zh],
        "en": [changbaishan.title_en],
    }
    assert collection["homepage"][0]["id"] == f"{BASE}/collections/changbaishan"
    assert collection["partOf"][0]["id"] == f"{BASE}/iiif/3/collections/top"
    # Pinyin order of titles, as on the collection page: 东北虎 (dong) before 红松 (hong).
    assert manifest_ids(collection) == [
        f"{BASE}/iiif/3/manifests/{without_image.public_id}",
        f"{BASE}/iiif/3/manifests/{with_image.public_id}",
    ]
    tiger, pine = collection["items"]
    assert tiger["label"] == {"none": ["东北虎"]} and "thumbnail" not in tiger
    first_image = with_image.assets[0].public_id
    assert pine["thumbnail"][0]["id"] == f"{BASE}/assets/{first_image}/thumb-200.jpg"


def test_a_withdrawn_record_leaves_its_collections(client, changbaishan, make_record, make_user):
    record = make_record(changbaishan, images=1)
    manifest = f"{BASE}/iiif/3/manifests/{record.public_id}"
    library = f"/iiif/3/libraries/{record.library.code}"
    assert manifest in manifest_ids(fetch_presentation(client, "/iiif/3/collections/changbaishan"))
    assert manifest in manifest_ids(fetch_presentation(client, library))

    records.withdraw_record(make_user("admin"), record)
    assert manifest not in manifest_ids(
        fetch_presentation(client, "/iiif/3/collections/changbaishan")
    )
    assert manifest not in manifest_ids(fetch_presentation(client, library))


def test_a_library_collection_holds_what_it_owns_and_what_it_is_credited_on(
    client, changbaishan, make_collection, make_record, make_library, make_user
):
    library = make_library("JL-TEST", name_zh="吉林测试馆")
    contributor = make_user("contributor", library=library)
    own = make_record(changbaishan, contributor)
    elsewhere = make_record(make_collection("ich"), contributor)
    credited = make_record(changbaishan)
    db.session.add(RecordContributor(record_id=credited.id, library_id=library.id))
    make_record(changbaishan)  # another library's, not credited
    db.session.commit()

    collection = fetch_presentation(client, "/iiif/3/libraries/JL-TEST")
    assert collection["label"] == {"zh-Hans": ["吉林测试馆"], "en": ["Test Library"]}
    assert sorted(manifest_ids(collection)) == sorted(
        f"{BASE}/iiif/3/manifests/{r.public_id}" for r in (own, elsewhere, credited)
    )
    assert [agent["label"]["zh-Hans"] for agent in collection["provider"]][1] == ["吉林测试馆"]


def test_unknown_or_unpublished_collections_are_404(client, make_collection):
    hidden = make_collection("generic", slug="hidden")
    hidden.published = False
    db.session.commit()
    for url in (
        "/iiif/3/collections/hidden",
        "/iiif/3/collections/nosuch",
        "/iiif/3/libraries/NOSUCH",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_an_empty_collection_is_valid_and_empty(client, changbaishan):
    assert fetch_presentation(client, "/iiif/3/collections/changbaishan")["items"] == []


def test_large_collections_are_split_into_pages(
    app, client, changbaishan, make_record, monkeypatch
):
    monkeypatch.setitem(app.config, "IIIF_COLLECTION_PAGE_SIZE", 2)
    titles = ["白桦", "东北虎", "红松", "落叶松", "紫貂"]  # already in pinyin order
    made = {title: make_record(changbaishan, title=title) for title in titles}

    whole = fetch_presentation(client, "/iiif/3/collections/changbaishan")
    pages = whole["items"]
    assert [page["id"] for page in pages] == [
        f"{BASE}/iiif/3/collections/changbaishan/pages/{n}" for n in (1, 2, 3)
    ]
    assert {page["type"] for page in pages} == {"Collection"}
    assert pages[1]["label"]["zh-Hans"] == [f"{changbaishan.title_zh}（第 2 页，共 3 页）"]
    assert pages[1]["label"]["en"] == [f"{changbaishan.title_en} (page 2 of 3)"]

    listed = []
    for page in pages:
        document = fetch_presentation(client, page["id"].removeprefix(BASE))
        assert document["id"] == page["id"]
        assert document["label"] == page["label"]
        assert document["partOf"][0]["id"] == whole["id"]
        listed += manifest_ids(document)
    assert listed == [f"{BASE}/iiif/3/manifests/{made[t].public_id}" for t in titles]

    for beyond in (0, 4):
        assert client.get(f"/iiif/3/collections/changbaishan/pages/{beyond}").status_code == 404


def test_a_small_collection_has_no_pages(client, changbaishan, make_record):
    make_record(changbaishan)
    assert client.get("/iiif/3/collections/changbaishan/pages/1").status_code == 404


def test_library_collections_are_paged_too(
    app, client, changbaishan, make_record, make_user, monkeypatch
):
    monkeypatch.setitem(app.config, "IIIF_COLLECTION_PAGE_SIZE", 2)
    contributor = make_user("contributor")
    for title in ("甲", "乙", "丙"):
        make_record(changbaishan, contributor, title=title)
    code = contributor.library.code

    whole = fetch_presentation(client, f"/iiif/3/libraries/{code}")
    assert [page["id"] for page in whole["items"]] == [
        f"{BASE}/iiif/3/libraries/{code}/pages/1",
        f"{BASE}/iiif/3/libraries/{code}/pages/2",
    ]
    last = fetch_presentation(client, f"/iiif/3/libraries/{code}/pages/2")
    assert len(manifest_ids(last)) == 1


def test_collections_revalidate_with_304(client, changbaishan, make_record):
    make_record(changbaishan)
    etag = client.get("/iiif/3/collections/changbaishan").headers["ETag"]
    again = client.get("/iiif/3/collections/changbaishan", headers={"If-None-Match": etag})
    assert again.status_code == 304
    make_record(changbaishan, title="新记录")
    changed = client.get("/iiif/3/collections/changbaishan", headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_a_description_in_one_language_only_is_given_in_that_language(client, changbaishan):
    changbaishan.description_zh, changbaishan.description_en = "", "Plants of Changbai Mountain"
    db.session.commit()
    collection = fetch_presentation(client, "/iiif/3/collections/changbaishan")
    assert collection["summary"] == {"en": ["Plants of Changbai Mountain"]}
