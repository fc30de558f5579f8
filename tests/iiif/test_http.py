"""IIIF over HTTP as a viewer on another site meets it: CORS preflights, the media type it asks
for, compression, and thumbnails it may show and cache."""

from __future__ import annotations

import gzip
import json

import pytest

from repository.models import RecordStatus

PROFILE_ACCEPT = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
PRESENTATION_TYPE = PROFILE_ACCEPT
DISCOVERY_TYPE = 'application/ld+json;profile="https://www.w3.org/ns/activitystreams"'
ORIGIN = "https://viewer.example.org"


@pytest.fixture(autouse=True)
def manifest_cache(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IIIF_CACHE_ROOT", str(tmp_path / "iiif-cache"))


@pytest.fixture
def published(make_collection, make_record):
    collection = make_collection("natural_history", slug="changbaishan")
    return make_record(collection, images=1)


def iiif_urls(record) -> list[str]:
    library = record.library.code
    return [
        f"/iiif/3/manifests/{record.public_id}",
        "/iiif/3/collections/top",
        "/iiif/3/collections/changbaishan",
        "/iiif/3/collections/changbaishan/pages/1",
        f"/iiif/3/libraries/{library}",
        f"/iiif/3/libraries/{library}/pages/1",
        "/iiif/discovery/changes",
        "/iiif/discovery/changes/pages/1",
        f"/iiif/image/3/{record.assets[0].public_id}/info.json",
        f"/iiif/image/3/{record.assets[0].public_id}/full/max/0/default.jpg",
    ]


def test_every_iiif_and_discovery_url_answers_a_cors_preflight(client, published):
    for url in iiif_urls(published):
        response = client.options(
            url,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "accept",
            },
        )
        assert response.status_code == 200, url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "GET" in response.headers["Access-Control-Allow-Methods"], url
        assert response.headers["Access-Control-Allow-Headers"] == "accept", url
        assert int(response.headers["Access-Control-Max-Age"]) > 0, url


def test_every_iiif_answer_may_be_read_by_another_site(client, published):
    for url in [*iiif_urls(published), "/iiif/3/manifests/nosuchrecord"]:
        response = client.get(url, headers={"Origin": ORIGIN, "Accept": PROFILE_ACCEPT})
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "ETag" in response.headers["Access-Control-Expose-Headers"], url


def test_json_ld_with_the_profile_is_the_default(client, published):
    url = f"/iiif/3/manifests/{published.public_id}"
    for accept in (None, "*/*", PROFILE_ACCEPT, "application/ld+json", "text/html,*/*;q=0.8"):
        headers = {"Accept": accept} if accept else {}
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == PRESENTATION_TYPE, accept
        assert "Accept" in response.vary
        assert "Cookie" not in response.vary  # the same for every reader: shared caches keep it


def test_a_client_asking_for_plain_json_gets_plain_json(client, published):
    url = f"/iiif/3/manifests/{published.public_id}"
    json_ld = client.get(url, headers={"Accept": PROFILE_ACCEPT})
    for accept in ("application/json", "application/json, application/ld+json;q=0.5"):
        plain = client.get(url, headers={"Accept": accept})
        assert plain.headers["Content-Type"] == "application/json", accept
        assert "Accept" in plain.vary
        assert plain.get_json() == json_ld.get_json()
        assert plain.headers["ETag"] != json_ld.headers["ETag"]  # two forms, two validators
    changes = client.get("/iiif/discovery/changes", headers={"Accept": "application/json"})
    assert changes.headers["Content-Type"] == "application/json"
    default = client.get("/iiif/discovery/changes")
    assert default.headers["Content-Type"] == DISCOVERY_TYPE


def test_each_form_revalidates_against_its_own_etag(client, published):
    url = f"/iiif/3/manifests/{published.public_id}"
    plain = {"Accept": "application/json"}
    json_ld_etag = client.get(url).headers["ETag"]
    plain_etag = client.get(url, headers=plain).headers["ETag"]
    again = client.get(url, headers={**plain, "If-None-Match": plain_etag})
    assert again.status_code == 304
    assert "Accept" in again.vary
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    # The JSON-LD form's validator does not stand for the plain form: the body is sent.
    crossed = client.get(url, headers={**plain, "If-None-Match": json_ld_etag})
    assert crossed.status_code == 200
    assert crossed.headers["Content-Type"] == "application/json"


def test_manifests_and_collections_are_compressed(client, published):
    for url in (f"/iiif/3/manifests/{published.public_id}", "/iiif/3/collections/changbaishan"):
        identity = client.get(url)
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip", url
        assert {"Accept", "Accept-Encoding"} <= set(response.vary), url
        assert json.loads(gzip.decompress(response.data)) == identity.get_json()
        assert len(response.data) < len(identity.data)


def test_public_thumbnails_are_shared_and_readable_from_other_sites(client, published):
    url = f"/assets/{published.assets[0].public_id}/thumb-200.jpg"
    response = client.get(url, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    cache = response.cache_control
    assert cache.public and cache.max_age == 86400
    assert not cache.no_cache  # "no-cache, max-age=…" would contradict itself
    assert response.headers.get("ETag")
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_drafts_thumbnail_stays_private(client, make_collection, make_record, login):
    record = make_record(make_collection("natural_history"), images=1, status=RecordStatus.DRAFT)
    login(record.created_by)
    response = client.get(f"/assets/{record.assets[0].public_id}/thumb-200.jpg")
    assert response.status_code == 200
    assert response.cache_control.private
    assert not response.cache_control.public
    assert "Access-Control-Allow-Origin" not in response.headers


def test_refusals_under_iiif_paths_are_readable_too(client, published):
    manifest = f"/iiif/3/manifests/{published.public_id}"
    refused = client.post(manifest, headers={"Origin": ORIGIN})
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    unknown = client.get("/iiif/3/nothing/here", headers={"Origin": ORIGIN})
    assert unknown.status_code == 404
    assert unknown.headers["Access-Control-Allow-Origin"] == "*"
