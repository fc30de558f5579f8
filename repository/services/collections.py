"""Themed collections and who reviews them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, literal, select, update

from repository import permissions
from repository.errors import NotFound, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import (
    Collection,
    IndexTask,
    Library,
    Record,
    RecordContributor,
    RecordStatus,
    Tombstone,
    TombstoneCredit,
    User,
)
from repository.models.base import UTCDateTime, utcnow
from repository.profiles import get_profile
from repository.services import audit, record_counts
from repository.services.accounts import InvalidField, clean_text
from repository.transactions import INDEX_TASKS_QUEUED, unit_of_work

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def create_collection(
    slug: str,
    profile: str,
    title_zh: str,
    title_en: str = "",
    *,
    description_zh: str = "",
    description_en: str = "",
    coordinating_library: Library | None = None,
    default_rights: str = "",
    published: bool = True,
    edits_need_review: bool = True,
    actor: User | None = None,
) -> Collection:
    """A new collection; ``actor`` is the administrator (None: the command line)."""
    if actor is not None and not permissions.can_administer_alliance(actor):
        raise PermissionDenied(ALLIANCE_ONLY)
    slug = clean_text("slug", slug, 64, SLUG)
    texts = _clean_texts(title_zh, title_en, description_zh, description_en, default_rights)
    if not _SLUG.match(slug):
        raise InvalidField(
            "slug",
            Message(
                "collection slug {slug!r} must be lower-case letters, digits and hyphens"
            ).format(slug=slug),
        )
    try:
        get_profile(profile)
    except LookupError:
        raise InvalidField(
            "profile", Message("unknown collection profile {profile!r}").format(profile=profile)
        ) from None
    with unit_of_work():
        if db.session.scalar(select(Collection).where(Collection.slug == slug)) is not None:
            raise InvalidField(
                "slug",
                Message("the identifier {slug} is taken by another collection").format(slug=slug),
            )
        collection = Collection(
            slug=slug,
            profile_name=profile,
            coordinating_library=coordinating_library,
            published=published,
            edits_need_review=edits_need_review,
            **texts,
        )
        db.session.add(collection)
        db.session.flush()
        audit.record(
            actor,
            "collection.create",
            collection,
            library=coordinating_library,
            after=collection_summary(collection),
        )
    return collection


ALLIANCE_ONLY = Message(
    "only alliance administrators may create collections or change their coordinating library"
)
SLUG = Message("the identifier")
_TEXT_FIELDS = {
    "title_zh": (200, Message("the Chinese title")),
    "title_en": (200, Message("the English title")),
    "description_zh": (5000, Message("the Chinese description")),
    "description_en": (5000, Message("the English description")),
    "default_rights": (500, Message("the default rights")),
}


def _clean_texts(*values: str) -> dict[str, str]:
    texts = {
        field: clean_text(field, value, *_TEXT_FIELDS[field])
        for field, value in zip(_TEXT_FIELDS, values, strict=True)
    }
    if not texts["title_zh"]:
        raise InvalidField("title_zh", Message("a collection needs a Chinese title"))
    return texts


def collection_summary(collection: Collection) -> dict[str, Any]:
    return {
        "slug": collection.slug,
        "profile": collection.profile_name,
        "title_zh": collection.title_zh,
        "title_en": collection.title_en,
        "description_zh": collection.description_zh,
        "description_en": collection.description_en,
        "default_rights": collection.default_rights,
        "coordinating_library": (
            collection.coordinating_library.code if collection.coordinating_library else None
        ),
        "published": collection.published,
        "edits_need_review": collection.edits_need_review,
    }


def update_collection(
    actor: User,
    collection: Collection,
    *,
    title_zh: str,
    title_en: str = "",
    description_zh: str = "",
    description_en: str = "",
    default_rights: str = "",
    coordinating_library: Library | None,
    published: bool,
    edits_need_review: bool | None = None,
) -> Collection:
    """Change a collection's texts, rights, coordinating library or published flag.

    Its records' search documents carry the collection's title and visibility, so they are
    queued in the index outbox in the same transaction.
    """
    if not permissions.can_edit_collection(actor, collection):
        raise NotFound(Message("no collection {slug}").format(slug=collection.slug))
    moved = coordinating_library != collection.coordinating_library
    if moved and not permissions.can_administer_alliance(actor):
        raise PermissionDenied(ALLIANCE_ONLY)
    texts = _clean_texts(title_zh, title_en, description_zh, description_en, default_rights)
    with unit_of_work():
        before = collection_summary(collection)
        for field, value in texts.items():
            setattr(collection, field, value)
        collection.coordinating_library = coordinating_library
        was_published = collection.published
        collection.published = published
        if published != was_published:
            _tell_harvesters(collection, published)
        if edits_need_review is not None:
            collection.edits_need_review = edits_need_review
        after = collection_summary(collection)
        if after != before:
            audit.record(
                actor,
                "collection.update",
                collection,
                library=coordinating_library,
                before=before,
                after=after,
            )
            _queue_reindex(collection)
    return collection


def _tell_harvesters(collection: Collection, published: bool) -> None:
    """Hiding a collection reports its public records as deleted (tombstones, with their
    credits); showing it again makes them newer than those tombstones, so an incremental
    harvest takes them back."""
    now = utcnow()
    public = select(Record.id).where(
        Record.collection_id == collection.id, Record.status == RecordStatus.PUBLISHED
    )
    if published:
        db.session.execute(
            update(Record)
            .where(Record.id.in_(public))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return
    db.session.execute(
        insert(Tombstone).from_select(
            ["record_public_id", "collection_id", "library_id", "reason", "created_at"],
            select(
                Record.public_id,
                Record.collection_id,
                Record.library_id,
                literal("hidden"),
                literal(now, UTCDateTime()),
            ).where(Record.id.in_(public)),
        )
    )
    db.session.execute(
        insert(TombstoneCredit).from_select(
            ["tombstone_id", "library_id"],
            select(Tombstone.id, RecordContributor.library_id)
            .join(Record, Record.public_id == Tombstone.record_public_id)
            .join(RecordContributor, RecordContributor.record_id == Record.id)
            .where(
                Record.id.in_(public),
                Tombstone.reason == "hidden",
                Tombstone.created_at == literal(now, UTCDateTime()),
            ),
        )
    )


def _queue_reindex(collection: Collection) -> None:
    """An outbox row for each of the collection's published records, in one statement."""
    db.session.execute(
        insert(IndexTask).from_select(
            ["record_id", "record_public_id", "action", "created_at", "attempts", "last_error"],
            select(
                Record.id,
                Record.public_id,
                literal("upsert"),
                literal(utcnow(), UTCDateTime()),
                literal(0),
                literal(""),
            ).where(Record.collection_id == collection.id, Record.status == RecordStatus.PUBLISHED),
        )
    )
    db.session.info[INDEX_TASKS_QUEUED] = True


def collections_for(actor: User) -> list[Collection]:
    """The collections the actor may edit: all for the alliance, else those it coordinates."""
    query = select(Collection).order_by(Collection.slug)
    if not permissions.can_administer_alliance(actor):
        query = query.where(Collection.coordinating_library_id == actor.library_id)
    return list(db.session.scalars(query))


def collection_for(actor: User, slug: str) -> Collection:
    collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
    if collection is None or not permissions.can_edit_collection(actor, collection):
        raise NotFound(Message("no collection {slug}").format(slug=slug))
    return collection


def get_collection(slug: str, *, public: bool = False) -> Collection:
    collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
    if collection is None or (public and not collection.published):
        raise NotFound(Message("no collection {slug}").format(slug=slug))
    return collection


def public_collections() -> list[tuple[Collection, int]]:
    """Published collections with how many public records each has, in a stable order.

    The counts are kept with every record change (``record_counts``), not counted per request."""
    return record_counts.public_collection_counts()
