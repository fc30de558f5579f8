"""Harvested records on Huiku's own pages, and their adoption into a collection as a draft.

A harvested record is another repository's description, read-only here. A reviewer who wants it
catalogued in Huiku adopts it: an ordinary draft is made from it in a collection they review,
with the source kept, and goes through review like any other record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from repository import permissions
from repository.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import (
    Collection,
    HarvestedRecord,
    HarvestSource,
    IndexTask,
    Record,
    RecordStatus,
    User,
)
from repository.profiles import Field, Kind, MetadataInvalid, Profile, get_profile
from repository.services import audit
from repository.services.records import (
    apply_metadata,
    find_by_local_id,
    queue_index_task,
    write_revision,
)
from repository.transactions import INDEX_TASKS_QUEUED, unit_of_work

LOCAL_ID_LIMIT = 200


class Gone(NotFound):
    """A harvested record withdrawn at its source, or whose source is switched off."""

    status = 410


def get_harvested(public_id: str) -> HarvestedRecord:
    """The harvested record, public or not; 404 when there is none."""
    found = db.session.scalar(select(HarvestedRecord).where(HarvestedRecord.public_id == public_id))
    if found is None:
        raise NotFound(Message("no harvested record {id}").format(id=public_id))
    return found


def public_harvested(public_id: str) -> HarvestedRecord:
    """The harvested record a reader may see: 404 if unknown, 410 if gone from view."""
    found = get_harvested(public_id)
    if found.deleted:
        raise Gone(
            Message("the harvested record {id} was deleted at its source {source}").format(
                id=public_id, source=found.source.name
            )
        )
    if not found.source.enabled:
        raise Gone(
            Message(
                "the harvested record {id} is no longer shown: its source {source} is switched off"
            ).format(id=public_id, source=found.source.name)
        )
    return found


def held_elsewhere(record: Record) -> list[HarvestedRecord]:
    """Public harvested records matched to a contributed record: the same thing held at
    other repositories."""
    return list(
        db.session.scalars(
            select(HarvestedRecord)
            .join(HarvestSource)
            .where(
                HarvestedRecord.matched_record_id == record.id,
                HarvestedRecord.deleted.is_(False),
                HarvestSource.enabled,
            )
            .order_by(HarvestSource.name, HarvestedRecord.id)
        )
    )


def adoptable_collections(user: User | None) -> list[Collection]:
    """Published collections the user reviews, which they may adopt harvested records into."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    published = db.session.scalars(
        select(Collection).where(Collection.published).order_by(Collection.slug)
    )
    return [c for c in published if permissions.can_review(user, c)]


def collection_for_adoption(slug: str) -> Collection:
    """The collection named in an adoption form; unknown or unpublished ones are refused."""
    found = db.session.scalar(select(Collection).where(Collection.slug == slug))
    if found is None:
        raise NotFound(Message("no collection {slug}").format(slug=slug))
    if not found.published:
        raise Conflict(
            Message(
                "the collection {slug} is not published; records are adopted into published "
                "collections only"
            ).format(slug=slug)
        )
    return found


def mapped_metadata(harvested: HarvestedRecord, profile: Profile) -> dict[str, Any]:
    """The harvested metadata (generic keys) on ``profile``'s fields by Dublin Core.

    A value goes first to the field of the same key and element; what is left of an element
    goes to the profile's other fields of that element, a vocabulary field taking only a value
    that is one of its terms. Nothing is validated here.
    """
    generic = get_profile("generic")
    left: dict[str, list[tuple[str, str]]] = {}  # dc element → (generic key, value)
    for field in generic.metadata_fields:
        if field.dc is None or field.key not in harvested.metadata_:
            continue
        raw = harvested.metadata_[field.key]
        for value in raw if isinstance(raw, list) else [raw]:
            text = str(value).strip()
            if text:
                left.setdefault(field.dc, []).append((field.key, text))
    targets = [f for f in profile.metadata_fields if f.dc and f.key != "local_id"]
    out: dict[str, Any] = {}
    for same_key in (True, False):
        # Vocabulary fields first, as they take only their own terms.
        for field in sorted(targets, key=lambda f: not f.vocabulary):
            pool = left.get(field.dc or "", [])
            if field.key in out or not pool:
                continue
            offered = [v for k, v in pool if k == field.key or not same_key]
            values, consumed = _take(field, offered)
            if values:
                out[field.key] = values if field.repeatable else values[0]
                left[field.dc or ""] = [(k, v) for k, v in pool if v not in consumed]
    return out


def _take(field: Field, offered: list[str]) -> tuple[list[str], set[str]]:
    """The values a field takes from those offered to it, and which offered ones it used."""
    if field.vocabulary:
        for value in offered:
            term = field.term(value) or next(
                (t for t in field.vocabulary if t.label_en.lower() == value.lower()), None
            )
            if term is not None:
                return [term.value], {value}
        return [], set()
    if field.repeatable or not offered:
        return offered, set(offered)
    if field.kind is Kind.LONG_TEXT:
        return ["\n\n".join(offered)], set(offered)
    return offered[:1], {offered[0]}


