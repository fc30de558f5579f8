"""Recordings Huiku refuses, each with a message naming the file and what is wrong, never a
500; and a machine without FFmpeg, where images still work."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.media.models import Recording
from repository.models import Record
from tests.conftest import csrf_token_from
from tests.factories import SAMPLE_METADATA, jpeg_bytes
from tests.media.samples import truncated_mp4

FORM = "/workspace/collections/ich/records/new"
FIELDS = {
    **SAMPLE_METADATA["ich"],
    "local_id": "ICH-BAD-1",
    "region": "吉林省",
    "ethnic_group": "汉族",
}


def post(client, files: list[tuple[str, bytes]]):
    token = csrf_token_from(client, FORM)
    form = {"csrf_token": token, **FIELDS}
    form["new_images"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(FORM, data=form, content_type="multipart/form-data")


@pytest.fixture
def browser(login, make_user, ich):
    return login(make_user("contributor"))


def refused(response) -> str:
    assert response.status_code == 422, response.status_code
    assert db.session.scalar(select(func.count(Record.id))) == 0
    assert db.session.scalar(select(func.count(Recording.id))) == 0
    return response.get_data(as_text=True)


def test_a_text_file_named_mp4_is_not_a_recording(browser):
    page = refused(post(browser, [("演出.mp4", "这不是视频".encode())]))
    assert "演出.mp4：不是可读取的音频或视频文件" in page


def test_a_truncated_mp4_says_it_was_cut_short(browser, sample_folder):
    page = refused(post(browser, [("cut.mp4", truncated_mp4(sample_folder).read_bytes())]))
    assert "cut.mp4：文件已损坏或不完整（缺少 MP4 索引（moov），文件不完整）" in page


def test_a_recording_of_no_length_is_refused(browser, sample):
    page = refused(post(browser, [("empty.wav", sample("empty.wav").read_bytes())]))
    assert "empty.wav：录音或录像时长为 0 秒" in page


def test_over_the_duration_limit(browser, sample, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_RECORDING_SECONDS", 1)
    page = refused(post(browser, [("long.mp3", sample("tone.mp3").read_bytes())]))
    assert "long.mp3：时长 0:02，超过本库允许的 0:01" in page


def test_over_the_size_limit_of_recordings(browser, sample, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_RECORDING_BYTES", 10_000)
    page = refused(post(browser, [("big.wav", sample("tone.wav").read_bytes())]))
    assert "big.wav" in page and "9.8 KB" in page


def test_an_unsupported_codec_is_named(browser, sample):
    page = refused(post(browser, [("old.wav", sample("adpcm.wav").read_bytes())]))
    assert "old.wav：其音频编码 adpcm_ms 不受支持" in page


def test_an_extension_that_lies_is_refused_with_the_real_kind(browser, sample):
    page = refused(post(browser, [("song.mp3", sample("tone.wav").read_bytes())]))
    assert "song.mp3：文件名为 .mp3，但实际是 WAV 文件" in page


def test_every_bad_file_is_named_at_once(browser, sample):
    page = refused(post(browser, [("a.mp4", b"text"), ("b.mp3", sample("tone.wav").read_bytes())]))
    assert "a.mp4：" in page and "b.mp3：" in page


def test_without_ffmpeg_recordings_are_refused_and_images_still_work(
    browser, sample, app, monkeypatch
):
    monkeypatch.setitem(app.config, "FFPROBE_BINARY", "/nonexistent/ffprobe")
    monkeypatch.setitem(app.config, "FFMPEG_BINARY", "/nonexistent/ffmpeg")
    form_page = browser.get(FORM).get_data(as_text=True)
    assert "本服务器未安装 FFmpeg" in form_page  # said before anyone uploads

    page = refused(post(browser, [("tone.mp3", sample("tone.mp3").read_bytes())]))
    assert "本服务器未安装 FFmpeg（无法运行 /nonexistent/ffprobe）" in page

    response = post(browser, [("photo.jpg", jpeg_bytes().getvalue())])
    assert response.status_code == 302
    [record] = db.session.scalars(select(Record)).all()
    assert len(record.assets) == 1 and record.recordings == []


def test_the_start_up_warns_when_ffmpeg_is_missing(caplog):
    from flask import Flask

    from repository.media import check_ffmpeg

    app = Flask("start-up")
    app.config.update(FFPROBE_BINARY="/nonexistent/ffprobe", FFMPEG_BINARY="ffmpeg")
    with caplog.at_level("WARNING"):
        check_ffmpeg(app)
    assert "FFmpeg is not installed on this server" in caplog.text
    assert "images still can" in caplog.text
