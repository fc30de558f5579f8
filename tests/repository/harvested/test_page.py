"""The public page of a harvested record: its metadata, where it comes from, and when it is gone."""

from __future__ import annotations

from repository.extensions import db


def test_the_page_shows_the_metadata_the_source_and_a_link_to_the_original(
    client, make_harvested, make_library
):
    library = make_library("YB-LIB", "延边图书馆")
    harvested = make_harvested(
        source=None, metadata={"title": "长白山人参图", "creator": ["佚名"], "date": "光绪十七年"}
    )
    harvested.source.library_id = library.id
    db.session.commit()
    page = client.get(f"/harvested/{harvested.public_id}?lang=zh")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("长白山人参图", "题名", "创建者", "佚名", "日期", "光绪十七年", "延边图书馆"):
        assert text in html
    assert "Old Maps Archive" in html
    assert f'href="{harvested.original_url}"' in html
    assert 'href="/libraries/YB-LIB"' in html
    assert f'src="{harvested.thumbnail_url}"' in html
    english = client.get(f"/harvested/{harvested.public_id}?lang=en").get_data(as_text=True)
    assert "Harvested from Old Maps Archive" in english and "view the original" in english
    assert "Creator" in english and "Title" in english


def test_the_page_does_not_claim_the_record_as_huikus_own(client, make_harvested):
    html = client.get(f"/harvested/{make_harvested().public_id}").get_data(as_text=True)
    assert "citation_title" not in html and "application/ld+json" not in html
    assert "Cite this record" not in html and "引用本记录" not in html


def test_an_unknown_id_is_404(client):
    assert client.get("/harvested/h-nosuchrecord").status_code == 404


def test_a_record_deleted_at_its_source_is_gone(client, make_harvested):
    harvested = make_harvested(deleted=True)
    response = client.get(f"/harvested/{harvested.public_id}?lang=en")
    assert response.status_code == 410
    assert "deleted at its source" in response.get_data(as_text=True)
    assert harvested.title not in response.get_data(as_text=True)


def test_a_record_of_a_disabled_source_is_gone(client, make_harvested, make_source):
    harvested = make_harvested(make_source(enabled=False))
    response = client.get(f"/harvested/{harvested.public_id}?lang=zh")
    assert response.status_code == 410
    assert "已停用" in response.get_data(as_text=True)


def test_a_matched_public_record_is_linked_both_ways(
    client, make_harvested, make_collection, make_record
):
    flora = make_collection("natural_history")
    record = make_record(flora)
    harvested = make_harvested(matched_record_id=record.id)
    page = client.get(f"/harvested/{harvested.public_id}?lang=en").get_data(as_text=True)
    assert "Also catalogued here" in page and f'href="/records/{record.public_id}"' in page
    own = client.get(f"/records/{record.public_id}?lang=en").get_data(as_text=True)
    assert "Also held at Old Maps Archive" in own
    assert f'href="{harvested.original_url}"' in own
    assert f'href="/harvested/{harvested.public_id}"' in own


def test_a_contributed_record_does_not_link_harvested_records_no_longer_shown(
    client, make_harvested, make_collection, make_record
):
    record = make_record(make_collection("natural_history"))
    make_harvested(matched_record_id=record.id, deleted=True)
    own = client.get(f"/records/{record.public_id}?lang=en").get_data(as_text=True)
    assert "Also held at" not in own
