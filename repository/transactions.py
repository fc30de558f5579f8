"""The unit of work: services group their writes in one, the outermost one commits.

After a commit, ``committed`` is sent so packages that keep derived data (the search index)
can catch up without the core depending on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from blinker import Namespace
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from repository.extensions import db

_signals = Namespace()
committed = _signals.signal("huiku.committed")

_DEPTH = "huiku_unit_of_work_depth"

#: Set in a session's ``info`` by a transaction that queued index work; the search package's
#: commit hook applies the outbox only then. A rollback takes the queued work, and the mark, away.
INDEX_TASKS_QUEUED = "huiku_index_tasks_queued"


@event.listens_for(Session, "after_rollback")
def _forget_queued_index_work(session: Session) -> None:
    session.info.pop(INDEX_TASKS_QUEUED, None)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run the block in one transaction; nested blocks join the outer one."""
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth
    if depth == 0:
        committed.send(session)


def plan_for_this_batch() -> None:
    """Plan the current transaction's statements for their own parameters (PostgreSQL).

    The driver prepares a statement it has run five times, and PostgreSQL may then keep one
    generic plan for it. A long batch job fills the tables it reads as it goes: a look-up of
    500 local ids planned while the collection was nearly empty stayed a sequential scan as it
    grew (a quarter of a second per batch at 20,000 records). Pages keep the cached plans.
    """
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
