"""The index document of a published record, and the facets, both derived from the profiles.

Both backends index exactly this document. Text meant for matching is folded (simplified, lower
case) here; the ``display`` part keeps what readers see, for titles and snippets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from repository.media.discovery import first_recording_id, media_kinds
from repository.models import Record
from repository.profiles import Field, Kind, Profile, get_profile, profiles
from search.labels import value_label
from search.pinyin import name_pinyin
from search.text import fold

Document = dict[str, Any]

#: The facet telling this repository's records from harvested ones, by source.
SOURCE_FACET = "source"
#: The source facet's value for this repository's own (contributed) records.
OWN_SOURCE = "huiku"
#: A filter-only field (never shown as a facet): "record" or "harvested", so exports of search
#: results can leave harvested records out whatever source filter the search has.
KIND_FIELD = "kind"


@dataclass(frozen=True)
class FacetDefinition:
    """A facet: a keyword field of the index document, with the labels readers see."""

    name: str
    label_zh: str
    label_en: str
    field: Field | None = None  # the profile field it comes from; None for collection and library

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en

    def value_label(self, value: str, locale: str) -> str:
        return value_label(self.field, value, locale) if self.field else value


@cache
def facet_definitions() -> tuple[FacetDefinition, ...]:
    """Collection and library first, then every profile facet, each key once, in profile order."""
    facets = [
        FacetDefinition("collection", "专题库", "Collection"),
        FacetDefinition("library", "贡献馆", "Library"),
        # This repository's own records, or the harvested source a record comes from (or a
        # contributed record's harvested copies came from): search.harvested.
        FacetDefinition(SOURCE_FACET, "来源", "Source"),
        FacetDefinition("media", "音视频", "Audio and video"),
    ]
    seen = {"collection", "library", SOURCE_FACET, "media"}
    for profile in profiles():
        for field in profile.facet_fields:
            if field.key not in seen:
                seen.add(field.key)
                facets.append(FacetDefinition(field.key, field.label_zh, field.label_en, field))
    return tuple(facets)


@cache
def facet_names() -> frozenset[str]:
    return frozenset(facet.name for facet in facet_definitions())


def facet_definition(name: str, profile_name: str | None = None) -> FacetDefinition:
    """A facet by name; within one collection, labelled as that collection's profile labels it."""
    facet = next(f for f in facet_definitions() if f.name == name)
    if profile_name and facet.field:
        profile = get_profile(profile_name)
        own = next((f for f in profile.facet_fields if f.key == name), None)
        if own is not None:
            return FacetDefinition(name, own.label_zh, own.label_en, own)
    return facet


def _is_name(field: Field) -> bool:
    """Other names of the thing (alternative titles, scientific and common names)."""
    return field.dc == "title" and field.key != "title"


def field_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if v not in (None, "") and str(v).strip()]


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def document_version(record: Record) -> int:
    """Grows with every change of the record, so a late, stale write never wins."""
    return micros(record.updated_at)


@dataclass(frozen=True)
class IndexSource:
    """What a record's document is made from; read from a Record, or as plain rows when
    rebuilding a large index (where loading ORM objects would cost more than indexing)."""

    public_id: str
    local_id: str
    collection: str
    profile: str
    libraries: list[str]  # the owning library first
    metadata: dict[str, Any]
    title: str
    title_sort: str
    year_start: int | None
    year_end: int | None
    published_at: datetime | None
    updated_at: datetime
    thumbnail: str | None  # the first image's asset id
    media: tuple[str, ...] = ()  # "audio", "video": the record's recordings (repository.media)
    #: Harvested copies of the record (search.harvested.origins_for): {"id", "source", "name",
    #: "url"} each; their sources join the source facet and hits show them as "also in".
    origins: tuple[dict[str, str], ...] = ()

    @classmethod
    def of(cls, record: Record, origins: tuple[dict[str, str], ...] = ()) -> IndexSource:
        return cls(
            public_id=record.public_id,
            local_id=record.local_id,
            collection=record.collection.slug,
            profile=record.collection.profile_name,
            libraries=[library.code for library in record.contributing_libraries],
            metadata=record.metadata_,
            title=record.title,
            title_sort=record.title_sort,
            year_start=record.year_start,
            year_end=record.year_end,
            published_at=record.published_at,
            updated_at=record.updated_at,
            thumbnail=record.assets[0].public_id if record.assets else first_recording_id(record),
            media=media_kinds(record),
            origins=origins,
        )


