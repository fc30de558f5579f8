"""Harvested records in the one-stop search: their documents, and the harvested copies that a
contributed record's document carries.

A harvested record (repository.models.harvest) is indexed while it is public (not deleted at
its source, its source enabled) and not matched to a public contributed record: while it is,
the contributed record's document carries its origin instead, so a hit and the facet counts
show the thing once. Its document has no collection; its library is the source's library and
the ``source`` facet holds the source's slug.

Versions: whether a harvested record is indexed depends on its own row, its source's and its
matched record's, so a document or deletion carries the latest of their change times, and of
the outbox row that asked for it (a record that stops matching changes none of them). Documents
are built from the database when applied, so the latest version is always the latest state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql import Select

from repository.chinese import pinyin_sort_key
from repository.extensions import db
from repository.models import Collection, Library, Record, RecordStatus
from repository.models.harvest import HARVESTED_ID_PREFIX, HarvestedRecord, HarvestSource
from repository.profiles import get_profile
from search.backends import Deletion
from search.documents import (
    KIND_FIELD,
    SOURCE_FACET,
    Document,
    field_values,
    micros,
)
from search.pinyin import name_pinyin
from search.text import fold

#: Harvested metadata is mapped to the generic profile's keys (harvest.mapping).
PROFILE = "generic"
HARVESTED = "harvested"


def is_harvested_id(public_id: str) -> bool:
    return public_id.startswith(HARVESTED_ID_PREFIX)


# -- which harvested records are public and unmatched ---------------------------------------------

_matched_public = and_(Record.status == RecordStatus.PUBLISHED, Collection.published.is_(True))


def _rows() -> Select:
    """Harvested records with what their documents and the decision to index them need."""
    return (
        select(
            HarvestedRecord.id,
            HarvestedRecord.public_id,
            HarvestedRecord.identifier,
            HarvestedRecord.metadata_,
            HarvestedRecord.title,
            HarvestedRecord.year_start,
            HarvestedRecord.year_end,
            HarvestedRecord.original_url,
            HarvestedRecord.thumbnail_url,
            HarvestedRecord.harvested_at,
            HarvestedRecord.updated_at,
            HarvestedRecord.deleted,
            HarvestSource.slug.label("source_slug"),
            HarvestSource.name.label("source_name"),
            HarvestSource.enabled.label("source_enabled"),
            HarvestSource.updated_at.label("source_updated_at"),
            Library.code.label("library_code"),
            Record.updated_at.label("match_updated_at"),
            func.coalesce(_matched_public, false()).label("matched_public"),
        )
        .join(HarvestSource, HarvestedRecord.source_id == HarvestSource.id)
        .join(Library, HarvestSource.library_id == Library.id)
        .outerjoin(Record, Record.id == HarvestedRecord.matched_record_id)
        .outerjoin(Collection, Collection.id == Record.collection_id)
    )


def _indexable() -> Any:
    """The SQL condition of ``_is_indexed``, for the rows of ``_rows``."""
    return and_(
        HarvestedRecord.deleted.is_(False),
        HarvestSource.enabled.is_(True),
        or_(Record.id.is_(None), ~func.coalesce(_matched_public, false())),
    )


def _is_indexed(row: Any) -> bool:
    return not row.deleted and row.source_enabled and not row.matched_public


def _state_changed_at(row: Any) -> datetime:
    """The last change of anything deciding the row's document (see the module's note)."""
    moments = [row.updated_at, row.source_updated_at, row.match_updated_at]
    return max(moment for moment in moments if moment is not None)


def public_harvested_ids() -> Select:
    """The public ids of the harvested records the index should hold."""
    return _rows().with_only_columns(HarvestedRecord.public_id).where(_indexable())


# -- documents ----------------------------------------------------------------------------------


def harvested_document(row: Any, version: int | None = None) -> Document:
    """A harvested record's document: the same text fields as a contributed record's, every
    metadata value searchable, no collection, and its source and original page."""
    profile = get_profile(PROFILE)
    metadata: Mapping[str, Any] = row.metadata_ or {}
    known = [field.key for field in profile.metadata_fields]
    names: list[str] = []
    texts: list[str] = []
    for key in known + sorted(set(metadata) - set(known)):
        if key == "title":
            continue
        values = field_values(metadata.get(key))
        (names if key == "alternative" else texts).extend(values)
    facets: dict[str, list[str]] = {
        field.key: values
        for field in profile.facet_fields
        if (values := field_values(metadata.get(field.key)))
    }
    facets[SOURCE_FACET] = [row.source_slug]
    facets[KIND_FIELD] = [HARVESTED]
    title = row.title or next(iter(field_values(metadata.get("title"))), "") or row.identifier
    pinyin_title, title_initials = name_pinyin([title])
    pinyin_names, name_initials = name_pinyin(names)
    origin = {
        "id": row.public_id,
        "source": row.source_slug,
        "name": row.source_name,
        "url": row.original_url,
    }
    return {
        "id": row.public_id,
        "version": version if version is not None else micros(_state_changed_at(row)),
        "kind": HARVESTED,
        "collection": None,
        "profile": PROFILE,
        "libraries": [row.library_code],
        "local_id": row.identifier,
        "title_sort": pinyin_sort_key(title),
        "year_start": row.year_start,
        "year_end": row.year_end,
        "published_at": row.harvested_at.isoformat(),
        "thumbnail": None,
        "thumbnail_url": row.thumbnail_url or None,
        "original_url": row.original_url,
        "origins": [origin],
        "facets": facets,
        "search_title": fold(title),
        "search_names": fold("\n".join(names)),
        "search_text": fold("\n".join(texts)),
        "pinyin_title": pinyin_title,
        "pinyin_names": pinyin_names,
        "pinyin_initials": " ".join(filter(None, (title_initials, name_initials))),
        "display": {"title": title, "names": names, "text": texts},
    }


@dataclass(frozen=True)
class Wanted:
    """A harvested record whose document is to be worked out again."""

    public_id: str
    asked_at: datetime  # when the outbox row (or the change) asking for it was made


def harvested_changes(wanted: Mapping[int, Wanted]) -> tuple[list[Document], list[Deletion]]:
    """What the index must now hold for these harvested records (by id): each one's document
    if it is public and unmatched, else its deletion; one gone from the database is deleted."""
    if not wanted:
        return [], []
    found = db.session.execute(_rows().where(HarvestedRecord.id.in_(wanted)))
    rows = {row.id: row for row in found}
    documents: list[Document] = []
    deletions: list[Deletion] = []
    for harvested_id, asked in wanted.items():
        row = rows.get(harvested_id)
        if row is None:
            deletions.append(Deletion(asked.public_id, micros(asked.asked_at)))
            continue
        version = max(micros(_state_changed_at(row)), micros(asked.asked_at))
        if _is_indexed(row):
            documents.append(harvested_document(row, version))
        else:
            deletions.append(Deletion(row.public_id, version))
    return documents, deletions


def matched_to(record_ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(harvested id, public id, record id) of the harvested records matched to these records."""
    ids = list(record_ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(
            HarvestedRecord.id, HarvestedRecord.public_id, HarvestedRecord.matched_record_id
        ).where(HarvestedRecord.matched_record_id.in_(ids))
    )
    return [(row[0], row[1], row[2]) for row in rows]


