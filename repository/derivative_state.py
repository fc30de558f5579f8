"""The ``derivative_state`` bookkeeping that images and recordings share.

Both keep files built by a task after the save (pyramids and tiles; playable copies, posters
and waveforms) and a row column saying whether they exist yet. The rows differ; the state
changes and the search for tasks that were lost do not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update

from repository.extensions import db
from repository.models import DerivativeState
from repository.models.base import utcnow


def set_state(model: Any, condition: ColumnElement[bool], state: DerivativeState) -> None:
    """Move the matching rows to ``state`` in one statement and commit."""
    db.session.execute(
        update(model)
        .where(condition, model.derivative_state != state)
        .values(derivative_state=state)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire_all()


def stale_pending(model: Any, seconds: float, limit: int) -> list[tuple[str, int]]:
    """(public id, attempts) of pending rows whose task was enqueued over ``seconds`` ago,
    or never and the row is that old: their task may have been lost."""
    cutoff = utcnow() - timedelta(seconds=seconds)
    rows = db.session.execute(
        select(model.public_id, model.derivative_attempts)
        .where(
            model.derivative_state == DerivativeState.PENDING,
            or_(
                model.derivative_queued_at < cutoff,
                model.derivative_queued_at.is_(None) & (model.created_at < cutoff),
            ),
        )
        .order_by(model.id)
        .limit(limit)
    ).all()
    return [(public_id, attempts) for public_id, attempts in rows]
