"""Writing checked rows as records: created, updated in place, or left unchanged.

Rows are keyed by (library, ``local_id``). The same row again changes nothing (no revision);
a changed row updates the record through ``records.update_record``, one revision per change.

New records are written in bulk: the batch's records, images and first revisions go to the
database as plain rows, one ``repository.bulk`` insert per table (COPY on PostgreSQL), instead
of the ORM's flush and two look-ups per record, which is what lets a 10,000-row import take a
second or two. What differs from record to record (``new_record_values``) is made where the row
is checked, in a checker process; the writer adds what the batch shares. New records get exactly
what ``records.create_record`` gives a new draft: the columns of ``records.derived_columns`` and
revision 1 with action ``create``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ingest.batch.image_source import CheckedImage
from ingest.batch.problems import Problem
from ingest.duplicates.keys import MatchKeys
from ingest.uploads import file_store, new_asset
from repository import permissions
from repository.bulk import insert_rows, insert_values, reserve_ids
from repository.extensions import db
from repository.messages import Message
from repository.models import Asset, Collection, Record, RecordRevision, RecordStatus, User
from repository.models.base import new_public_id, utcnow
from repository.profiles import Profile
from repository.services import records


@dataclass
class PlannedRow:
    """A valid row, as checked, to be written."""

    number: int
    local_id: str
    cleaned: dict[str, Any] | None  # its metadata; None while only ``metadata_json`` holds it
    image_names: list[str]
    # Computed while checking, when the row was checked for this write:
    metadata_json: str | None = None  # the metadata as the database stores it
    new_record: tuple | None = None  # ``new_record_values``: the record it would create
    keys: MatchKeys | None = None  # duplicate match keys
    created_line: bytes | None = None  # its report line if it creates that record

    @property
    def metadata(self) -> dict[str, Any]:
        """The cleaned metadata; a new record never needs it decoded, only an existing one."""
        if self.cleaned is None:
            assert self.metadata_json is not None
            self.cleaned = json.loads(self.metadata_json)
        return self.cleaned


#: The columns of a new record that differ from record to record, as ``new_record_values``
#: gives them.
NEW_RECORD_COLUMNS = ("public_id", "metadata", *records.DERIVED_COLUMNS)


def new_record_values(
    profile: Profile, metadata: dict[str, Any], metadata_json: str, public_id: str
) -> tuple:
    """A new record's own columns (``NEW_RECORD_COLUMNS``) as the database stores them."""
    derived = records.derived_columns(profile, metadata)
    return (public_id, metadata_json, *(derived[name] for name in records.DERIVED_COLUMNS))


@dataclass
class Written:
    """What became of one row."""

    row: PlannedRow
    outcome: str  # created | updated | unchanged | failed
    record: Record | None = None
    problems: list[Problem] = field(default_factory=list)
    published: bool = False
    new_images: int = 0
    notes: list[dict[str, Any]] = field(default_factory=list)  # report entries beside the outcome
    record_id: str | None = None  # the record's public id
    record_pk: int | None = None  # and its database id


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


