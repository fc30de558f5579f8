"""Recordings named in the spreadsheet's images column, from the ZIP: real files made by FFmpeg,
verified with ffprobe as the record form verifies them, stored, and made playable."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ingest.imports import run as run_module
from ingest.imports import run_import, start_import, template_xlsx
from repository.extensions import db
from repository.images import file_store
from repository.media.models import Recording
from repository.models import DerivativeState, JobState, Record
from repository.models.base import utcnow
from repository.tasks import recover_jobs
from tests.conftest import REQUIRE_SERVICES
from tests.ingest.imports.conftest import (
    HEADERS,
    csv_bytes,
    jpeg,
    problems,
    record_count,
    zip_bytes,
)
from tests.media.samples import make_sample, truncated_mp4
from tests.storage.s3_server import object_names
from tests.storage.s3_server import s3_app as s3_app
from tests.storage.s3_server import s3_credentials as s3_credentials
from tests.storage.s3_server import s3_settings as s3_settings
from tests.storage.s3_server import s3_url as s3_url


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        message = "FFmpeg is not installed (scripts/services/ffmpeg.sh ensure)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return tmp_path_factory.mktemp("import-media")


def sample(folder: Path, name: str) -> bytes:
    return make_sample(folder, name).read_bytes()


def row(local_id: str, files: str) -> list[str]:
    return [local_id, f"标本 {local_id}", "Panax ginseng C. A. Mey.", "植物", "", "", files]


def recordings_of(local_id: str) -> list[Recording]:
    record = db.session.scalar(select(Record).where(Record.local_id == local_id))
    assert record is not None, local_id
    return list(record.recordings)


def recording_count() -> int:
    return db.session.scalar(select(func.count(Recording.id)))


def test_sound_and_video_in_the_images_column_are_attached_and_made_playable(run, write, media):
    archive = {
        "photos/ginseng.jpg": jpeg(),
        "sound/tone.mp3": sample(media, "tone.mp3"),
        "sound/tone.m4a": sample(media, "tone.m4a"),
        "sound/tone.wav": sample(media, "tone.wav"),
        "sound/tone.flac": sample(media, "tone.flac"),
        "video/clip.mp4": sample(media, "clip.mp4"),
        "video/clip.webm": sample(media, "clip.webm"),
        "video/clip.mov": sample(media, "clip.mov"),
    }
    table = write(
        "records.csv",
        csv_bytes(
            [
                HEADERS,
                row("CBS-001", "ginseng.jpg；TONE.MP3"),
                row("CBS-002", "clip.mp4"),
                row("CBS-003", "tone.m4a; tone.wav; tone.flac; clip.webm; clip.mov"),
            ]
        ),
    )
    job = run(table, write("media.zip", zip_bytes(archive)))

    assert job.state is JobState.SUCCEEDED, job.report
    assert problems(job) == []
    assert job.counts["created"] == 3
    assert job.counts["images"] == 1
    assert job.counts["recordings"] == 7

    first = db.session.scalar(select(Record).where(Record.local_id == "CBS-001"))
    assert [asset.original_filename for asset in first.assets] == ["ginseng.jpg"]
    (tone,) = first.recordings
    assert (tone.kind.value, tone.original_filename, tone.label) == ("audio", "tone.mp3", "tone")
    assert tone.position > first.assets[0].position  # recordings follow the images

    (clip,) = recordings_of("CBS-002")
    assert (clip.kind.value, clip.width, clip.height) == ("video", 320, 240)
    assert clip.duration == pytest.approx(2, abs=0.2)

    third = recordings_of("CBS-003")
    assert [(r.original_filename, r.kind.value) for r in third] == [
        ("tone.m4a", "audio"),
        ("tone.wav", "audio"),
        ("tone.flac", "audio"),
        ("clip.webm", "video"),
        ("clip.mov", "video"),
    ]
    store = file_store()
    for recording in [tone, clip, *third]:
        assert store.has_original(recording.sha256)
        # the derivative tasks were enqueued after the batch committed (run inline in tests)
        assert recording.derivative_state is DerivativeState.READY


def test_the_same_file_again_changes_nothing_and_a_new_recording_replaces_the_old(
    run, write, media
):
    archive = write(
        "media.zip",
        zip_bytes({"tone.mp3": sample(media, "tone.mp3"), "tone.wav": sample(media, "tone.wav")}),
    )
    table = write("records.csv", csv_bytes([HEADERS, row("CBS-001", "tone.mp3")]))
    run(table, archive)
    (before,) = recordings_of("CBS-001")

    again = run(table, archive)
    assert again.counts["unchanged"] == 1
    assert recordings_of("CBS-001")[0].public_id == before.public_id

    changed = write("changed.csv", csv_bytes([HEADERS, row("CBS-001", "tone.mp3；tone.wav")]))
    job = run(changed, archive)
    assert job.counts["updated"] == 1 and job.counts["recordings"] == 1
    after = recordings_of("CBS-001")
    assert [r.original_filename for r in after] == ["tone.mp3", "tone.wav"]
    assert after[0].public_id == before.public_id  # kept, with its id

    missing = run(write("missing.csv", csv_bytes([HEADERS, row("CBS-001", "tone.flac")])), archive)
    (entry,) = problems(missing)
    assert entry["message_en"] == "Recording “tone.flac” is not in media.zip."
    assert entry["message_zh"] == "音视频「tone.flac」不在 media.zip 中。"

    only_wav = write("wav.csv", csv_bytes([HEADERS, row("CBS-001", "tone.wav")]))
    run(only_wav, archive)
    assert [r.original_filename for r in recordings_of("CBS-001")] == ["tone.wav"]


@pytest.fixture
def bad_batch(write, media, app, monkeypatch):
    """A good image row, a good sound row, and three bad recordings: a text file named .mp4, an
    MP4 cut short, and a video over the recordings' size limit."""
    tone = sample(media, "tone.mp3")
    cut = truncated_mp4(media).read_bytes()
    clip = make_sample(media, "clip.mp4", seconds=8).read_bytes()
    limit = max(len(tone), len(cut)) + 1
    assert len(clip) > limit
    monkeypatch.setitem(app.config, "MAX_RECORDING_BYTES", limit)
    archive = {
        "ginseng.jpg": jpeg(),
        "tone.mp3": tone,
        "演出.mp4": "这不是视频".encode(),
        "cut.mp4": cut,
        "big.mp4": clip,
    }
    table = write(
        "records.csv",
        csv_bytes(
            [
                HEADERS,
                row("CBS-001", "ginseng.jpg"),
                row("CBS-002", "tone.mp3"),
                row("CBS-003", "演出.mp4"),
                row("CBS-004", "cut.mp4"),
                row("CBS-005", "big.mp4"),
            ]
        ),
    )
    return table, write("media.zip", zip_bytes(archive))


