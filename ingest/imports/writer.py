"""From a checked row to a record: created, updated in place, or left unchanged.

Rows are keyed by (library, ``local_id``). The same row again changes nothing (no revision);
a changed row updates the record through ``records.update_record``, one revision per change;
a new row becomes a draft as ``records.create_record`` makes one, a batch's new drafts in one
flush. Everything is written into the caller's transaction, which holds one batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ingest.duplicates import flag_new_records, flag_possible_duplicates, match_keys
from ingest.imports import recordings
from ingest.imports.image_source import CheckedImage
from ingest.imports.problems import Problem
from ingest.imports.report import DONE, outcome_entry
from ingest.uploads import new_asset
from repository import permissions
from repository.bulk import reserve_ids
from repository.extensions import db
from repository.images import file_store
from repository.messages import Message
from repository.models import (
    Collection,
    DerivativeState,
    DuplicateCandidate,
    Record,
    RecordStatus,
    User,
)
from repository.services import records


@dataclass
class CheckedItem:
    """A row after its checks: valid metadata and images, or the report entries of its problems."""

    number: int
    local_id: str
    metadata: dict[str, Any]
    images: list[CheckedImage] | None  # None when the row names no images
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def image_shas(self) -> list[str] | None:
        """The images' digests, in order (recordings named in the cell are not images)."""
        if self.images is None:
            return None
        return [image.sha256 for image in recordings.split(self.images)[0]]

    @property
    def recording_shas(self) -> list[str]:
        return sorted(item.sha256 for item in recordings.split(self.images or [])[1])


@dataclass
class Written:
    """What became of one valid row."""

    item: CheckedItem
    outcome: str  # created | updated | unchanged | failed
    record: Record | None = None
    problem: Problem | None = None
    published: bool = False
    new_images: int = 0
    new_recordings: int = 0
    notes: list[dict[str, Any]] = field(default_factory=list)


def existing_records(library_id: int, local_ids: Iterable[str]) -> dict[str, Record]:
    """The library's records with these local ids, with their images, in one query."""
    wanted = sorted(set(local_ids))
    if not wanted:
        return {}
    query = (
        select(Record)
        .where(Record.library_id == library_id, Record.local_id.in_(wanted))
        .options(selectinload(Record.assets))
    )
    return {record.local_id: record for record in db.session.scalars(query)}


