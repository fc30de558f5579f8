"""Records and their lifecycle: draft → submitted → published (→ withdrawn).

Every change writes a revision, and every change to what the public sees writes an index
task (the search outbox) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select

from repository import permissions
from repository.bulk import insert_rows
from repository.chinese import pinyin_sort_key
from repository.errors import InvalidTransition, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import (
    Collection,
    DuplicateKey,
    HarvestedRecord,
    IndexTask,
    Library,
    Record,
    RecordContributor,
    RecordRevision,
    RecordStatus,
    Tombstone,
    User,
)
from repository.models.base import utcnow
from repository.profiles import MetadataInvalid, Profile
from repository.services import record_counts  # noqa: F401 - keeps the counts in step on each flush
from repository.transactions import INDEX_TASKS_QUEUED, unit_of_work


def get_record(public_id: str) -> Record:
    record = db.session.scalar(select(Record).where(Record.public_id == public_id))
    if record is None:
        raise NotFound(Message("no record {id}").format(id=public_id))
    return record


def find_by_local_id(library_id: int, local_id: str) -> Record | None:
    return db.session.scalar(
        select(Record).where(Record.library_id == library_id, Record.local_id == local_id)
    )


AssetEdit = Callable[[Record], bool]
"""Changes a record's images inside the save's transaction; returns whether anything changed."""


def create_record(
    user: User,
    collection: Collection,
    data: Mapping[str, Any],
    *,
    edit_assets: AssetEdit | None = None,
    library: Library | None = None,
) -> Record:
    """A new draft of the user's library, validated by the collection's profile.

    With ``library`` a partner that the user's library supports in this collection (结对扶持),
    the draft is the partner's and the user's library is credited as a contributor.
    """
    if not permissions.can_contribute(user, collection):
        raise PermissionDenied(Message("you cannot contribute to this collection"))
    owner_id = user.library_id
    if library is not None and library.id != user.library_id:
        if permissions.acting_for(user, library, collection) is None:
            raise NotActingFor(library)
        owner_id = library.id
    metadata = collection.profile.validate(data)
    with unit_of_work():
        _ensure_local_id_free(owner_id, metadata["local_id"])
        record = Record(
            collection=collection,
            library_id=owner_id,
            status=RecordStatus.DRAFT,
            created_by=user,
        )
        apply_metadata(record, metadata, user)
        if owner_id != user.library_id:
            record.contributors.append(
                RecordContributor(library_id=user.library_id, local_id=metadata["local_id"])
            )
        db.session.add(record)
        db.session.flush()
        if edit_assets is not None:
            edit_assets(record)
        write_revision(record, "create", user, before=None, status_before=None)
    return record


class NotActingFor(PermissionDenied):
    """A record for another library without paired support in force there; ``field`` names the
    form field and API key that chose the library."""

    field = "library"

    def __init__(self, library: Library) -> None:
        super().__init__(
            Message(
                "your library has no paired support in force for {code} in this collection"
            ).format(code=library.code)
        )


def update_record(
    user: User,
    record: Record,
    data: Mapping[str, Any],
    *,
    edit_assets: AssetEdit | None = None,
    action: str = "edit",
    comment: str = "",
) -> bool:
    """Save edited metadata (and images); returns False when nothing changed.

    A published record stays public and is re-indexed. In a collection whose edits need review,
    an edit of a published record by someone who does not review it waits as a pending edit
    (``repository.services.review``) and the public keeps seeing the published version.
    """
    _require(permissions.can_edit(user, record), "edit")
    metadata = record.collection.profile.validate(data)
    from repository.services import review  # review builds on this module

    if review.edit_waits_for_review(user, record):
        return review.propose_edit(user, record, metadata, edit_assets=edit_assets)
    with unit_of_work():
        before = dict(record.metadata_)
        metadata_changed = metadata != before
        if metadata_changed:
            if metadata["local_id"] != record.local_id:
                _ensure_local_id_free(record.library_id, metadata["local_id"])
            apply_metadata(record, metadata, user)
        assets_changed = edit_assets(record) if edit_assets is not None else False
        if not (metadata_changed or assets_changed):
            return False
        record.updated_at = utcnow()
        record.updated_by = user
        write_revision(
            record,
            action,
            user,
            before=before,
            status_before=record.status.value,
            comment=comment,
        )
        if record.status is RecordStatus.PUBLISHED:
            queue_index_task(record, "upsert")
    return True


def apply_reviewed_edit(
    record: Record, metadata: Mapping[str, Any], author: User | None, comment: str
) -> RecordRevision:
    """Make an approved edit the published version (inside the reviewer's unit of work): the
    record, its revision by the edit's author and its index task change together."""
    validated = record.collection.profile.validate(metadata)
    before = dict(record.metadata_)
    if validated["local_id"] != record.local_id:
        _ensure_local_id_free(record.library_id, validated["local_id"])
    apply_metadata(record, validated, author)
    revision = write_revision(
        record, "edit", author, before=before, status_before=record.status.value, comment=comment
    )
    if record.status is RecordStatus.PUBLISHED:
        queue_index_task(record, "upsert")
    return revision


def submit_record(user: User, record: Record, comment: str = "") -> Record:
    """Hand a draft to the collection's reviewers, optionally with a note for them."""
    _require(permissions.can_edit(user, record), "submit")
    _require_status(record, {RecordStatus.DRAFT}, "submit")
    return _transition(user, record, RecordStatus.SUBMITTED, "submit", comment=comment.strip())


def publish_record(user: User, record: Record, comment: str = "") -> Record:
    """A reviewer of the collection makes a submitted record public."""
    _require(permissions.can_review(user, record.collection), "publish")
    _require_status(record, {RecordStatus.SUBMITTED}, "publish")
    return _transition(user, record, RecordStatus.PUBLISHED, "publish", comment=comment)


def return_record(user: User, record: Record, comment: str) -> Record:
    """Send a submitted record back to its library as a draft, with what to fix."""
    _require(permissions.can_review(user, record.collection), "return")
    _require_status(record, {RecordStatus.SUBMITTED}, "return")
    if not comment.strip():
        raise InvalidTransition(Message("say what should change when returning a record"))
    return _transition(user, record, RecordStatus.DRAFT, "return", comment=comment.strip())


def withdraw_record(user: User, record: Record, comment: str = "") -> Record:
    """Take a published record out of public view; harvesters are told through a tombstone."""
    _require(permissions.can_review(user, record.collection), "withdraw")
    _require_status(record, {RecordStatus.PUBLISHED}, "withdraw")
    return _transition(user, record, RecordStatus.WITHDRAWN, "withdraw", comment=comment)


def delete_record(user: User, record: Record) -> None:
    _require(permissions.can_delete(user, record), "delete")
    with unit_of_work():
        if record.published_at is not None:
            _tombstone(record, "deleted")
            queue_index_task(record, "delete")
        queue_matched_harvested(record, unmatch=True)
        # The record first: its row lock makes a flagging under way finish before the keys go.
        record_id = record.id
        db.session.delete(record)
        db.session.flush()
        db.session.execute(delete(DuplicateKey).where(DuplicateKey.record_id == record_id))


def write_revision(
    record: Record,
    action: str,
    user: User | None,
    *,
    before: dict[str, Any] | None,
    status_before: str | None,
    comment: str = "",
) -> RecordRevision:
    """Append the next revision of a record (inside the caller's unit of work); it names the
    partner library when its author worked for it under paired support."""
    last = db.session.scalar(
        select(RecordRevision.number)
        .where(RecordRevision.record_id == record.id)
        .order_by(RecordRevision.number.desc())
        .limit(1)
    )
    revision = RecordRevision(
        record_id=record.id,
        number=(last or 0) + 1,
        action=action,
        user=user,
        status_before=status_before,
        status_after=record.status.value,
        metadata_before=before,
        metadata_after=dict(record.metadata_),
        assets_after=[asset.sha256 for asset in record.assets],
        comment=comment,
        acting_for_library_id=_acting_for_id(record, action, user),
    )
    db.session.add(revision)
    return revision


#: Steps a reviewer takes in their own right, never on a partner's behalf.
_REVIEW_ACTIONS = frozenset({"publish", "return", "withdraw", "merge"})


def _acting_for_id(record: Record, action: str, user: User | None) -> int | None:
    """The record's library when ``user``, of another library, worked for it under a grant."""
    if user is None or user.library_id == record.library_id or action in _REVIEW_ACTIONS:
        return None
    partner = record.library or db.session.get(Library, record.library_id)
    if partner is None or permissions.acting_for(user, partner, record.collection) is None:
        return None
    return partner.id


def write_first_revisions(created: Sequence[Record], user: User | None) -> None:
    """Revision 1 ``create`` of records just flushed, as one COPY (an import's batch).

    The same rows ``write_revision`` makes for a record saved through the form.
    """
    now = utcnow()
    insert_rows(
        RecordRevision.__table__,
        [
            {
                "record_id": record.id,
                "number": 1,
                "action": "create",
                "user_id": user.id if user is not None else None,
                "created_at": now,
                "status_before": None,
                "status_after": record.status.value,
                "metadata_before": None,
                "metadata_after": record.metadata_,
                "assets_after": [asset.sha256 for asset in record.assets],
                "comment": "",
            }
            for record in created
        ],
    )


def queue_index_task(record: Record, action: str) -> None:
    db.session.add(IndexTask(record_id=record.id, record_public_id=record.public_id, action=action))
    db.session.info[INDEX_TASKS_QUEUED] = True  # the commit hook then applies the outbox


def queue_matched_harvested(
    record: Record, *, unmatch: bool = False, rematch_to: Record | None = None
) -> None:
    """Index again the harvested records matched to ``record`` as it enters or leaves public
    view, inside the caller's unit of work.

    A matched harvested record is searched through the contributed record while that one is
    public; deleted (``unmatch``: the foreign key empties the match), withdrawn or merged away
    (``rematch_to``: the survivor describes the same thing), it must come back on its own.
    """
    if record.id is None:  # not flushed yet: nothing can be matched to it
        return
    with db.session.no_autoflush:  # a flush per record would slow a batch of publications
        matched = db.session.scalars(
            select(HarvestedRecord).where(HarvestedRecord.matched_record_id == record.id)
        ).all()
    for harvested in matched:
        if unmatch or rematch_to is not None:
            harvested.matched_record_id = rematch_to.id if rematch_to is not None else None
        db.session.add(
            IndexTask(record_id=harvested.id, record_public_id=harvested.public_id, action="upsert")
        )
    if matched:
        db.session.info[INDEX_TASKS_QUEUED] = True


def _transition(
    user: User, record: Record, status: RecordStatus, action: str, comment: str = ""
) -> Record:
    with unit_of_work():
        before_status = record.status
        record.status = status
        record.updated_at = utcnow()
        record.updated_by = user
        if action in ("return", "publish"):
            record.review_comment = comment
        if status is RecordStatus.PUBLISHED:
            record.published_at = record.published_at or utcnow()
            queue_index_task(record, "upsert")
        if before_status is RecordStatus.PUBLISHED:
            _tombstone(record, "withdrawn")
            queue_index_task(record, "delete")
        if (before_status is RecordStatus.PUBLISHED) != (status is RecordStatus.PUBLISHED):
            queue_matched_harvested(record)
        write_revision(
            record,
            action,
            user,
            before=dict(record.metadata_),
            status_before=before_status.value,
            comment=comment,
        )
    return record


def apply_metadata(record: Record, metadata: dict[str, Any], user: User | None) -> None:
    """Set validated metadata and the columns derived from it (title, pinyin key, years)."""
    for column, value in metadata_columns(record.collection.profile, metadata).items():
        setattr(record, column, value)
    record.updated_by = user


def metadata_columns(profile: Profile, metadata: dict[str, Any]) -> dict[str, Any]:
    """What saving validated metadata sets: the metadata, the columns derived from it and the
    time of the change (a batch import gives these to its new drafts as they are made)."""
    return {"metadata_": metadata, **derived_columns(profile, metadata), "updated_at": utcnow()}


#: The record columns ``derived_columns`` computes.
DERIVED_COLUMNS = ("local_id", "title", "title_sort", "year_start", "year_end")


def derived_columns(profile: Profile, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The record columns computed from validated metadata, for listing, sorting and dating."""
    title = profile.title_of(metadata)
    years = profile.year_range_of(metadata)
    return {
        "local_id": metadata["local_id"],
        "title": title,
        "title_sort": pinyin_sort_key(title),
        "year_start": years.start if years else None,
        "year_end": years.end if years else None,
    }


def _ensure_local_id_free(library_id: int, local_id: str) -> None:
    """A clash is reported on the ``local_id`` field, so the form keeps what was typed."""
    if find_by_local_id(library_id, local_id) is not None:
        raise MetadataInvalid(
            {
                "local_id": [
                    Message(
                        "Local identifier (local_id): your library already has a record with {id}"
                    ).format(id=local_id)
                ]
            }
        )


def _tombstone(record: Record, reason: str) -> None:
    db.session.add(Tombstone.for_record(record, reason))


# action → (refused for want of rights, refused in the record's {status}), for messages.
_ACTIONS = {
    "edit": (
        Message("you may not edit this record"),
        Message("a record that is {status} cannot be edited"),
    ),
    "submit": (
        Message("you may not submit this record"),
        Message("a record that is {status} cannot be submitted"),
    ),
    "publish": (
        Message("you may not publish this record"),
        Message("a record that is {status} cannot be published"),
    ),
    "return": (
        Message("you may not return this record"),
        Message("a record that is {status} cannot be returned"),
    ),
    "withdraw": (
        Message("you may not withdraw this record"),
        Message("a record that is {status} cannot be withdrawn"),
    ),
    "delete": (
        Message("you may not delete this record"),
        Message("a record that is {status} cannot be deleted"),
    ),
}


def _require(allowed: bool, action: str) -> None:
    if not allowed:
        raise PermissionDenied(_ACTIONS[action][0])


def _require_status(record: Record, allowed: set[RecordStatus], action: str) -> None:
    if record.status not in allowed:
        raise InvalidTransition(_ACTIONS[action][1].format(status=record.status.value))