def build_document(record: Record, origins: tuple[dict[str, str], ...] = ()) -> Document:
    return document_from(IndexSource.of(record, origins))


@dataclass(frozen=True)
class _IndexedField:
    """How a profile field's values enter a document, worked out once per profile: a rebuild
    makes hundreds of thousands of documents from the same few fields."""

    key: str
    facet: bool
    role: str | None  # "names", "texts", or None when not searched
    bilingual: bool  # a vocabulary's values are searched in both languages
    english: dict[str, str]  # vocabulary value → English label (its Chinese label is the value)


@cache
def _indexed_fields(profile: Profile) -> tuple[_IndexedField, ...]:
    indexed = []
    for field in profile.metadata_fields:
        english: dict[str, str] = {}
        for term in field.vocabulary:  # the first term of a value wins, as in Field.term
            english.setdefault(term.value, term.label("en"))
        searched = field.searchable and field.key != "title"
        role = ("names" if _is_name(field) else "texts") if searched else None
        indexed.append(
            _IndexedField(field.key, field.facet, role, field.kind is Kind.VOCABULARY, english)
        )
    return tuple(indexed)


@lru_cache(maxsize=16_384)
def _folded(text: str) -> str:
    """``fold`` of titles and names, which repeat across a collection's records."""
    return fold(text)


@lru_cache(maxsize=16_384)
def _title_pinyin(title: str) -> tuple[str, str]:
    return name_pinyin([title])


@lru_cache(maxsize=16_384)
def _names_pinyin(names: tuple[str, ...]) -> tuple[str, str]:
    return name_pinyin(list(names))


def document_from(source: IndexSource) -> Document:
    profile = get_profile(source.profile)
    metadata = source.metadata
    lines: dict[str, list[str]] = {"names": [], "texts": []}
    facets: dict[str, list[str]] = {}
    for field in _indexed_fields(profile):
        value = metadata.get(field.key)
        if value is None:
            continue
        if type(value) is str:  # the usual single value, without field_values' generality
            value = value.strip()
            if not value:
                continue
            values = [value]
        else:
            values = field_values(value)
            if not values:
                continue
        if field.facet:
            facets[field.key] = values
        if field.role is None:
            continue
        shown = lines[field.role]
        shown += values  # the Chinese label of a vocabulary term is its value
        if field.bilingual:
            shown += [field.english.get(v, v) for v in values]
    names, texts = lines["names"], lines["texts"]
    if source.media:  # the "has audio / has video" facet
        facets["media"] = list(source.media)
    facets[SOURCE_FACET] = (
        list(dict.fromkeys([OWN_SOURCE, *(o["source"] for o in source.origins)]))
        if source.origins
        else [OWN_SOURCE]
    )
    facets[KIND_FIELD] = ["record"]
    title = source.title or profile.title_of(metadata)
    pinyin_title, title_initials = _title_pinyin(title)
    pinyin_names, name_initials = _names_pinyin(tuple(names))
    return {
        "id": source.public_id,
        "version": micros(source.updated_at),
        "kind": "record",
        "collection": source.collection,
        "profile": profile.name,
        "libraries": source.libraries,
        "local_id": source.local_id,
        "title_sort": source.title_sort,
        "year_start": source.year_start,
        "year_end": source.year_end,
        "published_at": (source.published_at or source.updated_at).isoformat(),
        "thumbnail": source.thumbnail,
        "origins": [dict(origin) for origin in source.origins],
        "facets": facets,
        "search_title": _folded(title),
        "search_names": _folded("\n".join(names)),
        "search_text": fold("\n".join(texts)),
        # Toneless pinyin of the title and other names, and their initials (search.pinyin).
        "pinyin_title": pinyin_title,
        "pinyin_names": pinyin_names,
        "pinyin_initials": " ".join(filter(None, (title_initials, name_initials))),
        "display": {"title": title, "names": names, "text": texts},
    }
