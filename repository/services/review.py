"""Review of every change to a published record: pending edits, side-by-side history, restore.

In a collection whose ``edits_need_review`` is on, an edit of a published record by someone who
does not review the collection is kept in a ``PendingEdit`` row; the record row, which search,
IIIF, OAI-PMH and exports read, keeps the published version (and its ``updated_at``, the OAI
datestamp and manifest fingerprint) until a reviewer approves. Approval applies the edit
through ``records.apply_reviewed_edit``, so the revision, the outbox row and the counts come
with it as with any save. Deciding is one guarded UPDATE, so of two reviewers only one wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from repository import permissions
from repository.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import Record, RecordRevision, RecordStatus, User
from repository.models.base import utcnow
from repository.models.workflow import PendingEdit, PendingEditState
from repository.profiles import Profile
from repository.services import notifications, records
from repository.transactions import unit_of_work


def edit_waits_for_review(user: User, record: Record) -> bool:
    """A published record's edit waits unless its collection says not, or the editor reviews it."""
    return (
        record.status is RecordStatus.PUBLISHED
        and record.collection.edits_need_review
        and not permissions.can_review(user, record.collection)
    )


def pending_edit_of(record: Record) -> PendingEdit | None:
    return db.session.scalar(
        select(PendingEdit).where(
            PendingEdit.record_id == record.id, PendingEdit.state == PendingEditState.PENDING
        )
    )


def propose_edit(
    user: User,
    record: Record,
    metadata: dict[str, Any],
    *,
    edit_assets: records.AssetEdit | None = None,
) -> bool:
    """Keep the edit for a reviewer; a second edit before the decision replaces the first.

    Image changes cannot wait yet (their files would be public at once), so an edit that
    changes images is refused as a whole, with a message saying how to proceed.
    """
    with unit_of_work():
        locked = db.session.scalar(select(Record).where(Record.id == record.id).with_for_update())
        if locked is None:
            raise NotFound(Message("no record {id}").format(id=record.public_id))
        if edit_assets is not None:
            savepoint = db.session.begin_nested()
            images_changed = edit_assets(record)
            savepoint.rollback()
            if images_changed:
                raise InvalidTransition(
                    Message(
                        "images of a published record in this collection change only through "
                        "a reviewer; save the text first, then ask a reviewer to change the images"
                    )
                )
        if metadata["local_id"] != record.local_id:
            records._ensure_local_id_free(record.library_id, metadata["local_id"])
        pending = pending_edit_of(record)
        if metadata == record.metadata_ and pending is None:
            return False
        now = utcnow()
        if pending is None:
            pending = PendingEdit(
                record_id=record.id, metadata_=metadata, base_metadata=dict(record.metadata_)
            )
            db.session.add(pending)
        pending.metadata_ = metadata
        pending.proposed_by_id = user.id
        pending.updated_at = now
        db.session.flush()
        notifications.notify_reviewers(
            record.collection,
            "edit",
            Message("An edit of the published record “{title}” waits for review").format(
                title=record.title[:200]
            ),
            f"/workspace/edits/{pending.id}",
        )
    return True


def get_pending_edit(user: User, edit_id: int) -> PendingEdit:
    """The edit, if this user may see it (its library or the collection's reviewers)."""
    edit = db.session.get(PendingEdit, edit_id)
    if edit is None or not permissions.can_view_private(user, edit.record):
        raise NotFound(Message("no edit {id}").format(id=edit_id))
    return edit


def approve_edit(user: User, edit_id: int, comment: str = "") -> Record:
    """Publish the edit: the record takes its metadata, with a revision by the edit's author."""
    with unit_of_work():
        edit = _decide(user, edit_id, PendingEditState.APPROVED, comment)
        record = edit.record
        note = Message("approved by {name}").format(name=user.name or user.email)
        records.apply_reviewed_edit(
            record,
            edit.metadata_,
            edit.proposed_by,
            "\n".join(filter(None, [f"{note} / {note.zh}", comment.strip()])),
        )
        notifications.notify(
            [edit.proposed_by_id],
            "edit",
            Message("Your edit of “{title}” was approved").format(title=record.title[:200]),
            f"/records/{record.public_id}",
        )
    return record