def origins_for(record_ids: Sequence[int]) -> dict[int, tuple[dict[str, str], ...]]:
    """The public harvested copies of these contributed records, by record id, in source order."""
    if not record_ids:
        return {}
    rows = db.session.execute(
        select(
            HarvestedRecord.matched_record_id,
            HarvestedRecord.public_id,
            HarvestSource.slug,
            HarvestSource.name,
            HarvestedRecord.original_url,
        )
        .join(HarvestSource, HarvestedRecord.source_id == HarvestSource.id)
        .where(
            HarvestedRecord.matched_record_id.in_(record_ids),
            HarvestedRecord.deleted.is_(False),
            HarvestSource.enabled.is_(True),
        )
        .order_by(HarvestedRecord.matched_record_id, HarvestSource.slug, HarvestedRecord.id)
    )
    found: dict[int, list[dict[str, str]]] = {}
    for record_id, public_id, slug, name, url in rows:
        found.setdefault(record_id, []).append(
            {"id": public_id, "source": slug, "name": name, "url": url}
        )
    return {record_id: tuple(origins) for record_id, origins in found.items()}


# -- rebuilding ---------------------------------------------------------------------------------


def public_harvested_documents(
    progress: Callable[[int], None] | None = None, batch_size: int = 500, done: int = 0
) -> Iterator[Document]:
    """Every public, unmatched harvested record's document, in batches of plain rows."""
    last_id = 0
    while True:
        rows = db.session.execute(
            _rows()
            .where(_indexable(), HarvestedRecord.id > last_id)
            .order_by(HarvestedRecord.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        for row in rows:
            yield harvested_document(row)
        last_id = rows[-1].id
        done += len(rows)
        if progress:
            progress(done)


def harvested_changed_since(moment: datetime, record_ids: Iterable[int]) -> dict[int, Wanted]:
    """Harvested records whose state changed at or after ``moment`` (their own row, their
    source's, or that of the records among ``record_ids`` they are matched to)."""
    ids = list(record_ids)
    conditions = [HarvestedRecord.updated_at >= moment, HarvestSource.updated_at >= moment]
    if ids:
        conditions.append(HarvestedRecord.matched_record_id.in_(ids))
    rows = db.session.execute(
        select(HarvestedRecord.id, HarvestedRecord.public_id)
        .join(HarvestSource, HarvestedRecord.source_id == HarvestSource.id)
        .where(or_(*conditions))
    )
    return {row.id: Wanted(row.public_id, moment) for row in rows}


def source_names() -> dict[str, str]:
    """Every harvest source's name by slug, for the source facet's labels."""
    rows = db.session.execute(select(HarvestSource.slug, HarvestSource.name))
    return {slug: name for slug, name in rows}
