"""Search treats recordings like images: a "has audio / has video" facet, and a record with
only recordings shows its recording's picture among the hits; a reindex reads the same."""

from __future__ import annotations

from search.documents import build_document
from search.indexing import published_documents


def test_the_media_facet_and_the_hit_picture(client, record_with, sample):
    from tests.factories import jpeg_bytes

    film = record_with(sample("clip.mp4"))
    song = record_with(sample("tone.mp3"))
    photo = record_with(("photo.jpg", jpeg_bytes().getvalue()))

    assert build_document(film)["facets"]["media"] == ["video"]
    assert build_document(song)["facets"]["media"] == ["audio"]
    assert "media" not in build_document(photo)["facets"]
    rebuilt = {doc["id"]: doc for doc in published_documents()}
    assert rebuilt[film.public_id]["facets"]["media"] == ["video"]
    assert rebuilt[song.public_id]["thumbnail"] == song.recordings[0].public_id

    # The index outlives each test's rolled-back rows: other tests' records may be there too.
    answer = client.get("/api/search", query_string={"f": "media:video"}).get_json()
    found = {hit["id"]: hit for hit in answer["hits"]}
    assert film.public_id in found and not {song.public_id, photo.public_id} & set(found)
    assert "media" in {facet["name"] for facet in answer["facets"]}
    for lang, video in (("en", "Has video"), ("zh", "有视频")):
        labelled = client.get(
            "/api/search", query_string={"f": "media:video", "lang": lang}
        ).get_json()
        [media] = [facet for facet in labelled["facets"] if facet["name"] == "media"]
        assert {value["value"]: value["label"] for value in media["values"]}["video"] == video
    hit = found[film.public_id]
    picture = client.get(hit["thumbnail"].removeprefix("http://huiku.test"))
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