def existing_local_ids(library_id: int, local_ids: Iterable[str]) -> set[str]:
    """Which of these local ids the library's records already have (a thousand per query)."""
    wanted = sorted(set(local_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        found.update(
            db.session.scalars(
                select(Record.local_id).where(
                    Record.library_id == library_id,
                    Record.local_id.in_(wanted[start : start + 1000]),
                )
            )
        )
    return found


def plan(
    collection: Collection,
    user: User,
    row: PlannedRow,
    image_shas: list[str] | None,
    existing: Record | None,
    local_id_header: str,
) -> tuple[str, Problem | None]:
    """The outcome a row will have against the record its ``local_id`` names, if any.

    ``image_shas`` is None when the row names no images (the record's images then stay).
    """
    if existing is None:
        return "created", None
    if existing.collection_id != collection.id:
        return "failed", Problem(
            _OTHER_COLLECTION.format(id=row.local_id, record=existing.public_id),
            row=row.number,
            column=local_id_header,
            field="local_id",
            value=row.local_id,
            fix=_OTHER_COLLECTION_FIX,
        )
    same_metadata = existing.metadata_ == row.metadata
    same_images = image_shas is None or [a.sha256 for a in existing.assets] == image_shas
    if same_metadata and same_images:
        return "unchanged", None
    if not permissions.can_edit(user, existing):
        message = _UNDER_REVIEW if existing.status is RecordStatus.SUBMITTED else _NOT_EDITABLE
        return "failed", Problem(
            message.format(record=existing.public_id, status=existing.status.value),
            row=row.number,
            column=local_id_header,
            field="local_id",
            value=row.local_id,
            fix=_UNDER_REVIEW_FIX if existing.status is RecordStatus.SUBMITTED else None,
        )
    return "updated", None


class BatchWriter:
    """Writes rows into the caller's transaction; the caller commits (or rolls back) the batch."""

    def __init__(
        self,
        collection: Collection,
        user: User,
        *,
        publish: bool,
        check_image: Callable[[str], CheckedImage],
        local_id_header: str,
        max_bytes: int,
    ) -> None:
        self.collection = collection
        self.user = user
        # Plain values: the objects expire at every batch's commit, and reloading costs a query.
        self.collection_id = collection.id
        self.profile = collection.profile
        self.user_id = user.id
        self.library_id = user.library_id
        self.publish = publish
        self.check_image = check_image
        self.local_id_header = local_id_header
        self.max_bytes = max_bytes
        self.store = file_store()

    def write(
        self,
        rows: Sequence[PlannedRow],
        progress: Callable[[PlannedRow], None],
        *,
        existing_ids: set[str] | None = None,
    ) -> list[Written]:
        """Write the rows; ``existing_ids``, when given, are the only local ids to look up
        (the job looked the whole file up before its first batch)."""
        wanted = (
            row.local_id for row in rows if existing_ids is None or row.local_id in existing_ids
        )
        existing = existing_records(self.library_id, wanted)
        results: list[Written] = []
        new: list[tuple[Written, list[CheckedImage]]] = []
        for row in rows:
            result, images = self._write_row(row, existing.get(row.local_id))
            if result.outcome == "created":
                new.append((result, images))
            results.append(result)
            progress(row)
        self._insert_new(new)
        if self.publish or any(images for _, images in new):
            self._load_new([result for result, _ in new])
        if self.publish:
            for result in results:
                if result.record is not None and result.outcome != "failed":
                    result.published = self._publish(result.record)
        return results

    def _write_row(
        self, row: PlannedRow, existing: Record | None
    ) -> tuple[Written, list[CheckedImage]]:
        images: list[CheckedImage] = []
        for name in row.image_names:
            images.append(self.check_image(name))  # ImageProblem: the batch is redone row by row
        shas = [image.sha256 for image in images] if row.image_names else None
        outcome, problem = plan(
            self.collection, self.user, row, shas, existing, self.local_id_header
        )
        if problem is not None:
            return Written(row, "failed", problems=[problem]), images
        if outcome == "created":
            return Written(row, outcome, new_images=len(images)), images
        assert existing is not None
        added = self._update(existing, row, images) if outcome == "updated" else 0
        written = Written(row, outcome, existing, new_images=added)
        written.record_id, written.record_pk = existing.public_id, existing.id
        return written, []

    def _insert_new(self, new: list[tuple[Written, list[CheckedImage]]]) -> None:
        """The batch's new records, their images and first revisions: one INSERT per table."""
        if not new:
            return
        now = utcnow()
        values = []
        for result, _images in new:
            row = result.row
            if row.new_record is None:  # checked without preparing (a spooled row)
                encoded = row.metadata_json or json.dumps(row.metadata)
                row.new_record = new_record_values(
                    self.profile, row.metadata, encoded, new_public_id()
                )
            result.record_id = row.new_record[0]
            values.append(row.new_record)
        shared = {
            "collection_id": self.collection_id,
            "library_id": self.library_id,
            "status": RecordStatus.DRAFT,
            "review_comment": "",
            "created_at": now,
            "updated_at": now,
            "published_at": None,
            "created_by_id": self.user_id,
            "updated_by_id": self.user_id,
        }
        # Plain rows (COPY on PostgreSQL): the ORM's bulk path would cost as much again in
        # bookkeeping. The ids come from the table's sequence, or are read back in one query.
        reserved = reserve_ids(Record.__table__, len(values))
        if reserved is not None:
            insert_values(
                Record.__table__,
                ("id", *NEW_RECORD_COLUMNS),
                [(key, *row) for key, row in zip(reserved, values, strict=True)],
                same=shared,
            )
            ids = {row[0]: key for key, row in zip(reserved, values, strict=True)}
        else:
            insert_values(Record.__table__, NEW_RECORD_COLUMNS, values, same=shared)
            ids = dict(
                db.session.execute(
                    select(Record.public_id, Record.id).where(
                        Record.public_id.in_([row[0] for row in values])
                    )
                ).all()
            )
        asset_rows, revisions = [], []
        for result, images in new:
            record_id = result.record_pk = ids[result.record_id]
            for position, image in enumerate(images):
                asset_rows.append(self._asset_row(record_id, image, position, now))
            shas = json.dumps([image.sha256 for image in images]) if images else "[]"
            revisions.append((record_id, result.row.new_record[1], shas))
        if asset_rows:
            insert_rows(Asset.__table__, asset_rows)
        insert_values(
            RecordRevision.__table__,
            ("record_id", "metadata_after", "assets_after"),
            revisions,
            same={
                "number": 1,
                "action": "create",
                "user_id": self.user_id,
                "created_at": now,
                "status_before": None,
                "status_after": RecordStatus.DRAFT.value,
                "metadata_before": None,
                "comment": "",
            },
        )

    def _asset_row(
        self, record_id: int, image: CheckedImage, position: int, now: Any
    ) -> dict[str, Any]:
        assert image.path is not None, "images are kept on disk for the write pass"
        stored = self.store.put_original(image.path, self.max_bytes, filename=image.name)
        name = PurePosixPath(image.source_name)
        return {
            "public_id": new_public_id(),
            "record_id": record_id,
            "position": position,
            "label": name.stem[:300],
            "original_filename": name.name[:300],
            "sha256": stored.sha256,
            "mime_type": image.verified.mime_type,
            "size_bytes": stored.size,
            "width": image.verified.width,
            "height": image.verified.height,
            "derivatives_ready": False,
            "created_at": now,
        }

    def _load_new(self, created: list[Written]) -> None:
        """The new records as objects, with their images, for publishing and derivatives."""
        wanted = [result.record_id for result in created]
        if not wanted:
            return
        query = (
            select(Record).where(Record.public_id.in_(wanted)).options(selectinload(Record.assets))
        )
        loaded = {record.public_id: record for record in db.session.scalars(query)}
        for result in created:
            result.record = loaded[result.record_id]

    def _update(self, record: Record, row: PlannedRow, images: list[CheckedImage]) -> int:
        added = 0

        def edit_assets(target: Record) -> bool:
            nonlocal added
            if not row.image_names:
                return False
            changed, added = self._replace_images(target, images)
            return changed

        records.update_record(self.user, record, row.metadata, edit_assets=edit_assets)
        return added

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
        assert image.path is not None, "images are kept on disk for the write pass"
        stored = self.store.put_original(image.path, self.max_bytes, filename=image.name)
        label = PurePosixPath(image.source_name).stem
        return new_asset(
            record, stored, image.verified, PurePosixPath(image.source_name).name, label, position
        )

    def _publish(self, record: Record) -> bool:
        """Submit and publish a draft (or publish a submitted record) as the importing reviewer."""
        if record.status is RecordStatus.DRAFT:
            records.submit_record(self.user, record)
        if record.status is RecordStatus.SUBMITTED:
            records.publish_record(self.user, record)
            return True
        return False


_OTHER_COLLECTION = Message(
    "Your library's record {record} in another collection already has the local identifier "
    "{id}; local identifiers are unique across your library.",
    "本馆在另一个专题库中的记录 {record} 已使用本馆标识 {id}；本馆标识在全馆范围内唯一。",
)
_OTHER_COLLECTION_FIX = Message(
    "Give this row a different local_id, or import it into that record's collection.",
    "请为此行换一个本馆标识，或将其导入该记录所在的专题库。",
)
_UNDER_REVIEW = Message(
    "Record {record} is awaiting review and cannot be changed until the reviewer publishes or "
    "returns it.",
    "记录 {record} 正在审核中，审核员发布或退回之前不能修改。",
)
_UNDER_REVIEW_FIX = Message(
    "Import this row again after the review.", "请在审核完成后重新导入此行。"
)
_NOT_EDITABLE = Message(
    "Record {record} is {status} and cannot be changed by an import.",
    "记录 {record} 的状态为「{status}」，不能通过导入修改。",
)
