"""Collection profiles: each declares its fields once; schemas, forms, search, IIIF and Dublin
Core are all derived from that declaration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from repository.errors import HuikuError
from repository.messages import Message
from repository.profiles import generic, ich, natural_history
from repository.profiles.dates import YearRange, parse_date
from repository.profiles.fields import COMMON_FIELDS, Field, Kind, Term
from repository.profiles.validation import MetadataRules, split_repeatable

__all__ = [
    "Field",
    "Kind",
    "MetadataInvalid",
    "Profile",
    "Term",
    "get_profile",
    "profiles",
    "split_repeatable",
]


class MetadataInvalid(HuikuError):
    """Metadata that does not satisfy its profile; ``errors`` maps field keys to messages."""

    status = 422

    def __init__(self, errors: dict[str, list[Message]]) -> None:
        messages = [
            m if isinstance(m, Message) else Message.verbatim(str(m))
            for ms in errors.values()
            for m in ms
        ]
        super().__init__(Message.join(messages))
        self.errors = errors


@dataclass(frozen=True, eq=False)
class Profile:
    name: str
    label_zh: str
    label_en: str
    own_fields: tuple[Field, ...]

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        """The profile's own fields after the identifier, then images and rights."""
        local_id, images, rights = COMMON_FIELDS
        return (local_id, *self.own_fields, images, rights)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The spreadsheet columns, every field's key in order: the import template's header
        row and an export's, so an export re-imports as it is."""
        return tuple(field.key for field in self.fields)

    @cached_property
    def metadata_fields(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.in_metadata)

    @cached_property
    def facet_fields(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.facet)

    @cached_property
    def searchable_fields(self) -> tuple[Field, ...]:
        return tuple(field for field in self.metadata_fields if field.searchable)

    @cached_property
    def _by_header(self) -> dict[str, Field]:
        table: dict[str, Field] = {}
        for field in self.fields:
            for header in field.headers:
                table.setdefault(header.strip().lower(), field)
        return table

    def field(self, key: str) -> Field:
        return next(field for field in self.fields if field.key == key)

    def field_for_header(self, header: str) -> Field | None:
        """The field a spreadsheet column means, by key, Chinese or English label."""
        return self._by_header.get(header.replace("\u3000", " ").strip().lower())

    @cached_property
    def rules(self) -> MetadataRules:
        return MetadataRules(self)

    def validate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Cleaned metadata, or ``MetadataInvalid`` naming every field that is wrong."""
        cleaned, errors = self.rules.load(data)
        if errors:
            raise MetadataInvalid(errors)
        return cleaned

    def title_of(self, metadata: Mapping[str, Any]) -> str:
        return str(metadata.get("title", "")).strip()

    def year_range_of(self, metadata: Mapping[str, Any]) -> YearRange | None:
        """The normalised years of the first date field that has a value."""
        for field in self.metadata_fields:
            if field.kind is Kind.DATE and metadata.get(field.key):
                return parse_date(str(metadata[field.key]))
        return None

    def dublin_core(self, metadata: Mapping[str, Any]) -> dict[str, list[str]]:
        """The oai_dc crosswalk: Dublin Core element → values, in declaration order."""
        elements: dict[str, list[str]] = {}
        for field in self.metadata_fields:
            if field.dc is None or field.key not in metadata:
                continue
            values = metadata[field.key]
            for value in values if isinstance(values, list) else [values]:
                elements.setdefault(field.dc, []).append(str(value))
        return elements

    def display_items(
        self, metadata: Mapping[str, Any], locale: str
    ) -> list[tuple[Field, list[str]]]:
        """Each filled field with its values as a reader sees them (vocabulary terms translated)."""
        items = []
        for field in self.metadata_fields:
            if field.key not in metadata or field.key == "local_id":
                continue
            raw = metadata[field.key]
            values = raw if isinstance(raw, list) else [raw]
            items.append((field, [field.display_value(str(v), locale) for v in values]))
        return items


_PROFILES = {
    profile.name: profile
    for profile in (
        Profile("generic", "通用（都柏林核心）", "Generic (Dublin Core)", generic.FIELDS),
        Profile("ich", "非物质文化遗产", "Intangible cultural heritage", ich.FIELDS),
        Profile(
            "natural_history",
            "动植菌物",
            "Plants, animals and fungi",
            natural_history.FIELDS,
        ),
    )
}


def profiles() -> tuple[Profile, ...]:
    return tuple(_PROFILES.values())


def get_profile(name: str) -> Profile:
    try:
        return _PROFILES[name]
    except KeyError:
        raise LookupError(
            f"unknown collection profile {name!r}; known profiles: {', '.join(_PROFILES)}"
        ) from None
