"""Recordings through the JSON ingest API: uploaded like images, answered with their kind,
duration and the file to play, checked against the API's own description."""

from __future__ import annotations

import pytest

from tests.ingest.api_client import ApiClient, issue_token
from tests.ingest.test_api_records import GINSENG, create, upload


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/openapi.json").get_json()


@pytest.fixture
def api(client, spec, make_user, make_collection) -> ApiClient:
    make_collection("natural_history", slug="changbaishan")
    return ApiClient(client, spec, issue_token(make_user("contributor")))


def test_a_video_and_a_sound_are_added_through_the_api(api, sample):
    record_id = create(api, GINSENG).get_json()["id"]
    files = [
        ("采参号子.m4a", sample("tone.m4a").read_bytes()),
        ("放山.mov", sample("clip.mov").read_bytes()),
    ]
    response = upload(api, record_id, files, labels=["号子", "放山"])

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["images"] == []
    sound, film = answer["recordings"]
    assert (sound["label"], sound["kind"], sound["mime_type"]) == ("号子", "audio", "audio/mp4")
    assert (film["kind"], film["width"], film["height"]) == ("video", 320, 240)
    assert film["state"] == "ready" and 1.9 < film["duration"] < 2.1
    assert film["play"] == f"http://huiku.test/media/{film['id']}/play"
    # A draft's files are its library's own: a stranger is told nothing is there.
    assert api.client.get(f"/media/{film['id']}/play").status_code == 404


def test_a_bad_recording_is_refused_through_the_api_with_its_name(api):
    record_id = create(api, GINSENG).get_json()["id"]
    response = upload(api, record_id, [("notes.webm", b"not a film")])
    assert response.status_code == 422
    [message] = response.get_json()["errors"]["images"]
    assert message["en"] == "notes.webm: not an audio or video file FFmpeg can read"