def test_a_bad_recording_fails_its_row_naming_row_column_and_file(run, bad_batch):
    job = run(*bad_batch)  # on_error=skip

    assert job.state is JobState.SUCCEEDED
    assert (job.counts["created"], job.counts["failed"]) == (2, 3)
    assert record_count() == 2
    assert [r.original_filename for r in recordings_of("CBS-002")] == ["tone.mp3"]
    assert recording_count() == 1

    failed = {entry["row"]: entry for entry in problems(job)}
    assert sorted(failed) == [4, 5, 6]
    for number, name in [(4, "演出.mp4"), (5, "cut.mp4"), (6, "big.mp4")]:
        entry = failed[number]
        assert (entry["column"], entry["cell"], entry["value"]) == ("images", f"G{number}", name)
        assert name in entry["message_en"] and name in entry["message_zh"]
        assert entry["fix_en"] and entry["fix_zh"]
    assert "不是可读取的音频或视频文件" in failed[4]["message_zh"]
    assert "not an audio or video file" in failed[4]["message_en"]
    assert "文件已损坏或不完整" in failed[5]["message_zh"]
    assert "damaged or incomplete" in failed[5]["message_en"]
    assert failed[6]["fix_en"].startswith("Shorten or compress the recording")


def test_with_abort_a_bad_recording_means_nothing_is_written(run, bad_batch):
    job = run(*bad_batch, on_error="abort")

    assert job.state is JobState.FAILED
    assert record_count() == 0
    assert recording_count() == 0
    assert sorted({entry["row"] for entry in problems(job)}) == [4, 5, 6]


def test_a_dry_run_checks_recordings_and_writes_nothing(run, bad_batch):
    job = run(*bad_batch, dry_run=True)

    assert job.state is JobState.SUCCEEDED
    assert (job.counts["created"], job.counts["failed"]) == (2, 3)
    assert record_count() == 0 and recording_count() == 0


def test_without_ffmpeg_rows_with_recordings_fail_and_image_rows_import(
    run, write, media, app, monkeypatch
):
    tone = sample(media, "tone.mp3")
    monkeypatch.setitem(app.config, "FFPROBE_BINARY", "/nonexistent/ffprobe")
    monkeypatch.setitem(app.config, "FFMPEG_BINARY", "/nonexistent/ffmpeg")
    table = write(
        "records.csv",
        csv_bytes(
            [HEADERS, row("CBS-001", "ginseng.jpg"), row("CBS-002", "ginseng.jpg；tone.mp3")]
        ),
    )
    job = run(table, write("media.zip", zip_bytes({"ginseng.jpg": jpeg(), "tone.mp3": tone})))

    assert (job.counts["created"], job.counts["failed"]) == (1, 1)
    first = db.session.scalar(select(Record).where(Record.local_id == "CBS-001"))
    assert len(first.assets) == 1
    (entry,) = problems(job)
    assert (entry["row"], entry["cell"], entry["value"]) == (3, "G3", "tone.mp3")
    assert "FFmpeg is not installed" in entry["message_en"]
    assert "未安装 FFmpeg" in entry["message_zh"]
    assert "install FFmpeg" in entry["fix_en"]


