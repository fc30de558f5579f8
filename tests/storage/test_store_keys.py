"""Files by key, the same on both stores; and, with S3, what one machine stores another sees."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from repository.config import load_config
from repository.images import s3
from repository.images.s3 import S3Settings, S3Store
from repository.images.storage import FileStore
from tests.storage.s3_server import object_names, raw_client


@pytest.fixture(params=["disk", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "disk":
        return FileStore(tmp_path / "store")
    return S3Store(tmp_path / "store", request.getfixturevalue("s3_settings"))


def test_a_file_put_under_a_key_is_read_listed_and_deleted(store: FileStore, tmp_path) -> None:
    source = tmp_path / "table.csv"
    source.write_bytes("local_id,title\r\nA-1,人参\r\n".encode())

    store.put_file("imports/J1/table.csv", source)
    store.put_bytes("imports/J1/images/a.jpg", b"jpeg bytes")
    store.put_bytes("imports/J2/table.csv", b"other job")

    assert store.exists("imports/J1/table.csv")
    assert not store.exists("imports/J1/missing.csv")
    assert store.local_copy("imports/J1/table.csv").read_bytes() == source.read_bytes()
    with store.open("imports/J1/images/a.jpg") as stream:
        assert stream.read() == b"jpeg bytes"
    assert store.list("imports/J1") == ["imports/J1/images/a.jpg", "imports/J1/table.csv"]

    store.delete("imports/J1/images/a.jpg")
    store.delete("imports/J1/images/a.jpg")  # already gone: fine
    assert store.list("imports/J1") == ["imports/J1/table.csv"]
    assert store.delete_tree("imports/J1")
    assert not store.delete_tree("imports/J1")
    assert store.list("imports/J1") == []
    assert store.exists("imports/J2/table.csv")  # the other job's files are untouched


def test_a_missing_key_is_file_not_found(store: FileStore, tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        store.local_copy("imports/none/table.csv")
    assert not store.fetch("imports/none/table.csv", tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_a_fetched_copy_keeps_the_bytes_and_the_modification_time(store: FileStore, tmp_path):
    source = tmp_path / "tile.jpg"
    source.write_bytes(b"rendered")
    os.utime(source, (1_600_000_000, 1_600_000_000))
    store.put_file("iiif-cache/ab/tile.jpg", source)

    assert store.fetch("iiif-cache/ab/tile.jpg", tmp_path / "elsewhere" / "tile.jpg")

    copy = tmp_path / "elsewhere" / "tile.jpg"
    assert copy.read_bytes() == b"rendered"
    assert int(copy.stat().st_mtime) == 1_600_000_000


@pytest.mark.parametrize(
    "bad", ["", "/etc/passwd", "../outside", "imports/../../x", "imports//x", "a/./b", "a\\b"]
)
def test_keys_that_could_leave_the_store_are_refused(store: FileStore, bad: str) -> None:
    for use in (store.exists, store.local_copy, store.delete, store.list):
        with pytest.raises(ValueError):
            use(bad)
    with pytest.raises(ValueError):
        store.put_bytes(bad, b"x")


def test_another_machine_reads_originals_and_derivatives_from_the_bucket(
    s3_settings: S3Settings, tmp_path
) -> None:
    one = S3Store(tmp_path / "one", s3_settings)
    other = S3Store(tmp_path / "other", s3_settings)
    stored = one.put_original(_bytes_file(tmp_path / "a.jpg", b"original bytes"))
    with one.writing_derivatives(stored.sha256) as staging:
        (staging / "thumb-200.jpg").write_bytes(b"thumb")
        (staging / "manifest.json").write_text(json.dumps({"set": 1}))

    assert other.has_original(stored.sha256)
    assert not other.original_location(stored.sha256).exists()  # naming it fetches nothing
    assert other.original_path(stored.sha256).read_bytes() == b"original bytes"
    assert other.original_location(stored.sha256) == other.original_path(stored.sha256)
    folder = other.derivative_dir(stored.sha256)
    assert (folder / "thumb-200.jpg").read_bytes() == b"thumb"
    assert f"huiku/originals/{stored.sha256[:2]}/{stored.sha256[2:4]}/{stored.sha256}" in (
        object_names(s3_settings)
    )


def test_a_rebuilt_set_reaches_machines_holding_the_old_one(
    s3_settings: S3Settings, tmp_path, monkeypatch
) -> None:
    one = S3Store(tmp_path / "one", s3_settings)
    other = S3Store(tmp_path / "other", s3_settings)
    sha256 = "ef" * 32
    with one.writing_derivatives(sha256) as staging:
        (staging / "thumb-200.jpg").write_bytes(b"old")
        (staging / "manifest.json").write_text('{"set": "thumbnails only"}')
    assert (other.derivative_dir(sha256) / "thumb-200.jpg").read_bytes() == b"old"

    with one.writing_derivatives(sha256) as staging:
        (staging / "thumb-200.jpg").write_bytes(b"new")
        (staging / "level-1.jpg").write_bytes(b"pyramid")
        (staging / "manifest.json").write_text('{"set": "with its pyramid"}')

    assert (other.derivative_dir(sha256) / "thumb-200.jpg").read_bytes() == b"old"  # for now
    monkeypatch.setattr(s3, "RECHECK_SECONDS", 0)
    folder = other.derivative_dir(sha256)
    assert (folder / "thumb-200.jpg").read_bytes() == b"new"
    assert (folder / "level-1.jpg").read_bytes() == b"pyramid"


def test_a_set_still_being_uploaded_is_not_taken_for_whole(s3_settings: S3Settings, tmp_path):
    one = S3Store(tmp_path / "one", s3_settings)
    other = S3Store(tmp_path / "other", s3_settings)
    sha256 = "12" * 32
    prefix = f"derivatives/12/12/{sha256}"
    one.put_bytes(f"{prefix}/thumb-200.jpg", b"the manifest is not there yet")

    assert not other.derivative_dir(sha256).exists()


def _bytes_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_file_past_the_multipart_threshold_arrives_whole(s3_settings: S3Settings, tmp_path):
    one = S3Store(tmp_path / "one", s3_settings)
    other = S3Store(tmp_path / "other", s3_settings)
    data = os.urandom(9 * 1024 * 1024)  # boto3 uploads in parts from 8 MB
    source = _bytes_file(tmp_path / "images.zip", data)

    one.put_file("imports/J9/images.zip", source)

    head = raw_client(s3_settings).head_object(
        Bucket=s3_settings.bucket, Key=one.object_name("imports/J9/images.zip")
    )
    assert "-" in head["ETag"]  # the ETag of an object put in parts
    assert other.local_copy("imports/J9/images.zip").read_bytes() == data


def test_the_s3_settings_come_from_huiku_environment_variables(monkeypatch, tmp_path):
    for name, value in {
        "HUIKU_S3_BUCKET": "jl-huiku",
        "HUIKU_S3_ENDPOINT_URL": "https://s3.oss-cn-beijing.aliyuncs.com",
        "HUIKU_S3_PREFIX": "/production/",
        "HUIKU_S3_REGION": "cn-beijing",
        "HUIKU_S3_ADDRESSING_STYLE": "virtual",
        "HUIKU_S3_SIGNATURE_VERSION": "s3",
    }.items():
        monkeypatch.setenv(name, value)
    app = Flask("huiku-config-test", instance_path=str(tmp_path / "instance"))
    load_config(app)

    assert S3Settings.from_config(app.config) == S3Settings(
        bucket="jl-huiku",
        endpoint_url="https://s3.oss-cn-beijing.aliyuncs.com",
        prefix="production",
        region="cn-beijing",
        addressing_style="virtual",
        signature_version="s3",
    )
    monkeypatch.setenv("HUIKU_S3_BUCKET", "")
    load_config(app)
    assert S3Settings.from_config(app.config) is None  # no bucket: the local disk


def test_a_store_signing_the_older_way_works_as_well(s3_settings: S3Settings, tmp_path):
    older = S3Store(tmp_path / "older", replace(s3_settings, signature_version="s3"))
    older.put_bytes("imports/J3/table.csv", b"local_id\r\n")

    assert S3Store(tmp_path / "other", s3_settings).local_copy("imports/J3/table.csv").read_bytes()
