"""One lifecycle step over many records, as a job with a lease and a progress bar.

The selection is either the public ids ticked on a page or the workspace filter ("all
matching"), read again when the job runs. Records go in id order, in batches of
``BATCH_SIZE``, each batch one transaction with the job's progress and lease; every record
goes through the same service a single button uses, so a record the user may not change is
refused (counted, not done) and one whose status does not allow the step is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from repository import permissions
from repository.errors import HuikuError, InvalidTransition, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, JobState, Record, RecordStatus, User
from repository.models.base import utcnow
from repository.models.workflow import BulkAction, BulkActionJob
from repository.services import notifications, records, workspace
from repository.tasks import Lease, LeaseLost, claim
from repository.transactions import unit_of_work

log = logging.getLogger(__name__)
BATCH_SIZE = 250
MAX_IDS = 10_000  # public ids ticked by hand; "all matching" has no limit

_STEPS: dict[BulkAction, Callable[[User, Record, str], Any]] = {
    BulkAction.SUBMIT: records.submit_record,
    BulkAction.PUBLISH: records.publish_record,
    BulkAction.RETURN: records.return_record,
    BulkAction.WITHDRAW: records.withdraw_record,
    BulkAction.DELETE: lambda user, record, _comment: records.delete_record(user, record),
}


class BulkCancelled(Exception):
    pass


def start_bulk_action(
    user: User,
    action: str,
    *,
    comment: str = "",
    ids: Sequence[str] = (),
    filter_args: dict[str, Any] | None = None,
) -> BulkActionJob:
    """A committed, queued job (the caller enqueues its task after this returns)."""
    if action not in BulkAction._value2member_map_:
        raise InvalidTransition(
            Message("there is no bulk action {action}").format(action=action[:30])
        )
    if action == BulkAction.RETURN and not comment.strip():
        raise InvalidTransition(Message("say what should change when returning records"))
    if filter_args is None and not ids:
        raise InvalidTransition(Message("choose the records first"))
    if len(ids) > MAX_IDS:
        raise InvalidTransition(
            Message("at most {n} records can be ticked; choose “all matching” for more").format(
                n=MAX_IDS
            )
        )
    job = BulkActionJob(
        user_id=user.id,
        action=BulkAction(action),
        comment=comment.strip(),
        selection={"filter": filter_args} if filter_args is not None else {"ids": list(ids)},
    )
    job.total_records = (
        db.session.scalar(select(func.count()).select_from(_selected_ids(user, job).subquery()))
        or 0
    )
    db.session.add(job)
    db.session.commit()
    return job


def _selected_ids(user: User, job: BulkActionJob):
    if "ids" in job.selection:
        return select(Record.id).where(Record.public_id.in_(job.selection["ids"]))
    chosen, _, _ = workspace.parse_filter(job.selection["filter"] or {})
    return workspace.selection(user, chosen)


def find_job(user: User, public_id: str) -> BulkActionJob:
    job = db.session.scalar(select(BulkActionJob).where(BulkActionJob.public_id == public_id))
    if job is None or (job.user_id != user.id and not user.is_admin):
        raise NotFound(Message("no bulk action {id}").format(id=public_id))
    return job


def request_cancel(user: User, public_id: str) -> BulkActionJob:
    job = find_job(user, public_id)
    if job.state == JobState.QUEUED:
        job.state = JobState.CANCELLED
        job.finished_at = utcnow()
    elif not job.finished:
        job.cancel_requested = True
    db.session.commit()
    return job


def run_bulk_action(public_id: str) -> BulkActionJob | None:
    """Claim the job and work through its records; a job not queued is left as it is."""
    if not claim(BulkActionJob, public_id):
        return None
    job = db.session.scalar(select(BulkActionJob).where(BulkActionJob.public_id == public_id))
    db.session.refresh(job)
    lease = Lease(job)
    try:
        _work(job, lease)
        _finish(job, JobState.SUCCEEDED)
    except BulkCancelled:
        _finish(job, JobState.CANCELLED)
    except LeaseLost:
        db.session.rollback()
    except Exception as error:
        log.exception("bulk action %s stopped", public_id)
        db.session.rollback()
        job = db.session.scalar(select(BulkActionJob).where(BulkActionJob.public_id == public_id))
        job.error = f"{type(error).__name__}: {str(error)[:300]}"
        _finish(job, JobState.FAILED)
    return job


def _work(job: BulkActionJob, lease: Lease) -> None:
    user = db.session.get(User, job.user_id)
    step = _STEPS[job.action]
    while True:
        batch = list(
            db.session.scalars(
                select(Record)
                .where(Record.id.in_(_selected_ids(user, job)), Record.id > job.cursor)
                .options(selectinload(Record.assets), selectinload(Record.contributors))
                .order_by(Record.id)
                .limit(BATCH_SIZE)
            )
        )
        if not batch:
            return
        # The batch, its progress and the lease renewal commit together, in one flush: the
        # counts kept on every flush and the index rows are then written once per batch.
        with unit_of_work(), db.session.no_autoflush:
            counts = dict(job.counts)
            for record in batch:
                outcome = _one(step, user, record, job)
                counts[outcome] = counts.get(outcome, 0) + 1
                if outcome == "done":
                    _remember_whom_to_tell(counts, job.action, record)
            job.counts = counts
            job.cursor = batch[-1].id
            job.processed_records += len(batch)
            lease.renew(force=True)
        if lease.cancel_requested():
            raise BulkCancelled()


def _one(step, user: User, record: Record, job: BulkActionJob) -> str:
    """Do the step on one record. The services check permission and status before they write
    anything, so a refusal leaves nothing to undo and needs no savepoint of its own."""
    try:
        step(user, record, job.comment)
    except PermissionDenied:
        # The services also refuse a step the status forbids (editing a submitted record);
        # that is a skip for someone who may act on the record, a refusal for anyone else.
        return "skipped" if _has_authority(user, record, job.action) else "refused"
    except (InvalidTransition, HuikuError):
        return "skipped"
    return "done"


def _has_authority(user: User, record: Record, action: BulkAction) -> bool:
    if action in (BulkAction.SUBMIT, BulkAction.DELETE):
        return user.is_active and (
            user.is_admin
            or permissions.is_own_library(user, record)
            or permissions.can_work_for(user, record.library, record.collection)
        )
    return permissions.can_review(user, record.collection)


def _remember_whom_to_tell(counts: dict[str, int], action: BulkAction, record: Record) -> None:
    """Counts kept in the job, so the notifications at the end survive a resumed run."""
    if action is BulkAction.SUBMIT:
        key = f"collection:{record.collection_id}"
    elif action is BulkAction.RETURN and record.created_by_id is not None:
        key = f"author:{record.created_by_id}"
    else:
        return
    counts[key] = counts.get(key, 0) + 1


def _finish(job: BulkActionJob, state: JobState) -> None:
    _tell_reviewers_and_authors(job)
    job.state = state
    job.finished_at = utcnow()
    job.lease_holder = None
    job.lease_expires_at = None
    db.session.commit()


def _tell_reviewers_and_authors(job: BulkActionJob) -> None:
    for key, count in job.counts.items():
        kind, _, ident = key.partition(":")
        if kind == "collection":
            collection = db.session.get(Collection, int(ident))
            if collection is not None:
                notifications.notify_reviewers(
                    collection,
                    "submitted",
                    Message("{n} records of {collection} were submitted for review").format(
                        n=count, collection=collection.title_zh
                    ),
                    f"/workspace/?scope=review&status=submitted&collection={collection.slug}",
                )
        elif kind == "author":
            notifications.notify(
                [int(ident)],
                "returned",
                Message("{n} of your records were returned: {comment}").format(
                    n=count, comment=job.comment[:200]
                ),
                "/workspace/?status=draft",
            )


def outcome_counts(job: BulkActionJob) -> dict[str, int]:
    """done / refused / skipped, for the progress page."""
    return {key: job.counts.get(key, 0) for key in ("done", "refused", "skipped")}


def statuses() -> list[RecordStatus]:
    return list(RecordStatus)