def test_recordings_in_a_folder_are_verified_in_place(run, write, media, tmp_path):
    folder = tmp_path / "field-trip"
    (folder / "sound").mkdir(parents=True)
    (folder / "sound" / "号子.wav").write_bytes(sample(media, "tone.wav"))
    (folder / "sound" / "fake.mp3").write_text("not sound", encoding="utf-8")
    table = write(
        "records.csv", csv_bytes([HEADERS, row("CBS-001", "号子.wav"), row("CBS-002", "fake.mp3")])
    )
    job = run(table, folder)

    assert (job.counts["created"], job.counts["failed"]) == (1, 1)
    assert [r.original_filename for r in recordings_of("CBS-001")] == ["号子.wav"]
    (entry,) = problems(job)
    assert (entry["row"], entry["value"]) == (3, "fake.mp3")
    assert entry["message_zh"].startswith("fake.mp3：")


def test_the_template_guide_says_recordings_go_in_the_images_column(collection):
    workbook = load_workbook(io.BytesIO(template_xlsx(collection)))
    guide = "\n".join(str(row[0].value) for row in workbook.worksheets[1].iter_rows())
    assert "Recordings (MP3, M4A/AAC, WAV, FLAC, MP4, WebM, MOV) go in the images column" in guide


def test_on_s3_the_recording_and_its_playable_copy_go_to_the_bucket(
    s3_app, s3_settings, run, write, media
):
    table = write("records.csv", csv_bytes([HEADERS, row("CBS-001", "clip.webm")]))
    job = run(table, write("media.zip", zip_bytes({"clip.webm": sample(media, "clip.webm")})))

    assert job.counts["recordings"] == 1, job.report
    (film,) = recordings_of("CBS-001")
    sha = film.sha256
    names = object_names(s3_settings)
    assert any(name.endswith(f"originals/{sha[:2]}/{sha[2:4]}/{sha}") for name in names)
    assert any(name.endswith(f"{sha}/play.mp4") for name in names), names


class Killed(BaseException):
    """The worker dies (as with SIGKILL): nothing after this point runs."""


def test_a_recording_whose_task_a_crash_skipped_is_made_playable_when_the_job_resumes(
    write, contributor, collection, media, monkeypatch
):
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes([HEADERS, row("T-1", "tone.wav")])),
        write("p.zip", zip_bytes({"tone.wav": sample(media, "tone.wav")})),
        dry_run=False,
    )
    original = run_module.enqueue_recording_derivatives

    def killed_after_the_commit(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(run_module, "enqueue_recording_derivatives", killed_after_the_commit)
    with pytest.raises(Killed):
        run_import(job)
    (recording,) = db.session.scalars(select(Recording)).all()
    assert recording.derivative_state is DerivativeState.PENDING
    monkeypatch.setattr(run_module, "enqueue_recording_derivatives", original)
    job.lease_expires_at = utcnow() - timedelta(seconds=1)  # the dead worker's lease runs out
    db.session.commit()
    recover_jobs()
    db.session.refresh(recording)
    assert recording.derivative_state is DerivativeState.READY
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.counts["recordings"] == 1


def test_the_command_line_imports_a_folder_of_recordings_and_counts_them(
    app, contributor, collection, write, media, tmp_path
):
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "tone.flac").write_bytes(sample(media, "tone.flac"))
    (folder / "bad.mov").write_text("not a film", encoding="utf-8")
    table = write("t.csv", csv_bytes([HEADERS, row("T-1", "tone.flac"), row("T-2", "bad.mov")]))
    arguments = ["import", collection.slug, table, "--library", contributor.library.code]
    result = app.test_cli_runner().invoke(args=[str(a) for a in [*arguments, "--images", folder]])

    assert result.exit_code == 1, result.output  # a row failed, the other is in
    assert "音视频 recordings 1" in result.output
    line = next(line for line in result.output.splitlines() if line.startswith("3 "))
    assert "G3" in line and "bad.mov" in line
    assert [r.original_filename for r in recordings_of("T-1")] == ["tone.flac"]


def test_through_the_json_api_the_report_names_the_bad_recording(api, collection, media):
    table = csv_bytes([HEADERS, row("API-1", "tone.m4a"), row("API-2", "坏.webm")])
    archive = zip_bytes({"tone.m4a": sample(media, "tone.m4a"), "坏.webm": b"\x1aE\xdf\xa3 cut"})
    response = api.post(
        f"/api/collections/{collection.slug}/imports",
        data={
            "table": (io.BytesIO(table), "plants.csv"),
            "images": (io.BytesIO(archive), "media.zip"),
            "dry_run": "false",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    polled = api.get(f"/api/imports/{response.get_json()['id']}").get_json()
    assert polled["state"] == "succeeded"
    assert polled["counts"]["recordings"] == 1 and polled["counts"]["failed"] == 1
    report = api.get(polled["links"]["report"]).get_json()
    (failed,) = [entry for entry in report["entries"] if entry["outcome"] == "failed"]
    assert (failed["row"], failed["column"], failed["value"]) == (3, "images", "坏.webm")
    assert failed["message"]["zh"].startswith("坏.webm：")
    assert failed["message"]["en"].startswith("坏.webm: ")
