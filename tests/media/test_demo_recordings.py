"""The demo's recordings: small committed files that attach to their ICH records once, and a
demo that still loads, saying why, on a machine without FFmpeg."""

from __future__ import annotations

from demo.recordings import FOLDER, attach_demo_recordings
from ingest.services import save_new_record
from repository.services import records
from tests.factories import SAMPLE_METADATA


def test_the_committed_recordings_are_small():
    files = [path for path in FOLDER.iterdir() if path.suffix != ".toml"]
    assert len(files) >= 3
    assert sum(path.stat().st_size for path in files) < 2 * 1024 * 1024


def demo_records(make_library, make_user, ich):
    libraries = {code: make_library(code) for code in ("JL-SL", "YB-LIB")}
    admins = {code: make_user("admin", library=lib) for code, lib in libraries.items()}
    for code, local_id in (("JL-SL", "JL-ICH-0002"), ("YB-LIB", "YB-ICH-0003")):
        data = {**SAMPLE_METADATA["ich"], "local_id": local_id}
        record = save_new_record(admins[code], ich, data, [])
        records.submit_record(admins[code], record)
        records.publish_record(admins[code], record)
    return libraries, admins


def test_the_demo_recordings_attach_once(make_library, make_user, ich, sample_folder, client):
    libraries, admins = demo_records(make_library, make_user, ich)
    editor = lambda library: admins[library.code]  # noqa: E731

    assert attach_demo_recordings(libraries, ich, editor, say=lambda _: None) == 2
    assert attach_demo_recordings(libraries, ich, editor, say=lambda _: None) == 0

    duet = records.find_by_local_id(libraries["JL-SL"].id, "JL-ICH-0002")
    [film] = duet.recordings
    assert film.is_video and film.ready and film.label == "二人转演出片段（示例视频）"
    manifest = client.get(f"/iiif/3/manifests/{duet.public_id}").get_json()
    assert manifest["items"][0]["items"][0]["items"][0]["body"]["type"] == "Video"


def test_without_ffmpeg_the_demo_loads_without_its_recordings(
    make_library, make_user, ich, app, monkeypatch
):
    libraries, admins = demo_records(make_library, make_user, ich)
    monkeypatch.setitem(app.config, "FFPROBE_BINARY", "/nonexistent/ffprobe")
    said: list[str] = []

    attached = attach_demo_recordings(libraries, ich, lambda lib: admins[lib.code], said.append)

    assert attached == 0
    assert "recordings are left out: FFmpeg is not installed" in said[0]
