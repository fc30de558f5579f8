"""An image's pyramid and IIIF tiles are a task after its save; recovery catches up lost ones."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import update

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.extensions import db
from repository.images import file_store
from repository.images.derivatives import has_pyramid, load_derivative_set
from repository.images.pixels import load_jpeg
from repository.images.storage import FileStore
from repository.images.tasks import MAX_ATTEMPTS, build_asset_derivatives, build_image_files
from repository.images.tiles import load_tile_set
from repository.models import Asset, DerivativeState
from repository.models.base import utcnow
from repository.services import records
from repository.tasks import recover_jobs
from tests.factories import SAMPLE_METADATA
from tests.ingest.image_factory import BLUE, GREEN, RED, YELLOW, quadrants
from tests.repository.images.queue import Queue, task_queue  # noqa: F401 (the queue fixture)

LARGE = (2600, 1800)  # longer side past 2048: its full resolution is cut into tiles
BASE = "/iiif/image/3"


@pytest.fixture
def save_image(make_collection, make_user):
    """Save a record with one large image and publish it; the asset comes back."""

    def save(local_id: str = "TASK-1") -> Asset:
        picture = io.BytesIO()
        quadrants(LARGE).save(picture, "JPEG", quality=95)
        picture.seek(0)
        contributor = make_user("contributor")
        data = {**SAMPLE_METADATA["natural_history"], "local_id": local_id}
        record = save_new_record(
            contributor, make_collection(), data, [ImageUpload(picture, "large.jpg")]
        )
        records.submit_record(contributor, record)
        records.publish_record(make_user("admin", library=contributor.library), record)
        return record.assets[0]

    return save


def derivative_tasks(queue: Queue) -> list[tuple]:
    return [
        args
        for name, args in zip(queue.names(), queue.args(), strict=True)
        if name == "build_asset_derivatives"
    ]


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    """The same colour, give or take JPEG's rounding."""
    return all(abs(a - b) <= 8 for a, b in zip(pixel[:3], colour, strict=True))


def refreshed(asset: Asset) -> Asset:
    db.session.expire_all()
    return db.session.get(Asset, asset.id)


