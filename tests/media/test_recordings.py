"""Recordings saved with a record: verified, stored untouched, made playable by a task, served
with ranges, and painted on time-based canvases of the record's IIIF manifest."""

from __future__ import annotations

import hashlib

from repository.images import file_store
from repository.media.models import MediaKind
from repository.models import DerivativeState
from tests.iiif.validators import fetch_presentation


def test_a_video_and_a_sound_become_time_based_canvases_in_catalogued_order(
    client, record_with, sample
):
    from tests.factories import jpeg_bytes

    video, sound = sample("clip.webm"), sample("tone.wav")
    record = record_with(("photo.jpg", jpeg_bytes().getvalue()), video, sound)

    [film, tone] = record.recordings
    assert (film.kind, film.width, film.height) == (MediaKind.VIDEO, 320, 240)
    assert tone.kind is MediaKind.AUDIO and tone.width is None
    assert 1.9 < film.duration < 2.1 and 1.9 < tone.duration < 2.1
    assert film.derivative_state is DerivativeState.READY  # tasks run inline in tests
    store = file_store()
    original = store.original_path(film.sha256).read_bytes()
    assert original == video.read_bytes()  # kept untouched, named by its digest
    assert hashlib.sha256(original).hexdigest() == film.sha256

    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    kinds = [canvas["items"][0]["items"][0]["body"]["type"] for canvas in manifest["items"]]
    assert kinds == ["Image", "Video", "Sound"]
    video_canvas, sound_canvas = manifest["items"][1:]
    assert video_canvas["duration"] == film.duration
    assert (video_canvas["width"], video_canvas["height"]) == (320, 240)
    body = video_canvas["items"][0]["items"][0]["body"]
    assert body["format"] == "video/mp4" and body["duration"] == film.duration
    assert "width" not in sound_canvas and sound_canvas["duration"] == tone.duration
    assert sound_canvas["items"][0]["items"][0]["body"]["format"] == "audio/mp4"
    for canvas in (video_canvas, sound_canvas):
        [thumbnail] = canvas["thumbnail"]
        picture = client.get(thumbnail["id"])
        assert picture.status_code == 200 and picture.mimetype == "image/jpeg"


def test_the_playable_file_answers_ranges_with_an_etag_and_cors(client, record_with, sample):
    record = record_with(sample("clip.mp4"))
    [film] = record.recordings
    url = f"/media/{film.public_id}/play"

    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.mimetype == "video/mp4"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Access-Control-Allow-Origin"] == "*"
    etag = whole.headers["ETag"]

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.data)}"
    assert part.data == whole.data[100:200]
    assert "Content-Range" in part.headers["Access-Control-Expose-Headers"]

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    preflight = client.options(url, headers={"Origin": "https://viewer.example"})
    assert "Range" in preflight.headers["Access-Control-Allow-Headers"]


def test_an_mp3_plays_as_it_is_and_its_cover_is_not_a_video(client, record_with, sample):
    record = record_with(sample("cover.mp3"))
    [song] = record.recordings
    assert song.kind is MediaKind.AUDIO
    response = client.get(f"/media/{song.public_id}/play")
    assert response.mimetype == "audio/mpeg"
    assert response.data == file_store().original_path(song.sha256).read_bytes()
    waveform = client.get(f"/media/{song.public_id}/waveform.png")
    assert waveform.status_code == 200 and waveform.mimetype == "image/png"


def test_a_rotated_phone_video_is_shown_upright(client, record_with, sample):
    record = record_with(sample("upright.mp4"))
    [film] = record.recordings
    assert (film.rotation % 180, film.width, film.height) == (90, 240, 320)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    assert (manifest["items"][0]["width"], manifest["items"][0]["height"]) == (240, 320)
    poster = client.get(f"/media/{film.public_id}/poster.jpg")
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(poster.data)).size == (240, 320)


def test_a_draft_recording_is_not_served_to_the_public(client, record_with, sample):
    record = record_with(sample("tone.mp3"), publish=False)
    [song] = record.recordings
    assert client.get(f"/media/{song.public_id}/play").status_code == 404


def test_the_record_page_plays_recordings_and_the_policy_allows_media(client, record_with, sample):
    record = record_with(sample("clip.mp4"), sample("tone.flac"))
    page = client.get(f"/records/{record.public_id}")
    html = page.get_data(as_text=True)
    assert "<video" in html and "<audio" in html
    assert "media-src 'self'" in page.headers["Content-Security-Policy"]
