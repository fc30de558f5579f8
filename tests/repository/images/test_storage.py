"""The content-addressed file store: originals kept once, intact, and only inside the root.

Every test runs against both backends: the local disk, and S3-compatible object storage on a
real S3 server over HTTP (its local copies are what ``root`` holds there).
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from pathlib import Path

import pytest

from repository.images.s3 import S3Settings, S3Store
from repository.images.storage import FileStore, OriginalStore
from repository.images.storage_errors import FileTooLarge
from tests.ingest import image_factory as make
from tests.storage.s3_server import (  # noqa: F401 (fixtures)
    object_names,
    s3_credentials,
    s3_settings,
    s3_url,
)


@pytest.fixture(params=["disk", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "disk":
        return FileStore(tmp_path / "store")
    return S3Store(tmp_path / "store", request.getfixturevalue("s3_settings"))


def in_bucket(store: FileStore) -> list[str]:
    """The object names a shared store holds (none for the disk)."""
    settings: S3Settings | None = getattr(store, "settings", None)
    return object_names(settings) if settings else []


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_an_original_is_filed_under_the_sha256_of_its_bytes(store: FileStore, tmp_path) -> None:
    upload = make.jpeg(tmp_path / "photo.jpg")
    data = upload.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()

    stored = store.put_original(upload)

    assert stored.sha256 == sha256
    assert stored.size == len(data)
    assert stored.path == store.root / "originals" / sha256[:2] / sha256[2:4] / sha256
    assert stored.path == store.original_path(sha256)
    assert stored.path.read_bytes() == data
    assert store.has_original(sha256)
    with store.open_original(sha256) as stream:
        assert stream.read() == data


def test_the_same_bytes_are_stored_once_however_they_arrive(store: FileStore, tmp_path) -> None:
    upload = make.jpeg(tmp_path / "photo.jpg")
    data = upload.read_bytes()

    first = store.put_original(upload)
    second = store.put_original(io.BytesIO(data))

    assert first == second
    assert files_under(store.root) == [first.path]
    assert first.path.read_bytes() == data


def test_a_working_copy_is_moved_into_place_rather_than_copied(store: FileStore, tmp_path) -> None:
    first, second = tmp_path / "unpacked-1", tmp_path / "unpacked-2"
    data = make.jpeg(tmp_path / "photo.jpg").read_bytes()
    first.write_bytes(data)
    second.write_bytes(data)
    inode = first.stat().st_ino

    stored = store.put_original(first, move=True)
    again = store.put_original(second, move=True)

    assert stored.created and not again.created and again.path == stored.path
    assert stored.path.stat().st_ino == inode  # the same file, renamed
    assert stored.path.read_bytes() == data and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stat.S_IMODE(stored.path.stat().st_mode) & 0o222 == 0
    assert not first.exists() and not second.exists()
    assert files_under(store.root) == [stored.path]


def test_a_working_copy_on_another_file_system_is_copied_and_removed(
    store: FileStore, tmp_path, monkeypatch
) -> None:
    working = make.jpeg(tmp_path / "unpacked.jpg")
    data = working.read_bytes()
    rename = os.replace

    def across_devices(source, target):
        if Path(source) == working:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        rename(source, target)

    monkeypatch.setattr(os, "replace", across_devices)
    stored = store.put_original(working, move=True)

    assert stored.created and stored.path.read_bytes() == data
    assert not working.exists()


def test_different_bytes_get_different_addresses(store: FileStore, tmp_path) -> None:
    one = store.put_original(make.jpeg(tmp_path / "a.jpg", (300, 200)))
    other = store.put_original(make.jpeg(tmp_path / "b.jpg", (200, 300)))

    assert one.sha256 != other.sha256
    assert len(files_under(store.root)) == 2


def test_stored_originals_are_read_only(store: FileStore, tmp_path) -> None:
    stored = store.put_original(make.jpeg(tmp_path / "photo.jpg"))

    assert stat.S_IMODE(stored.path.stat().st_mode) & 0o222 == 0


def test_an_oversized_upload_is_abandoned_without_a_trace(store: FileStore, tmp_path) -> None:
    upload = make.noisy_jpeg(tmp_path / "big.jpg", (400, 300))
    limit = upload.stat().st_size - 1

    with pytest.raises(FileTooLarge) as caught:
        store.put_original(upload, max_bytes=limit, filename="big.jpg")

    assert caught.value.max_bytes == limit
    assert caught.value.message.startswith("big.jpg is larger than the upload limit of ")
    assert "big.jpg 超过了" in caught.value.message.zh
    assert files_under(store.root) == []
    assert in_bucket(store) == []


def test_reading_stops_as_soon_as_the_limit_is_passed(store: FileStore) -> None:
    stream = io.BytesIO(b"\x00" * (5 * 1024 * 1024))

    with pytest.raises(FileTooLarge) as caught:
        store.put_original(stream, max_bytes=1024 * 1024)

    assert stream.tell() == 1024 * 1024 + 1
    assert str(caught.value) == "The file is larger than the upload limit of 1 MB."


def test_a_file_exactly_at_the_limit_is_accepted(store: FileStore, tmp_path) -> None:
    upload = make.jpeg(tmp_path / "photo.jpg")

    stored = store.put_original(upload, max_bytes=upload.stat().st_size)

    assert stored.size == upload.stat().st_size


def test_an_unknown_digest_is_not_there(store: FileStore) -> None:
    assert not store.has_original("0" * 64)


@pytest.mark.parametrize(
    "bad",
    [
        "../../../../etc/passwd",
        "ab/../../" + "0" * 55,
        "/" + "a" * 63,
        "A" * 64,  # digests are lowercase; an uppercase twin would be a second copy
        "g" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 64 + "\n",
        "",
    ],
)
def test_anything_but_a_sha256_digest_is_refused_before_a_path_is_built(
    store: FileStore, bad: str
) -> None:
    for use in (
        store.original_path,
        store.has_original,
        store.open_original,
        store.derivative_dir,
        store.remove_derivatives,
    ):
        with pytest.raises(ValueError):
            use(bad)
    assert not store.root.exists()


def test_derivatives_live_in_their_own_directory_per_original(store: FileStore) -> None:
    sha256 = "ab" * 32

    assert store.derivative_dir(sha256) == store.root / "derivatives" / "ab" / "ab" / sha256


def test_derivatives_are_published_whole_or_not_at_all(store: FileStore) -> None:
    sha256 = "cd" * 32
    with store.writing_derivatives(sha256) as staging:
        (staging / "thumb-200.jpg").write_bytes(b"first")

    with pytest.raises(RuntimeError), store.writing_derivatives(sha256) as staging:
        (staging / "thumb-200.jpg").write_bytes(b"second")
        raise RuntimeError("the build failed halfway")

    directory = store.derivative_dir(sha256)
    assert (directory / "thumb-200.jpg").read_bytes() == b"first"
    assert [p.name for p in directory.parent.iterdir()] == [sha256]  # no staging left over


def test_published_derivatives_replace_the_previous_set(store: FileStore) -> None:
    sha256 = "cd" * 32
    with store.writing_derivatives(sha256) as staging:
        (staging / "old.jpg").write_bytes(b"old")
    with store.writing_derivatives(sha256) as staging:
        (staging / "new.jpg").write_bytes(b"new")

    directory = store.derivative_dir(sha256)
    assert [p.name for p in directory.iterdir()] == ["new.jpg"]
    assert [p.name for p in directory.parent.iterdir()] == [sha256]


def test_removing_derivatives_keeps_the_original(store: FileStore, tmp_path) -> None:
    stored = store.put_original(make.jpeg(tmp_path / "photo.jpg"))
    with store.writing_derivatives(stored.sha256) as staging:
        (staging / "thumb-200.jpg").write_bytes(b"thumb")

    store.remove_derivatives(stored.sha256)
    store.remove_derivatives(stored.sha256)  # nothing left to remove: fine

    assert not store.derivative_dir(stored.sha256).exists()
    assert files_under(store.root) == [stored.path]


def test_the_local_store_satisfies_the_backend_interface(store: FileStore) -> None:
    assert isinstance(store, OriginalStore)
