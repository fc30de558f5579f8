"""A reviewer's decision on a pair: merge the two records into one, or keep both.

A merge keeps one record (the survivor) and credits the other's library on it, appends the
other's images that the survivor does not already have, and withdraws the other record with a
``merged`` tombstone. Everything happens in one transaction with both records locked, and the pair
is claimed with a conditional update, so two reviewers deciding at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from ingest.duplicates.flagging import REVIEWABLE_STATUSES, flag_possible_duplicates
from ingest.duplicates.keys import match_keys, pair_signature
from repository import permissions
from repository.errors import Conflict, HuikuError, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import (
    DuplicateCandidate,
    DuplicateState,
    Record,
    RecordContributor,
    RecordStatus,
    Tombstone,
    User,
)
from repository.models.base import utcnow
from repository.services.records import (
    apply_metadata,
    queue_index_task,
    queue_matched_harvested,
    write_revision,
)
from repository.transactions import unit_of_work

MAX_REDIRECT_HOPS = 10


class NotOneOfThePair(HuikuError):
    status = 400


def get_candidate(candidate_id: int, *, for_update: bool = False) -> DuplicateCandidate:
    query = select(DuplicateCandidate).where(DuplicateCandidate.id == candidate_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    candidate = db.session.scalar(query)
    if candidate is None:
        raise NotFound(
            Message(
                "no pair of possible duplicates {id}; one of its records may have been deleted"
            ).format(id=candidate_id)
        )
    return candidate


def require_reviewer(user: User, candidate: DuplicateCandidate) -> None:
    """Only the collection's reviewers (and admins) decide; others learn nothing of the pair."""
    if not permissions.can_review(user, candidate.collection):
        raise PermissionDenied(
            Message("only reviewers of this collection decide on possible duplicates")
        )


def merge_pair(
    user: User,
    candidate_id: int,
    survivor_public_id: str,
    comment: str = "",
    choices: Mapping[str, str] | None = None,
) -> Record:
    """Merge the pair into the record named ``survivor_public_id``; returns the survivor.

    ``choices`` maps a field's key to the public id of the record whose value survives; a field
    not named keeps the survivor's value. The values not kept stay in the history: in the merged
    record's own revisions, and listed in the survivor's merge revision.
    """
    with unit_of_work():
        candidate = get_candidate(candidate_id, for_update=True)
        require_reviewer(user, candidate)
        low, high = _locked_records(candidate)
        _require_undecided(candidate, low, high)
        if survivor_public_id == low.public_id:
            survivor, merged = low, high
        elif survivor_public_id == high.public_id:
            survivor, merged = high, low
        else:
            raise NotOneOfThePair(Message("choose which of the two records remains"))
        _claim(
            candidate,
            user,
            state=DuplicateState.MERGED,
            survivor_id=survivor.id,
            merged_public_id=merged.public_id,
        )
        taken = _values_taken(survivor, merged, low, high, choices or {})
        _merge(user, survivor, merged, comment.strip(), taken)
    # Other pairs of the record merged away are now refused as stale; the survivor's own are
    # found afresh.
    flag_possible_duplicates(survivor)
    return survivor


def keep_both(user: User, candidate_id: int) -> DuplicateCandidate:
    """Decide that the two records are different things; they are not paired again unless one of
    them changes what it is matched on (names, scientific name, place)."""
    with unit_of_work():
        candidate = get_candidate(candidate_id, for_update=True)
        require_reviewer(user, candidate)
        low, high = _locked_records(candidate)
        _require_undecided(candidate, low, high)
        profile = candidate.collection.profile
        signature = pair_signature(
            match_keys(profile, low.metadata_), match_keys(profile, high.metadata_)
        )
        _claim(candidate, user, state=DuplicateState.KEPT_BOTH, signature=signature)
    return candidate


def merged_into(public_id: str) -> str | None:
    """The public id of the record that a merged-away record now lives in (following chains)."""
    target = None
    current = public_id
    for _ in range(MAX_REDIRECT_HOPS):
        survivor = db.session.scalar(
            select(Record.public_id)
            .join(DuplicateCandidate, DuplicateCandidate.survivor_id == Record.id)
            .where(
                DuplicateCandidate.merged_public_id == current,
                DuplicateCandidate.state == DuplicateState.MERGED,
            )
            .limit(1)
        )
        if survivor is None:
            break
        target = current = survivor
    return target


