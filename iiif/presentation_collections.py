"""IIIF Collections: one per themed collection, one per member library, and a top collection.

Presentation 3.0 dropped the paging properties of 2.1 in favour of nesting ("a hierarchy of
Collections"), so a collection with more manifests than ``IIIF_COLLECTION_PAGE_SIZE`` lists
numbered sub-collections (``…/pages/<n>``) instead, each holding one page of manifests and
pointing back to its parent with ``partOf``. Members are in the same order as on the public
collection page (pinyin order of titles), so pages are stable while nothing is added.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from flask import current_app
from iiif_prezi3 import Class, CollectionRef, Homepage
from iiif_prezi3 import Collection as IIIFCollection
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from iiif.manifests import (
    LanguageMap,
    alliance_agent,
    bilingual,
    collection_label,
    collection_reference,
    language_map,
    library_agent,
    library_reference,
    neutral,
    thumbnail_url,
)
from iiif.presentation_http import absolute_url
from repository.errors import NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Asset, Collection, Library, Record, RecordContributor, RecordStatus
from repository.services.browse import page_query
from repository.services.collections import get_collection
from repository.services.record_counts import (
    libraries_with_published_records,
    public_collection_counts,
    published_count,
)

DEFAULT_PAGE_SIZE = 1000
_SLOT = "0huiku0slot0"  # stands for a public id while a URL pattern is made
TOP_LABEL = bilingual("汇库特色馆藏", "Huiku special collections")


@dataclass(frozen=True)
class Members:
    """Which public records a collection holds and how it is addressed."""

    endpoint: str  # of the whole collection; its pages are at endpoint + "_page"
    values: dict[str, str]  # URL values of the endpoint
    label: Callable[[str], str]  # title in a locale
    where: ColumnElement[bool]
    #: How many public members, from the kept counts; None: counted by a query.
    count: Callable[[], int] | None = None
    #: False when the collection is known to be public, so records need not be joined with it.
    join_collection: bool = True

    def url(self, page: int | None = None) -> str:
        if page is None:
            return absolute_url(self.endpoint, **self.values)
        return absolute_url(f"{self.endpoint}_page", number=page, **self.values)


def top_collection() -> str:
    """Every published themed collection, then every library that has public records."""
    items = [collection_reference(c, CollectionRef) for c, _count in public_collection_counts()]
    items += [library_reference(lib, CollectionRef) for lib in _libraries_with_public_records()]
    home = absolute_url("public.home")
    config = current_app.config
    return IIIFCollection(
        id=absolute_url("iiif_presentation.top_collection"),
        label=TOP_LABEL,
        summary=bilingual(config["ALLIANCE_NAME_ZH"], config["ALLIANCE_NAME_EN"]),
        homepage=[_homepage(home, bilingual("汇库", "Huiku"))],
        provider=[alliance_agent()],
        items=items,
    ).json()


def themed_collection(slug: str, page: int | None = None) -> str:
    collection = get_collection(slug, public=True)
    members = Members(
        "iiif_presentation.collection",
        {"slug": slug},
        collection.title,
        and_(Record.collection_id == collection.id, Record.status == RecordStatus.PUBLISHED),
        count=lambda: published_count(collection.id),
        join_collection=False,
    )
    described = collection.description_zh or collection.description_en
    return _paged(
        members,
        page,
        summary=language_map(collection.description) if described else None,
        homepage=[
            _homepage(absolute_url("public.collection", slug=slug), collection_label(collection))
        ],
        provider=[alliance_agent()],
    )


def library_collection(code: str, page: int | None = None) -> str:
    """The public records a library owns or, after a merge, is credited on."""
    library = db.session.scalar(select(Library).where(Library.code == code))
    if library is None:
        raise NotFound(Message("no library {code}").format(code=code))
    credited = select(RecordContributor.record_id).where(RecordContributor.library_id == library.id)
    members = Members(
        "iiif_presentation.library_collection",
        {"code": code},
        library.name,
        or_(Record.library_id == library.id, Record.id.in_(credited)),
    )
    return _paged(members, page, provider=[alliance_agent(), library_agent(library)])


def page_size() -> int:
    return max(1, int(current_app.config.get("IIIF_COLLECTION_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def _paged(members: Members, page: int | None, **described: object) -> str:
    """The collection itself, or one of its pages when it has more members than a page holds."""
    where = and_(members.where, _is_public()) if members.join_collection else members.where
    if members.count is not None:
        total = members.count()
    else:
        total = db.session.scalar(
            select(func.count()).select_from(Record).join(Collection).where(where)
        )
    size = page_size()
    pages = max(1, -(-total // size))
    if page is None:
        collection = IIIFCollection(
            id=members.url(),
            label=language_map(members.label),
            partOf=[_top_reference()],
            items=[
                CollectionRef(
                    id=members.url(n), type="Collection", label=_page_label(members, n, pages)
                )
                for n in range(1, pages + 1)
                if pages > 1
            ],
            **described,
        )
        if pages > 1:
            return collection.json()
        return _with_items(collection, _manifest_refs(members, where, 0, size, total))
    if pages == 1 or not 1 <= page <= pages:
        raise NotFound(Message("no page {page}").format(page=page))
    collection = IIIFCollection(
        id=members.url(page),
        label=_page_label(members, page, pages),
        partOf=[Class(id=members.url(), type="Collection", label=language_map(members.label))],
        items=[],
    )
    return _with_items(collection, _manifest_refs(members, where, (page - 1) * size, size, total))


def _is_public() -> ColumnElement[bool]:
    """Of a record joined with its collection: what the public may see."""
    return and_(Record.status == RecordStatus.PUBLISHED, Collection.published)


def _manifest_refs(
    members: Members, where: ColumnElement[bool], offset: int, limit: int, total: int
) -> list[dict]:
    """One page of manifest references as plain JSON objects.

    A page holds up to a thousand; building each through iiif_prezi3's models and
    ``url_for`` cost most of a page's time, so the two URL patterns are made once and the
    objects written as they appear in the document (``id``, ``type``, ``label``,
    ``thumbnail``)."""
    ids = select(Record.id).join(Collection) if members.join_collection else select(Record.id)
    page, _backwards = page_query(Record.id, (where,), offset, limit, total, select_from=ids)
    # One statement: the page's ids off the index, then their rows and first images.
    first_image = (
        select(Asset.public_id)
        .where(Asset.record_id == Record.id)
        .order_by(Asset.position, Asset.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Record.public_id, Record.title, first_image.label("asset_id"))
        .where(Record.id.in_(select(page.subquery().c.id)))
        .order_by(Record.title_sort, Record.id)
    ).all()
    manifest = absolute_url("iiif_presentation.manifest", public_id=_SLOT).split(_SLOT)
    thumbnail = thumbnail_url(_SLOT).split(_SLOT)
    refs = []
    for row in rows:
        ref = {"id": row.public_id.join(manifest), "type": "Manifest", "label": neutral(row.title)}
        asset_id = row.asset_id
        if asset_id is not None:
            ref["thumbnail"] = [
                {"id": asset_id.join(thumbnail), "type": "Image", "format": "image/jpeg"}
            ]
        refs.append(ref)
    return refs


def _with_items(collection: IIIFCollection, items: list[dict]) -> str:
    """The collection's JSON with ready-made member objects as its ``items``."""
    document = json.loads(collection.json())
    document["items"] = items
    return orjson.dumps(document).decode()  # a thousand items: a tenth of json.dumps's time


def _libraries_with_public_records() -> list[Library]:
    """Owners from the kept counts; credited libraries from the few merged records."""
    owning = libraries_with_published_records()
    credited = (
        select(RecordContributor.library_id)
        .join(Record, Record.id == RecordContributor.record_id)
        .join(Collection)
        .where(_is_public())
    )
    return list(
        db.session.scalars(
            select(Library)
            .where(or_(Library.id.in_(sorted(owning)), Library.id.in_(credited)))
            .order_by(Library.code)
        )
    )


def _page_label(members: Members, number: int, pages: int) -> LanguageMap:
    def label(locale: str) -> str:
        if locale.startswith("zh"):
            return f"{members.label(locale)}（第 {number} 页，共 {pages} 页）"
        return f"{members.label(locale)} (page {number} of {pages})"

    return language_map(label)


def _top_reference() -> Class:
    return Class(
        id=absolute_url("iiif_presentation.top_collection"), type="Collection", label=TOP_LABEL
    )


def _homepage(url: str, label: LanguageMap) -> Homepage:
    return Homepage(id=url, type="Text", label=label, format="text/html")
