"""An asset's pyramid and IIIF tiles, built by a task on the queue after its save commits.

A save verifies the image, stores the original and makes its thumbnails in the request, so the
record's page shows it at once; everything else is ``build_asset_derivatives``, one task per
asset, enqueued after the commit (``enqueue_derivatives``). An import builds them itself while
it checks each row (``repository.images.accepting``), so its assets are written ready. The
asset's ``derivative_state`` is the truth: ``pending`` until the task has built the pyramid and
tiles, then ``ready``; ``failed`` after ``MAX_ATTEMPTS`` runs that did not finish. Until then
IIIF requests render from the original or whatever levels exist, so a reader sees the image
either way.

The task is idempotent (files already built are kept) and safe to run twice at once (sets are
swapped in whole; tiles are cut under a lock). A task lost with its worker or its queue is
caught up by the recovery pass: pending assets whose task was enqueued more than
``DERIVATIVES_RETRY_SECONDS`` ago (300) are enqueued again, unless a task for them still waits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select, update

from repository.derivative_state import set_state, stale_pending
from repository.extensions import db
from repository.images import file_store
from repository.images.derivatives import TILE_SIZE, build_derivatives
from repository.images.pixels import DisplayedLevels
from repository.images.storage import FileStore
from repository.images.tiles import ensure_tile_set
from repository.images.verify import open_image
from repository.models import Asset, DerivativeState
from repository.models.base import utcnow
from repository.tasks import on_recovery, pending_job_ids, task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_SECONDS = 300
RECOVERY_BATCH = 500


def build_image_files(store: FileStore, sha256: str) -> None:
    """Thumbnails, pyramid and IIIF tiles of a stored original; what exists is kept.

    Both are cut from one decode of the original (made only if something is missing): for a
    camera photograph the decode costs about as much as everything written from it.
    """
    original = store.original_path(sha256)
    with open_image(original) as image:  # the header only
        tiled = max(image.size) > TILE_SIZE  # the full resolution is cut into tiles
    pixels = DisplayedLevels(original, full_size=tiled)
    ensure_tile_set(store, build_derivatives(store, sha256, source=pixels.at), pixels.at)
    store.release_original(sha256)


def enqueue_derivatives(assets: Iterable[Asset]) -> int:
    """Enqueue the task of every pending asset; call after the commit that added them."""
    ids = sorted(
        {asset.public_id for asset in assets if asset.derivative_state is DerivativeState.PENDING}
    )
    if not ids:
        return 0
    db.session.execute(
        update(Asset)
        .where(Asset.public_id.in_(ids))
        .values(derivative_queued_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    for public_id in ids:
        build_asset_derivatives(public_id)
    return len(ids)


@task()
def build_asset_derivatives(asset_id: str) -> str:
    """Build one asset's pyramid and tiles and mark it ready; returns the state it ends in."""
    asset = db.session.scalar(select(Asset).where(Asset.public_id == asset_id))
    if asset is None:  # the image was removed meanwhile
        return "gone"
    sha256, attempts = asset.sha256, asset.derivative_attempts
    if asset.derivative_state is not DerivativeState.READY:
        attempts = asset.derivative_attempts = attempts + 1  # a run that kills its worker counts
        db.session.commit()
    try:
        build_image_files(file_store(), sha256)
    except Exception:
        db.session.rollback()
        give_up = attempts >= MAX_ATTEMPTS
        log.exception(
            "derivatives of asset %s failed (attempt %s%s)",
            asset_id,
            attempts,
            ", given up" if give_up else ", will be retried",
        )
        if give_up:
            _set_state(Asset.public_id == asset_id, DerivativeState.FAILED)
        return (DerivativeState.FAILED if give_up else DerivativeState.PENDING).value
    # The same bytes in another record share the files, so their assets are ready too.
    _set_state(Asset.sha256 == sha256, DerivativeState.READY)
    return DerivativeState.READY.value


def _set_state(condition, state: DerivativeState) -> None:
    set_state(Asset, condition, state)


@on_recovery
def catch_up_derivatives() -> int:
    """Re-enqueue pending assets whose task was lost; give up those that died too often."""
    seconds = current_app.config.get("DERIVATIVES_RETRY_SECONDS", RETRY_SECONDS)
    stale = stale_pending(Asset, seconds, RECOVERY_BATCH)
    if not stale:
        return 0
    exhausted = [public_id for public_id, attempts in stale if attempts >= MAX_ATTEMPTS]
    if exhausted:
        log.error("derivatives of %s assets given up after their tasks died", len(exhausted))
        _set_state(Asset.public_id.in_(exhausted), DerivativeState.FAILED)
    waiting = pending_job_ids()
    retry = [
        public_id
        for public_id, attempts in stale
        if attempts < MAX_ATTEMPTS and public_id not in waiting
    ]
    still_queued = [public_id for public_id, _ in stale if public_id in waiting]
    if still_queued:  # a long queue: look again after another interval, not every pass
        db.session.execute(
            update(Asset)
            .where(Asset.public_id.in_(still_queued))
            .values(derivative_queued_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    if retry:
        log.warning("re-enqueuing the derivatives of %s assets left pending", len(retry))
        enqueue_derivatives(db.session.scalars(select(Asset).where(Asset.public_id.in_(retry))))
    return len(retry)
