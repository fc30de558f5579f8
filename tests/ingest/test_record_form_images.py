"""An image saved through the form: its thumbnail at once, its pyramid and tiles by a task."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from repository.extensions import db
from repository.images import file_store
from repository.images.derivatives import has_pyramid, load_derivative_set, thumbnail_name
from repository.images.tiles import load_tile_set
from repository.models import Asset, DerivativeState, Record
from tests.ingest.image_factory import quadrants
from tests.ingest.test_record_form import FIELDS, post_new
from tests.repository.images.queue import task_queue  # noqa: F401 (the queue fixture)


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


def large_jpeg() -> bytes:
    picture = io.BytesIO()
    quadrants((2600, 1800)).save(picture, "JPEG", quality=90)
    return picture.getvalue()


def test_a_saved_image_has_its_thumbnail_at_once_and_its_tiles_after_the_task_ran(
    login, collection, contributor, queue
):
    client = login(contributor)

    response = post_new(client, FIELDS, [("large.jpg", large_jpeg())])

    assert response.status_code == 302
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    [asset] = record.assets
    store = file_store()
    assert asset.derivative_state is DerivativeState.PENDING
    assert (store.derivative_dir(asset.sha256) / thumbnail_name(200)).is_file()
    assert client.get(f"/assets/{asset.public_id}/thumb-200.jpg").status_code == 200
    assert not has_pyramid(load_derivative_set(store, asset.sha256))
    assert load_tile_set(store, asset.sha256) is None

    assert queue.run() >= 1

    db.session.expire_all()
    asset = db.session.get(Asset, asset.id)
    assert asset.derivative_state is DerivativeState.READY
    assert has_pyramid(load_derivative_set(store, asset.sha256))
    assert load_tile_set(store, asset.sha256).level(1) is not None