def source_note(harvested: HarvestedRecord) -> str:
    """Where the record came from, in both languages, for the draft's first revision."""
    source = harvested.source
    where = harvested.original_url or harvested.identifier
    return (
        f"Adopted from {source.name} ({where}), harvested record {harvested.public_id}; "
        f"采自“{source.name}”（{where}），采集记录 {harvested.public_id}"
    )


def adoption_metadata(
    harvested: HarvestedRecord, collection: Collection, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The draft's metadata, validated: mapped values, the source kept, a local identifier,
    and what the reviewer supplied (``values``) for the fields the mapping leaves empty.

    A mapped value the profile refuses is left out rather than blocking the adoption; what is
    still missing or wrong is raised as ``MetadataInvalid`` naming the fields.
    """
    profile = collection.profile
    data = mapped_metadata(harvested, profile)
    keys = {f.key for f in profile.metadata_fields}
    where = harvested.original_url or harvested.identifier
    if "source" in keys:
        data["source"] = where
    if "relation" in keys and harvested.original_url:
        relation = data.get("relation") or []
        data["relation"] = [*relation, *([] if where in relation else [where])]
    data["local_id"] = _local_id(harvested, collection)
    supplied = {k: v for k, v in (values or {}).items() if k in keys and v not in ("", None)}
    data.update(supplied)
    try:
        return profile.validate(data)
    except MetadataInvalid as invalid:
        refused = [k for k in invalid.errors if k not in supplied and data.get(k) is not None]
        if not refused:
            raise
        return profile.validate({k: v for k, v in data.items() if k not in refused})


def _local_id(harvested: HarvestedRecord, collection: Collection) -> str:
    """The source's identifier after its slug, so the draft says where it came from; the
    harvested record's id when that is too long or already taken in the owning library."""
    wanted = f"{harvested.source.slug}:{harvested.identifier}"
    owner = harvested.source.library_id
    if len(wanted) <= LOCAL_ID_LIMIT and find_by_local_id(owner, wanted) is None:
        return wanted
    return harvested.public_id


def adopt(
    harvested: HarvestedRecord,
    collection: Collection,
    user: User,
    values: Mapping[str, Any] | None = None,
) -> Record:
    """Make a draft of a harvested record in ``collection`` (a reviewer of it, or an admin).

    The draft belongs to the library that owns the source: that library chose to bring the
    source in and its staff are the ones who will complete and submit the draft, as with any
    of their records; the reviewer who adopted it is its creator, named in its history. The
    harvested record is then matched to the draft, so once published the two show as one.
    """
    if not permissions.can_review(user, collection):
        raise PermissionDenied(
            Message("only a reviewer of the collection {slug} may adopt records into it").format(
                slug=collection.slug
            )
        )
    if not collection.published:
        collection_for_adoption(collection.slug)  # refuses, saying why
    if harvested.deleted:
        raise InvalidTransition(
            Message(
                "the harvested record {id} was deleted at its source and cannot be adopted"
            ).format(id=harvested.public_id)
        )
    if harvested.adopted_record is not None:
        raise AlreadyAdopted(harvested.adopted_record)
    metadata = adoption_metadata(harvested, collection, values)
    previous = harvested.matched_record
    with unit_of_work():
        record = Record(
            collection=collection,
            library_id=harvested.source.library_id,
            status=RecordStatus.DRAFT,
            created_by=user,
        )
        apply_metadata(record, metadata, user)
        db.session.add(record)
        db.session.flush()
        write_revision(
            record, "create", user, before=None, status_before=None, comment=source_note(harvested)
        )
        harvested.adopted_record_id = record.id
        harvested.matched_record_id = record.id
        audit.record(
            user,
            "record.adopt",
            record,
            library=harvested.source.library,
            after={
                "record": record.public_id,
                "collection": collection.slug,
                "harvested": harvested.public_id,
                "source": harvested.source.slug,
                "identifier": harvested.identifier,
            },
        )
        # The harvested record is searched on its own again until the draft is published.
        db.session.add(
            IndexTask(record_id=harvested.id, record_public_id=harvested.public_id, action="upsert")
        )
        if previous is not None and previous.status is RecordStatus.PUBLISHED:
            queue_index_task(previous, "upsert")  # it no longer carries this origin
        db.session.info[INDEX_TASKS_QUEUED] = True
    return record


class AlreadyAdopted(Conflict):
    """Adopted before; ``record`` is the draft (or record) made then."""

    def __init__(self, record: Record) -> None:
        super().__init__(
            Message("this harvested record was adopted already, as {id}").format(
                id=record.public_id
            )
        )
        self.record = record
