"""Themed collections and who reviews them."""

from __future__ import annotations

import re

from sqlalchemy import select

from repository.errors import Conflict, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Library
from repository.profiles import get_profile
from repository.services import stats
from repository.transactions import unit_of_work

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
) -> Collection:
    if not _SLUG.match(slug):
        raise Conflict(
            Message(
                "collection slug {slug!r} must be lower-case letters, digits and hyphens",
                "专题库标识「{slug}」只能包含小写字母、数字和连字符",
            ).format(slug=slug)
        )
    try:
        get_profile(profile)
    except LookupError as error:
        raise Conflict(Message(str(error), f"未知的模板：{profile}")) from None
    with unit_of_work():
        if db.session.scalar(select(Collection).where(Collection.slug == slug)) is not None:
            raise Conflict(
                Message("collection {slug} exists already", "专题库 {slug} 已存在").format(
                    slug=slug
                )
            )
        collection = Collection(
            slug=slug,
            profile_name=profile,
            title_zh=title_zh,
            title_en=title_en,
            description_zh=description_zh,
            description_en=description_en,
            coordinating_library=coordinating_library,
            default_rights=default_rights,
        )
        db.session.add(collection)
    return collection


def get_collection(slug: str, *, public: bool = False) -> Collection:
    collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
    if collection is None or (public and not collection.published):
        raise NotFound(Message("no collection {slug}", "没有专题库 {slug}").format(slug=slug))
    return collection


def public_collections() -> list[tuple[Collection, int]]:
    """Published collections with how many public records each has, in a stable order.

    The counts are kept with every record change (``stats``), not counted per request."""
    return stats.public_collection_counts()