class Writer:
    """Plans and writes rows for one job's collection and user."""

    def __init__(self, collection: Collection, user: User, *, publish: bool, max_bytes: int):
        self.collection_id = collection.id
        self.library_id = user.library_id
        self.user_id = user.id
        self.publish = publish
        self.max_bytes = max_bytes
        self.local_id_header = collection.profile.field("local_id").label_zh
        self.store = file_store()
        self.ids: Iterator[int] = iter(())  # ids reserved for the batch's new drafts

    @property
    def user(self) -> User:
        return db.session.get(User, self.user_id)

    @property
    def collection(self) -> Collection:
        return db.session.get(Collection, self.collection_id)

    def plan(self, item: CheckedItem, existing: Record | None) -> tuple[str, Problem | None]:
        """The outcome a valid row will have against the record its ``local_id`` names."""
        if existing is None:
            return "created", None
        if existing.collection_id != self.collection_id:
            return "failed", self._problem(
                item,
                _OTHER_COLLECTION.format(id=item.local_id, record=existing.public_id),
                _OTHER_COLLECTION_FIX,
            )
        same_images = item.images is None or (
            [a.sha256 for a in existing.assets] == item.image_shas
            and sorted(r.sha256 for r in existing.recordings) == item.recording_shas
        )
        if existing.metadata_ == item.metadata and same_images:
            return "unchanged", None
        if not permissions.can_edit(self.user, existing):
            submitted = existing.status is RecordStatus.SUBMITTED
            message = _UNDER_REVIEW if submitted else _NOT_EDITABLE
            return "failed", self._problem(
                item,
                message.format(record=existing.public_id, status=existing.status.value),
                _UNDER_REVIEW_FIX if submitted else None,
            )
        return "updated", None

    def predict(self, item: CheckedItem, existing: Record | None) -> Written:
        """What writing the row would do (a dry run)."""
        outcome, problem = self.plan(item, existing)
        return Written(item, outcome, existing, problem)

    def write_all(self, items: list[CheckedItem], existing: dict[str, Record]) -> list[Written]:
        """Write the valid rows in the caller's transaction (one flush for the new records)."""
        user, collection = self.user, self.collection
        new = sum(item.local_id not in existing for item in items)
        self.ids = iter(reserve_ids(Record.__table__, new) or ())
        results = []
        for item in items:
            results.append(self._write(user, collection, item, existing.get(item.local_id)))
        db.session.flush()
        created = [result.record for result in results if result.outcome == "created"]
        records.write_first_revisions(created, user)
        if self.publish:
            for result in results:
                if result.record is not None and result.outcome != "failed":
                    result.published = self._publish(user, result.record)
        return results

    def _write(
        self, user: User, collection: Collection, item: CheckedItem, existing: Record | None
    ) -> Written:
        outcome, problem = self.plan(item, existing)
        if problem is not None:
            return Written(item, "failed", problem=problem)
        written = Written(item, outcome, existing)
        if outcome == "created":
            written.record = self._create(collection, item)
            images, sounds = recordings.split(item.images or [])
            written.new_images = len(images)
            written.new_recordings = recordings.attach(written.record, sounds, self.store)
        elif outcome == "updated":
            assert existing is not None

            def replace_images(record: Record) -> bool:
                if item.images is None:
                    return False
                images, sounds = recordings.split(item.images)
                changed, written.new_images = self._replace_images(record, images)
                sounds_changed, written.new_recordings = recordings.replace(
                    record, sounds, self.store
                )
                return changed or sounds_changed

            records.update_record(user, existing, item.metadata, edit_assets=replace_images)
        return written

    def _create(self, collection: Collection, item: CheckedItem) -> Record:
        """A new draft with the columns ``records.create_record`` gives one, set as ids and
        values (no relationship events), without its per-record look-ups: the batch looked its
        local ids up at once (a record created meanwhile fails the batch on the unique index,
        and the rows are then written one by one, looked up afresh). ``write_all`` writes the
        batch's first revisions at once."""
        record = Record(
            id=next(self.ids, None),
            collection_id=self.collection_id,
            library_id=self.library_id,
            status=RecordStatus.DRAFT,
            created_by_id=self.user_id,
            updated_by_id=self.user_id,
            **records.metadata_columns(collection.profile, item.metadata),
        )
        set_committed_value(record, "assets", [])  # known empty: no look-up once flushed
        for position, image in enumerate(recordings.split(item.images or [])[0]):
            self._new_asset(record, image, position)
        db.session.add(record)
        return record

    def flag_duplicates(self, results: list[Written]) -> int:
        """Pair the batch's new and changed records with other libraries' records that look
        alike; notes on the rows concerned. Returns the number of pairs."""
        profile = self.collection.profile
        created = [
            (result.record.id, match_keys(profile, result.item.metadata))
            for result in results
            if result.outcome == "created"
        ]
        flagged = flag_new_records(self.collection_id, self.library_id, created)
        for result in results:
            if result.outcome == "updated":
                flagged[result.record.id] = flag_possible_duplicates(result.record)
        pairs = 0
        for result in results:
            candidates = flagged.get(result.record.id) if result.record is not None else None
            if not candidates:
                continue
            pairs += len(candidates)
            others = _named_others(candidates, result.record.id)
            result.notes.append(
                outcome_entry(
                    result.item.number,
                    result.outcome,
                    result.item.local_id,
                    _POSSIBLE_DUPLICATES.format(count=len(candidates), others=others),
                    record_id=result.record.public_id,
                    level="note",
                )
            )
        return pairs

    def _problem(self, item: CheckedItem, message: Message, fix: Message | None) -> Problem:
        return Problem(
            message,
            row=item.number,
            column=self.local_id_header,
            field="local_id",
            value=item.local_id,
            fix=fix,
        )

    def _replace_images(self, record: Record, images: list[CheckedImage]) -> tuple[bool, int]:
        """Make the record's images exactly these, in this order, keeping the ones it has."""
        if [asset.sha256 for asset in record.assets] == [image.sha256 for image in images]:
            return False, 0
        kept: dict[str, list] = {}
        for asset in record.assets:
            kept.setdefault(asset.sha256, []).append(asset)
        ordered = []
        added = 0
        for position, image in enumerate(images):
            if kept.get(image.sha256):
                asset = kept[image.sha256].pop(0)
                asset.position = position
            else:
                asset = self._new_asset(record, image, position)
                added += 1
            ordered.append(asset)
        record.assets[:] = ordered  # images no longer named are removed (delete-orphan)
        return True, added

    def _new_asset(self, record: Record, image: CheckedImage, position: int):
        stored = image.stored
        if stored is None:
            assert image.path is not None, "an import keeps its verified images on disk"
            stored = self.store.put_original(image.path, self.max_bytes, filename=image.name)
        name = PurePosixPath(image.source_name)
        asset = new_asset(record, stored, image.verified, name.name, name.stem, position)
        if image.built:  # its check built every file: no task to wait for
            asset.derivative_state = DerivativeState.READY
        return asset

    def _publish(self, user: User, record: Record) -> bool:
        """Submit and publish a draft (or publish a submitted record) as the importing reviewer."""
        if record.status is RecordStatus.DRAFT:
            records.submit_record(user, record)
        if record.status is RecordStatus.SUBMITTED:
            records.publish_record(user, record)
            return True
        return False