def _locked_records(candidate: DuplicateCandidate) -> tuple[Record, Record]:
    """Both records, locked in id order (so two merges sharing a record wait for each other)."""
    found = {
        record.id: record
        for record in db.session.scalars(
            select(Record)
            .where(Record.id.in_([candidate.record_low_id, candidate.record_high_id]))
            .order_by(Record.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    low, high = found.get(candidate.record_low_id), found.get(candidate.record_high_id)
    if low is None or high is None:
        raise Conflict(Message("one of the two records no longer exists; nothing to decide"))
    return low, high


def _require_undecided(candidate: DuplicateCandidate, low: Record, high: Record) -> None:
    if candidate.state is DuplicateState.MERGED:
        raise Conflict(Message("these records were already merged"))
    if candidate.state is DuplicateState.KEPT_BOTH:
        raise Conflict(Message("a reviewer already decided to keep both records"))
    for record in (low, high):
        if record.status is RecordStatus.WITHDRAWN:
            raise Conflict(
                Message(
                    "record {id} was withdrawn or merged into another record since the pair "
                    "was flagged"
                ).format(id=record.public_id)
            )
        if record.status not in REVIEWABLE_STATUSES:
            raise Conflict(
                Message("record {id} is a draft again; decide once its library submits it").format(
                    id=record.public_id
                )
            )


def _claim(candidate: DuplicateCandidate, user: User, **values) -> None:
    """Record the decision only if nobody decided first."""
    now = utcnow()
    result = db.session.execute(
        update(DuplicateCandidate)
        .where(
            DuplicateCandidate.id == candidate.id,
            DuplicateCandidate.state == DuplicateState.OPEN,
        )
        .values(decided_at=now, decided_by_id=user.id, updated_at=now, **values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise Conflict(Message("another reviewer decided on this pair a moment ago"))


def _values_taken(
    survivor: Record, merged: Record, low: Record, high: Record, choices: Mapping[str, str]
) -> dict[str, Any]:
    """The merged record's values the reviewer chose, by field key (unknown keys are ignored;
    the local identifier always stays the survivor's, it is its library's own)."""
    keys = {field.key for field in survivor.collection.profile.metadata_fields} - {"local_id"}
    taken: dict[str, Any] = {}
    for key, chosen in choices.items():
        if key not in keys:
            continue
        if chosen not in (low.public_id, high.public_id):
            raise NotOneOfThePair(
                Message("for {field}, choose the value of one of the two records").format(
                    field=survivor.collection.profile.field(key).label_en
                )
            )
        if chosen == merged.public_id and merged.metadata_.get(key) != survivor.metadata_.get(key):
            taken[key] = merged.metadata_.get(key)
    return taken


def _not_kept(survivor: Record, merged: Record, taken: dict[str, Any]) -> str:
    """The other library's differing values that did not survive, for the merge revision."""
    lines = []
    for field in survivor.collection.profile.metadata_fields:
        key = field.key
        if key == "local_id" or key in taken:
            continue
        value = merged.metadata_.get(key)
        if value not in (None, "", []) and value != survivor.metadata_.get(key):
            shown = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"{field.label_zh} {field.label_en}: {shown}")
    if not lines:
        return ""
    return f"{merged.library.code} ({merged.public_id}):\n" + "\n".join(lines)


def _merge(
    user: User, survivor: Record, merged: Record, comment: str, taken: dict[str, Any]
) -> None:
    now = utcnow()
    survivor_before, merged_before = survivor.status, merged.status
    metadata_before = dict(survivor.metadata_)
    not_kept = _not_kept(survivor, merged, taken)
    if taken:
        chosen = {**survivor.metadata_, **taken}
        apply_metadata(
            survivor,
            survivor.collection.profile.validate(
                {k: v for k, v in chosen.items() if v is not None}
            ),
            user,
        )
    credited = {survivor.library_id, *(c.library_id for c in survivor.contributors)}
    for library_id, local_id in [
        (merged.library_id, merged.local_id),
        *((c.library_id, c.local_id) for c in merged.contributors),
    ]:
        if library_id not in credited:
            credit = RecordContributor(library_id=library_id, local_id=local_id)
            survivor.contributors.append(credit)
            credited.add(library_id)

    # The other record's images follow the survivor's own; identical files are not repeated.
    # Moving (not copying) keeps each image's id, so its IIIF addresses keep working.
    known = {asset.sha256 for asset in survivor.assets}
    position = max((asset.position for asset in survivor.assets), default=-1) + 1
    for asset in list(merged.assets):
        if asset.sha256 in known:
            continue
        known.add(asset.sha256)
        asset.position = position
        position += 1
        survivor.assets.append(asset)

    # The public never loses the record: a survivor still under review is published with it.
    if merged_before is RecordStatus.PUBLISHED and survivor.status is RecordStatus.SUBMITTED:
        survivor.status = RecordStatus.PUBLISHED
        survivor.published_at = survivor.published_at or now
    merged.status = RecordStatus.WITHDRAWN
    for record in (survivor, merged):
        record.updated_at = now
        record.updated_by = user
    db.session.flush()

    note = f"{merged.public_id} → {survivor.public_id}" + (f"\n{comment}" if comment else "")
    write_revision(
        survivor,
        "merge",
        user,
        before=metadata_before,
        status_before=survivor_before.value,
        comment=f"{note}\n{not_kept}" if not_kept else note,
    )
    write_revision(
        merged,
        "merge",
        user,
        before=dict(merged.metadata_),
        status_before=merged_before.value,
        comment=note,
    )
    if merged_before is RecordStatus.PUBLISHED:
        db.session.add(Tombstone.for_record(merged, "merged"))
        queue_index_task(merged, "delete")
    if survivor.status is RecordStatus.PUBLISHED:
        queue_index_task(survivor, "upsert")
    # Harvested records matched to the merged record describe the survivor now.
    queue_matched_harvested(merged, rematch_to=survivor)
