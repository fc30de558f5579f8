"""What a reader sees: collections, records, and nothing that is not published."""

import pytest

from repository.models import RecordStatus


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


def test_home_lists_collections_with_record_counts_and_a_cover(client, changbaishan, make_record):
    make_record(changbaishan, images=1)
    make_record(changbaishan)
    make_record(changbaishan, status=RecordStatus.DRAFT)
    page = client.get("/").get_data(as_text=True)
    assert changbaishan.title_zh in page
    assert "2 records" in page or "2 条记录" in page
    assert "/thumb-600.jpg" in page


def test_a_record_page_shows_labelled_fields_images_and_the_library(
    client, changbaishan, make_record
):
    record = make_record(changbaishan, images=2, habitat="针阔混交林下")
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    for text in ("学名", "Panax ginseng C. A. Mey.", "生境", "针阔混交林下", "国家一级"):
        assert text in page
    assert record.library.name_zh in page
    assert page.count("/thumb-600.jpg") >= 2
    assert f"http://huiku.test/records/{record.public_id}" in page  # stable citation URL


def test_the_english_page_uses_english_labels_and_terms(client, changbaishan, make_record):
    record = make_record(changbaishan)
    page = client.get(f"/records/{record.public_id}?lang=en").get_data(as_text=True)
    assert "Scientific name" in page
    assert "National class I" in page


def test_thumbnails_are_real_jpegs(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    response = client.get(f"/assets/{record.assets[0].public_id}/thumb-200.jpg")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "status", [RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.WITHDRAWN]
)
def test_unpublished_records_and_their_images_are_404_to_the_public(
    client, changbaishan, make_record, status
):
    record = make_record(changbaishan, status=status, images=1)
    assert client.get(f"/records/{record.public_id}").status_code == 404
    assert client.get(f"/records/{record.public_id}.json").status_code == 404
    assert client.get(f"/assets/{record.assets[0].public_id}/thumb-200.jpg").status_code == 404
    assert record.title not in client.get("/collections/changbaishan").get_data(as_text=True)


def test_a_library_sees_its_own_draft(login, changbaishan, make_user, make_record):
    contributor = make_user("contributor")
    record = make_record(changbaishan, contributor, status=RecordStatus.DRAFT)
    client = login(make_user("contributor", library=contributor.library))
    assert client.get(f"/records/{record.public_id}").status_code == 200
    stranger = login(make_user("contributor"), separate=True)
    assert stranger.get(f"/records/{record.public_id}").status_code == 404


def test_collection_pages_are_paged_in_pinyin_order(app, client, changbaishan, make_record):
    app.config["RECORDS_PER_PAGE"] = 2
    try:
        for title in ("松茸", "人参", "东北虎"):
            make_record(changbaishan, title=title)
        first = client.get("/collections/changbaishan").get_data(as_text=True)
        second = client.get("/collections/changbaishan?page=2").get_data(as_text=True)
    finally:
        app.config["RECORDS_PER_PAGE"] = 24
    assert first.index("东北虎") < first.index("人参")
    assert "松茸" in second and "松茸" not in first
    assert client.get("/collections/changbaishan?page=999").status_code == 200


def test_the_record_json_carries_metadata_and_images(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    document = client.get(f"/records/{record.public_id}.json").get_json()
    assert document["metadata"]["scientific_name"] == "Panax ginseng C. A. Mey."
    assert document["library"] == record.library.code
    assert document["images"][0]["width"] == 640


def test_unknown_pages_are_a_friendly_404(client):
    response = client.get("/collections/no-such-thing")
    assert response.status_code == 404
    assert "no-such-thing" in response.get_data(as_text=True)
