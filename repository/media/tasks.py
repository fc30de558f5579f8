"""A recording's playable copy, poster and waveform, built by a task after its save commits.

Like images (``repository.images.tasks``): the row's ``derivative_state`` is the truth,
``pending`` until the task built the set, then ``ready``, ``failed`` after ``MAX_ATTEMPTS``
runs that did not finish. Until it is ready the record page and the manifest offer the
original when browsers can play it as it is. A lost task is caught up by the recovery pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select, update

from repository.derivative_state import set_state, stale_pending
from repository.extensions import db
from repository.images import file_store
from repository.media.derivatives import build_media_files
from repository.media.models import Recording
from repository.media.playback import media_source
from repository.models import DerivativeState, Record
from repository.models.base import utcnow
from repository.tasks import on_recovery, pending_job_ids, task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_SECONDS = 900  # a long film takes a while; the recovery pass must not double it
RECOVERY_BATCH = 200


def enqueue_recording_derivatives(records: Iterable[Record]) -> int:
    """After the commit: the task of every pending recording of these records."""
    try:
        ids = sorted(
            recording.public_id
            for record in records
            for recording in record.recordings
            if recording.derivative_state is DerivativeState.PENDING
        )
        if not ids:
            return 0
        _mark_queued(ids)
        for public_id in ids:
            build_recording_derivatives(public_id)
        return len(ids)
    except Exception:  # the save stands; the recovery pass enqueues it later
        db.session.rollback()
        log.exception("could not enqueue the derivatives of recordings")
        return 0


def _mark_queued(ids: list[str]) -> None:
    db.session.execute(
        update(Recording)
        .where(Recording.public_id.in_(ids))
        .values(derivative_queued_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@task()
def build_recording_derivatives(recording_id: str) -> str:
    """Build one recording's derivative set and mark it ready; returns the state it ends in."""
    recording = db.session.scalar(select(Recording).where(Recording.public_id == recording_id))
    if recording is None:
        return "gone"
    source, duration = media_source(recording), recording.duration
    attempts = recording.derivative_attempts
    if recording.derivative_state is not DerivativeState.READY:
        attempts = recording.derivative_attempts = attempts + 1
        db.session.commit()
    try:
        build_media_files(file_store(), source, current_app.config, duration)
    except Exception:
        db.session.rollback()
        give_up = attempts >= MAX_ATTEMPTS
        log.exception(
            "derivatives of recording %s failed (attempt %s%s)",
            recording_id,
            attempts,
            ", given up" if give_up else ", will be retried",
        )
        if give_up:
            _set_state(Recording.public_id == recording_id, DerivativeState.FAILED)
        return (DerivativeState.FAILED if give_up else DerivativeState.PENDING).value
    _set_state(Recording.sha256 == source.sha256, DerivativeState.READY)
    return DerivativeState.READY.value


def _set_state(condition, state: DerivativeState) -> None:
    set_state(Recording, condition, state)


@on_recovery
def catch_up_recordings() -> int:
    """Re-enqueue pending recordings whose task was lost; give up those that died too often."""
    seconds = current_app.config.get("MEDIA_RETRY_SECONDS", RETRY_SECONDS)
    stale = stale_pending(Recording, seconds, RECOVERY_BATCH)
    exhausted = [public_id for public_id, attempts in stale if attempts >= MAX_ATTEMPTS]
    if exhausted:
        _set_state(Recording.public_id.in_(exhausted), DerivativeState.FAILED)
    waiting = pending_job_ids()
    retry = [p for p, attempts in stale if attempts < MAX_ATTEMPTS and p not in waiting]
    if retry:
        log.warning("re-enqueuing the derivatives of %s recordings left pending", len(retry))
        _mark_queued(retry)
        for public_id in retry:
            build_recording_derivatives(public_id)
    return len(retry)
