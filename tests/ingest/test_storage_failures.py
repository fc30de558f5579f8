"""A store that cannot be written fails a save whole: the record is not changed, the files the
save had written are gone again, and the cataloguer is told which step failed.

Tests run as root, where permissions do not stop writes, so each step is broken by putting a
regular file where the store needs a folder (the storage root itself, ``originals``,
``derivatives``, ``iiif-tiles``); only a full disk is simulated.
"""

from __future__ import annotations

import errno
import hashlib
import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.images import file_store
from repository.images.storage import FileStore
from repository.images.storage_errors import STORING, StorageUnavailable
from repository.models import Asset, DerivativeState, Record, RecordRevision, RecordStatus
from tests.conftest import csrf_token_from
from tests.factories import jpeg_bytes
from tests.ingest.api_client import issue_token

SLUG = "changbaishan"
FIELDS = {
    "local_id": "CBS-STORE-1",
    "title": "东北红豆杉",
    "scientific_name": "Taxus cuspidata",
    "kingdom": "植物",
}


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug=SLUG)


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


@pytest.fixture
def root(app) -> Path:
    return Path(app.config["STORAGE_ROOT"])


def image(colour: str = "seagreen", size: tuple[int, int] = (640, 480)) -> bytes:
    return jpeg_bytes(size, colour).getvalue()