def age_queued(asset: Asset, minutes: int = 10) -> None:
    db.session.execute(
        update(Asset)
        .where(Asset.id == asset.id)
        .values(derivative_queued_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.commit()


def test_a_saved_image_waits_pending_with_one_task_and_is_ready_once_it_ran(queue, save_image):
    asset = save_image()

    assert asset.derivative_state is DerivativeState.PENDING
    assert derivative_tasks(queue) == [(asset.public_id,)]
    assert not has_pyramid(load_derivative_set(file_store(), asset.sha256))
    assert load_tile_set(file_store(), asset.sha256) is None

    queue.run()

    asset = refreshed(asset)
    assert asset.derivative_state is DerivativeState.READY
    assert has_pyramid(load_derivative_set(file_store(), asset.sha256))
    assert load_tile_set(file_store(), asset.sha256).level(1) is not None


def test_iiif_answers_from_the_original_while_the_task_waits(queue, save_image, client, app: Flask):
    asset = save_image()
    info_before = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()
    tile = client.get(f"{BASE}/{asset.public_id}/0,0,512,512/max/0/default.png")

    assert tile.status_code == 200
    assert near(Image.open(io.BytesIO(tile.data)).getpixel((10, 10)), RED)
    queue.run()
    info_after = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()
    assert info_after == info_before  # viewers that kept the first one ask for the same tiles
    # The levels and the thumbnails, which the save made before the task ran.
    assert [s["width"] for s in info_after["sizes"]] == [200, 325, 600, 650, 1300, 2600]
    corner = client.get(f"{BASE}/{asset.public_id}/2088,1288,512,512/max/0/default.png")
    assert near(Image.open(io.BytesIO(corner.data)).getpixel((500, 500)), YELLOW)


def test_running_the_task_twice_changes_nothing(queue, save_image):
    asset = save_image()
    queue.run()
    tiles = load_tile_set(file_store(), asset.sha256)
    modified = (tiles.levels[0].directory / "0-0.jpg").stat().st_mtime_ns

    assert build_asset_derivatives.call_local(asset.public_id) == "ready"

    asset = refreshed(asset)
    assert asset.derivative_state is DerivativeState.READY and asset.derivative_attempts == 1
    assert (tiles.levels[0].directory / "0-0.jpg").stat().st_mtime_ns == modified


def test_an_asset_whose_task_was_lost_is_picked_up_by_the_recovery_pass(queue, save_image):
    asset = save_image()
    queue.lose()  # the worker died with it, or the queue went

    recover_jobs.call_local()
    assert derivative_tasks(queue) == []  # enqueued just now: it may still be on its way
    age_queued(asset)
    recover_jobs.call_local()
    assert derivative_tasks(queue) == [(asset.public_id,)]
    queue.run()

    assert refreshed(asset).derivative_state is DerivativeState.READY
    assert load_tile_set(file_store(), asset.sha256) is not None


def test_recovery_does_not_enqueue_an_asset_whose_task_still_waits(queue, save_image):
    asset = save_image()
    age_queued(asset)

    recover_jobs.call_local()

    assert derivative_tasks(queue) == [(asset.public_id,)]


def test_an_image_whose_task_keeps_dying_is_given_up_as_failed(queue, save_image, client):
    asset = save_image()
    queue.lose()
    db.session.execute(
        update(Asset).where(Asset.id == asset.id).values(derivative_attempts=MAX_ATTEMPTS)
    )
    age_queued(asset)

    recover_jobs.call_local()

    assert refreshed(asset).derivative_state is DerivativeState.FAILED
    assert derivative_tasks(queue) == []
    tile = client.get(f"{BASE}/{asset.public_id}/full/400,/0/default.jpg")
    assert tile.status_code == 200  # readers still see it, rendered from the original


def test_a_task_that_cannot_write_leaves_the_asset_pending_for_a_retry(
    queue, save_image, monkeypatch
):
    asset = save_image()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("repository.images.tasks.ensure_tile_set", disk_full)
    assert build_asset_derivatives.call_local(asset.public_id) == "pending"
    monkeypatch.undo()

    asset = refreshed(asset)
    assert asset.derivative_state is DerivativeState.PENDING and asset.derivative_attempts == 1


def test_photographs_built_at_once_by_two_threads_each_get_their_own_pyramid(tmp_path):
    """What ``huiku worker --threads`` does: two builds at once in one process, sharing the
    pixel memory Pillow keeps between builds, never mixing their pictures."""
    store = FileStore(tmp_path / "store")
    orders = [(RED, GREEN, BLUE, YELLOW), (YELLOW, BLUE, GREEN, RED)] * 2
    stored = []
    for number, colours in enumerate(orders):
        path = tmp_path / f"photo-{number}.jpg"
        picture = quadrants(LARGE, colours)
        picture.save(path, "JPEG", quality=95, comment=f"photo {number}".encode())
        stored.append(store.put_original(path))

    with ThreadPoolExecutor(2) as threads:
        list(threads.map(lambda original: build_image_files(store, original.sha256), stored))

    for original, colours in zip(stored, orders, strict=True):
        derivatives = load_derivative_set(store, original.sha256)
        assert has_pyramid(derivatives)
        tiles = load_tile_set(store, original.sha256)
        assert {level.scale_factor for level in tiles.levels} == {1, 2, 4}
        for level in tiles.levels:
            first = load_jpeg(level.tile_path(0, 0))
            last = load_jpeg(level.tile_path(level.columns - 1, level.rows - 1))
            assert near(first.getpixel((0, 0)), colours[0])
            assert near(last.getpixel((last.width - 1, last.height - 1)), colours[3])
        with Image.open(derivatives.levels[-1].path) as smallest:
            assert near(smallest.getpixel((0, 0)), colours[0])