def reject_edit(user: User, edit_id: int, comment: str) -> PendingEdit:
    """Turn the edit down with what should change; the published version stays as it is."""
    if not comment.strip():
        raise InvalidTransition(Message("say what should change when returning an edit"))
    with unit_of_work():
        edit = _decide(user, edit_id, PendingEditState.REJECTED, comment.strip())
        notifications.notify(
            [edit.proposed_by_id],
            "returned",
            Message("Your edit of “{title}” was returned: {comment}").format(
                title=edit.record.title[:200], comment=comment.strip()[:200]
            ),
            f"/workspace/edits/{edit.id}",
        )
    return edit


def _decide(user: User, edit_id: int, state: PendingEditState, comment: str) -> PendingEdit:
    edit = db.session.get(PendingEdit, edit_id)
    if edit is None:
        raise NotFound(Message("no edit {id}").format(id=edit_id))
    if not permissions.can_review(user, edit.record.collection):
        raise PermissionDenied(Message("only reviewers of this collection decide on edits"))
    result = db.session.execute(
        update(PendingEdit)
        .where(PendingEdit.id == edit_id, PendingEdit.state == PendingEditState.PENDING)
        .values(state=state, decided_by_id=user.id, decided_at=utcnow(), comment=comment)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(Message("another reviewer already decided on this edit"))
    db.session.refresh(edit)
    return edit


def pending_count(user: User) -> int:
    """Pending edits in the collections this user reviews."""
    query = select(func.count(PendingEdit.id)).join(Record, Record.id == PendingEdit.record_id)
    query = query.where(PendingEdit.state == PendingEditState.PENDING)
    if not user.is_admin:
        reviewed = [collection.id for collection in user.reviewed_collections]
        query = query.where(Record.collection_id.in_(reviewed))
    return db.session.scalar(query) or 0


def pending_edits(user: User, limit: int = 50) -> list[PendingEdit]:
    query = (
        select(PendingEdit)
        .join(Record, Record.id == PendingEdit.record_id)
        .where(PendingEdit.state == PendingEditState.PENDING)
    )
    if not user.is_admin:
        reviewed = [collection.id for collection in user.reviewed_collections]
        query = query.where(Record.collection_id.in_(reviewed))
    return list(db.session.scalars(query.order_by(PendingEdit.updated_at).limit(limit)))


# --- side by side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    before: list[str]
    after: list[str]


def changes(
    profile: Profile, before: Mapping[str, Any] | None, after: Mapping[str, Any], locale: str
) -> list[FieldChange]:
    """Each field whose value differs, with the old and the new values as readers see them."""
    before = before or {}
    rows = []
    for field in profile.metadata_fields:
        old, new = before.get(field.key), after.get(field.key)
        if old == new:
            continue
        rows.append(
            FieldChange(
                field.key,
                field.label(locale),
                _shown(field, old, locale),
                _shown(field, new, locale),
            )
        )
    return rows


def _shown(field, value: Any, locale: str) -> list[str]:
    if value in (None, "", []):
        return []
    values = value if isinstance(value, list) else [value]
    return [field.display_value(str(v), locale) for v in values]


def restore_revision(user: User, record: Record, number: int) -> bool:
    """Bring back the metadata a revision left, as a new revision (or a pending edit, when the
    record's edits need review); a library restores only its own records."""
    if not permissions.can_edit(user, record):
        raise PermissionDenied(Message("you may not restore this record's history"))
    revision = db.session.scalar(
        select(RecordRevision).where(
            RecordRevision.record_id == record.id, RecordRevision.number == number
        )
    )
    if revision is None:
        raise NotFound(
            Message("record {id} has no revision {n}").format(id=record.public_id, n=number)
        )
    return records.update_record(
        user,
        record,
        revision.metadata_after,
        action="restore",
        comment=f"#{number}",
    )


# --- single steps with their notifications ---------------------------------------------------

_SINGLE_STEPS = {
    "submit": records.submit_record,
    "publish": records.publish_record,
    "return": records.return_record,
    "withdraw": records.withdraw_record,
}


def take_step(user: User, record: Record, step: str, comment: str = "") -> Record:
    """One lifecycle step from a record's page; reviewers hear of submissions, authors of
    returns, in the same transaction."""
    with unit_of_work():
        _SINGLE_STEPS[step](user, record, comment)
        if step == "submit":
            notifications.notify_reviewers(
                record.collection,
                "submitted",
                Message("“{title}” was submitted for review").format(title=record.title[:200]),
                f"/records/{record.public_id}",
            )
        elif step == "return":
            notifications.notify(
                [record.created_by_id],
                "returned",
                Message("“{title}” was returned: {comment}").format(
                    title=record.title[:200], comment=comment.strip()[:200]
                ),
                f"/records/{record.public_id}",
            )
    return record
