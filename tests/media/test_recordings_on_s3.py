"""Recordings on S3-compatible storage: the original and the derivative set go to the bucket
through the one store interface, and a machine that never saw the upload plays them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from repository.images.s3_client import S3Settings
from tests.storage.s3_server import object_names
from tests.storage.s3_server import s3_app as s3_app
from tests.storage.s3_server import s3_credentials as s3_credentials
from tests.storage.s3_server import s3_settings as s3_settings
from tests.storage.s3_server import s3_url as s3_url


def test_a_recording_is_kept_in_the_bucket_and_played_elsewhere(
    s3_app: Flask, s3_settings: S3Settings, record_with, sample, client, tmp_path: Path
):
    s3_app.config["STORAGE_ROOT"] = str(tmp_path / "web" / "storage")
    record = record_with(sample("tone.flac"), sample("clip.webm"))
    sound, film = record.recordings

    names = object_names(s3_settings)
    for recording, played in ((sound, "play.m4a"), (film, "play.mp4")):
        sha = recording.sha256
        assert any(name.endswith(f"originals/{sha[:2]}/{sha[2:4]}/{sha}") for name in names)
        assert any(name.endswith(f"{sha}/{played}") for name in names), names

    s3_app.config["STORAGE_ROOT"] = str(tmp_path / "reader" / "storage")  # another machine
    response = client.get(f"/media/{film.public_id}/play", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and response.mimetype == "video/mp4"
    assert response.data[4:8] == b"ftyp"
    assert client.get(f"/media/{sound.public_id}/play").mimetype == "audio/mp4"
    assert client.get(f"/media/{film.public_id}/poster.jpg").status_code == 200