def block(path: Path) -> None:
    """Put a regular file where the store wants a folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a folder")


def block_derivatives_of(root: Path, data: bytes) -> str:
    sha256 = hashlib.sha256(data).hexdigest()
    block(root / "derivatives" / sha256[:2] / sha256[2:4])
    return sha256


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def post_form(browser, url: str, data: dict, files: list[tuple[str, bytes]]):
    form = {"csrf_token": csrf_token_from(browser, url), **data}
    form["new_images"] = [(io.BytesIO(content), name) for name, content in files]
    return browser.post(url, data=form, content_type="multipart/form-data")


NEW = f"/workspace/collections/{SLUG}/records/new"


# --- the web form ------------------------------------------------------------------------------


def test_an_unwritable_storage_root_gives_the_form_back_with_the_reason(
    app, login, collection, contributor, tmp_path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("the storage root is under a regular file")
    monkeypatch.setitem(app.config, "STORAGE_ROOT", str(blocker / "storage"))
    response = post_form(login(contributor), NEW, FIELDS, [("cone.jpg", image())])
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "接收上传的文件时出错" in page and "未保存任何内容" in page
    assert 'value="东北红豆杉"' in page  # the form comes back with what was typed
    assert count(Record) == 0


@pytest.mark.parametrize(
    ("blocked", "step"),
    [("originals", "保存图片时出错"), ("derivatives", "生成缩略图和切片时出错")],
)
def test_a_step_that_cannot_write_leaves_no_record_and_no_files(
    login, collection, contributor, root, blocked, step
):
    block(root / blocked)
    files = [("cone.jpg", image("darkred")), ("bark.jpg", image("olive"))]
    response = post_form(login(contributor), NEW, FIELDS, files)
    assert response.status_code == 503
    assert step in response.get_data(as_text=True)
    assert (count(Record), count(Asset), count(RecordRevision)) == (0, 0, 0)
    for folder in ("originals", "derivatives", "staging", "iiif-tiles"):
        assert files_under(root / folder) == [], folder


def test_tiles_that_cannot_be_written_leave_the_saved_image_pending_for_a_retry(
    login, collection, contributor, root
):
    """The tiles are a task after the commit: the save stands, the task is tried again."""
    block(root / "iiif-tiles")
    response = post_form(login(contributor), NEW, FIELDS, [("wide.jpg", image(size=(2100, 300)))])
    assert response.status_code == 302
    [asset] = db.session.scalars(select(Asset)).all()
    assert asset.derivative_state is DerivativeState.PENDING and asset.derivative_attempts == 1
    assert files_under(root / "originals") != [] and files_under(root / "derivatives") != []


def test_a_failed_edit_keeps_the_record_and_its_images_as_they_were(
    login, collection, contributor, make_record, root
):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT, images=1)
    kept = record.assets[0].sha256
    kept_files = files_under(root / "originals") + files_under(root / "derivatives")
    revisions = count(RecordRevision)
    new = image("navy")
    blocked = block_derivatives_of(root, new)
    assert blocked[:4] != kept[:4]
    url = f"/workspace/records/{record.public_id}/edit"
    changed = {**record.metadata_, "title": "改过的标题", "aliases": ""}
    response = post_form(login(contributor), url, changed, [("new.jpg", new)])
    assert response.status_code == 503
    assert "改过的标题" in response.get_data(as_text=True)
    db.session.expire_all()
    record = db.session.get(Record, record.id)
    assert [asset.sha256 for asset in record.assets] == [kept]
    assert record.metadata_["title"] == "人参" and count(RecordRevision) == revisions
    (root / "derivatives" / blocked[:2] / blocked[2:4]).unlink()  # the test's own blocker
    assert files_under(root / "originals") + files_under(root / "derivatives") == kept_files


def test_bytes_another_record_already_stored_are_kept_when_a_save_fails(
    login, collection, contributor, make_record, root
):
    shared = image("teal")
    other = make_record(collection, contributor, status=RecordStatus.DRAFT)
    browser = login(contributor)
    url = f"/workspace/records/{other.public_id}/edit"
    saved = post_form(browser, url, {**other.metadata_, "aliases": ""}, [("s.jpg", shared)])
    assert saved.status_code == 302
    new = image("maroon")
    block_derivatives_of(root, new)
    response = post_form(browser, NEW, FIELDS, [("s.jpg", shared), ("n.jpg", new)])
    assert response.status_code == 503
    stored = file_store()
    assert stored.has_original(hashlib.sha256(shared).hexdigest())
    assert not stored.has_original(hashlib.sha256(new).hexdigest())
    assert count(Asset) == 1


def test_a_save_without_images_works_while_the_store_is_broken(
    app, login, collection, contributor, tmp_path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "STORAGE_ROOT", str(blocker / "storage"))
    response = post_form(login(contributor), NEW, FIELDS, [])
    assert response.status_code == 302
    assert count(Record) == 1


# --- the JSON API ------------------------------------------------------------------------------


@pytest.fixture
def token(contributor) -> str:
    return issue_token(contributor)


def api_upload(client, token: str, record_id: str, files: list[tuple[str, bytes]]):
    data = {"images": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(
        f"/api/records/{record_id}/images",
        data=data,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_api_answers_503_in_both_languages_and_keeps_nothing(
    client, collection, contributor, token, make_record, root
):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)
    data = image("indigo")
    block_derivatives_of(root, data)
    response = api_upload(client, token, record.public_id, [("a.jpg", data)])
    assert response.status_code == 503
    body = response.get_json()
    assert "Nothing was saved: making the thumbnails and tiles failed" in body["error"]
    assert "生成缩略图和切片时出错" in body["message"]
    assert count(Asset) == 0 and files_under(root / "originals") == []


def test_a_full_disk_is_507(client, collection, contributor, token, make_record, monkeypatch):
    record = make_record(collection, contributor, status=RecordStatus.DRAFT)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileStore, "put_original", full)
    response = api_upload(client, token, record.public_id, [("a.jpg", image())])
    assert response.status_code == 507
    assert "the storage is full" in response.get_json()["error"]
    assert count(Asset) == 0


def test_the_reason_is_told_without_the_servers_paths():
    error = StorageUnavailable(
        STORING,
        NotADirectoryError(errno.ENOTDIR, "Not a directory", "/srv/huiku/storage/originals"),
    )
    assert error.status == 503 and error.step == STORING
    assert "/srv" not in str(error.message) and "/srv" not in error.message.zh
    assert "missing or is not a folder" in str(error.message)
    odd = StorageUnavailable(STORING, OSError(errno.EIO, "I/O error"))
    assert "EIO" in str(odd.message) and "EIO" in odd.message.zh


# --- images saved before this fix --------------------------------------------------------------


def test_a_thumbnail_lost_to_a_failed_write_is_made_when_asked_for(
    client, collection, make_record, root
):
    record = make_record(collection, images=1)
    asset = record.assets[0]
    shutil.rmtree(file_store().derivative_dir(asset.sha256))
    response = client.get(f"/assets/{asset.public_id}/thumb-200.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