def outcome_entries(result: Written) -> list[dict[str, Any]]:
    """The report entries of a written (or, in a dry run, predicted) row."""
    item = result.item
    record_id = result.record.public_id if result.record is not None else None
    if result.published:
        message = _AND_PUBLISHED.format(done=DONE[result.outcome].format(record=record_id))
    elif result.outcome in DONE:
        message = DONE[result.outcome].format(record=record_id)
    else:
        raise ValueError(result.outcome)
    entry = outcome_entry(item.number, result.outcome, item.local_id, message, record_id=record_id)
    return [entry, *result.notes]


def predicted_entry(result: Written) -> dict[str, Any]:
    item = result.item
    record_id = result.record.public_id if result.record is not None else None
    message = _PREDICTED[result.outcome].format(record=record_id or "")
    return outcome_entry(item.number, result.outcome, item.local_id, message, record_id=record_id)


def _named_others(candidates: list[DuplicateCandidate], record_pk: int) -> Message:
    """The other records of the pairs, by public id when public; the rest only counted.

    A record another library has submitted is not public yet: its reviewers see it, the
    importing contributor learns only that it exists.
    """
    others = [
        candidate.record_high if candidate.record_low_id == record_pk else candidate.record_low
        for candidate in candidates
    ]
    named = ", ".join(other.public_id for other in others if other.status is RecordStatus.PUBLISHED)
    waiting = sum(other.status is not RecordStatus.PUBLISHED for other in others)
    if not waiting:
        return Message.verbatim(named)
    unpublished = _AWAITING_REVIEW.format(count=waiting)
    return _LISTED_AND_WAITING.format(named=named, waiting=unpublished) if named else unpublished


_PREDICTED = {
    "created": Message("would be created"),
    "updated": Message("would update record {record}"),
    "unchanged": Message("record {record} would stay unchanged"),
}
_AND_PUBLISHED = Message("{done} and published")
_POSSIBLE_DUPLICATES = Message(
    "Possibly describes the same thing as {count} record(s) of other libraries ({others}); "
    "a reviewer will compare them."
)
_AWAITING_REVIEW = Message("{count} awaiting review")
_LISTED_AND_WAITING = Message("{named}; {waiting}")
_OTHER_COLLECTION = Message(
    "Your library's record {record} in another collection already has the local identifier "
    "{id}; local identifiers are unique across your library."
)
_OTHER_COLLECTION_FIX = Message(
    "Give this row a different local_id, or import it into that record's collection."
)
_UNDER_REVIEW = Message(
    "Record {record} is awaiting review and cannot be changed until the reviewer publishes or "
    "returns it."
)
_UNDER_REVIEW_FIX = Message("Import this row again after the review.")
_NOT_EDITABLE = Message("Record {record} is {status} and cannot be changed by an import.")
