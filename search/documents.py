"""The index document of a published record, and the facets, both derived from the profiles.

Both backends index exactly this document. Text meant for matching is folded (simplified, lower
case) here; the ``display`` part keeps what readers see, for titles and snippets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from repository.models import Record
from repository.profiles import Field, Kind, get_profile, profiles
from search.text import fold

Document = dict[str, Any]


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
        return self.field.display_value(value, locale) if self.field else value


@cache
def facet_definitions() -> tuple[FacetDefinition, ...]:
    """Collection and library first, then every profile facet, each key once, in profile order."""
    facets = [
        FacetDefinition("collection", "专题库", "Collection"),
        FacetDefinition("library", "贡献馆", "Library"),
    ]
    seen = {"collection", "library"}
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


def _values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if v not in (None, "") and str(v).strip()]


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def document_version(record: Record) -> int:
    """Grows with every change of the record, so a late, stale write never wins."""
    return micros(record.updated_at)


def build_document(record: Record) -> Document:
    profile = get_profile(record.collection.profile_name)
    metadata = record.metadata_
    names: list[str] = []
    texts: list[str] = []
    facets: dict[str, list[str]] = {}
    for field in profile.metadata_fields:
        values = _values(metadata.get(field.key))
        if not values:
            continue
        if field.facet:
            facets[field.key] = values
        if not field.searchable or field.key == "title":
            continue
        shown = [field.display_value(v, "zh") for v in values]
        if field.kind is Kind.VOCABULARY:
            shown += [field.display_value(v, "en") for v in values]
        (names if _is_name(field) else texts).extend(shown)
    title = record.title or profile.title_of(metadata)
    first_image = record.assets[0] if record.assets else None
    return {
        "id": record.public_id,
        "version": document_version(record),
        "collection": record.collection.slug,
        "profile": profile.name,
        "libraries": [library.code for library in record.contributing_libraries],
        "local_id": record.local_id,
        "title_sort": record.title_sort,
        "year_start": record.year_start,
        "year_end": record.year_end,
        "published_at": (record.published_at or record.updated_at).isoformat(),
        "thumbnail": first_image.public_id if first_image else None,
        "facets": facets,
        "search_title": fold(title),
        "search_names": fold("\n".join(names)),
        "search_text": fold("\n".join(texts)),
        "display": {"title": title, "names": names, "text": texts},
    }
