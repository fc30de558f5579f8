"""What another repository says about a thing, in the generic profile's keys.

Dublin Core is mapped through the generic profile's own declaration: each ``dc`` element goes
to the field that declares it (the first ``title`` to *title*, further titles to *alternative*),
so a change of the profile changes the mapping. A IIIF manifest's label, summary and metadata
pairs are mapped the same way, the pairs by their label (``Creator``, ``创建者``, ``dc:creator``).

Problems of one record do not stop a harvest: a record without a title is stored under a
placeholder title made from its identifier, and a description longer than
``HARVEST_MAX_DESCRIPTION`` characters is cut there; both are noted as warnings in the run's
errors. A record that cannot be mapped at all raises ``MappingFailed`` and is counted failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harvest.settings import setting
from repository.messages import Message
from repository.profiles import Field, Profile, get_profile
from repository.profiles.dates import DateNotUnderstood, parse_date

GENERIC = "generic"
#: Fields never filled from another repository: the identifier is the source's own, images are
#: not copied.
_SKIPPED = {"local_id", "images"}
MAX_VALUE = 2_000  # characters of any one value other than the description
MAX_VALUES = 100  # values of one repeatable field


class MappingFailed(Exception):
    """The record cannot be made into a harvested record; the message says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Mapped:
    metadata: dict[str, Any]
    title: str
    year_start: int | None = None
    year_end: int | None = None
    original_url: str = ""
    thumbnail_url: str = ""
    manifest_url: str = ""
    warnings: list[Message] = field(default_factory=list)


def generic_profile() -> Profile:
    return get_profile(GENERIC)


@cache
def _fields_by_dc() -> dict[str, tuple[Field, ...]]:
    table: dict[str, list[Field]] = {}
    for item in generic_profile().metadata_fields:
        if item.dc and item.key not in _SKIPPED:
            table.setdefault(item.dc, []).append(item)
    return {element: tuple(fields) for element, fields in table.items()}


@cache
def _fields_by_label() -> dict[str, Field]:
    """A IIIF metadata label, lower case, to the field it names (key, labels, dc element)."""
    table: dict[str, Field] = {}
    for item in generic_profile().metadata_fields:
        if item.key in _SKIPPED:
            continue
        for name in (item.key, item.label_en, item.label_zh, *item.aliases):
            table.setdefault(name.strip().lower(), item)
    for element, fields in _fields_by_dc().items():
        table.setdefault(element, fields[0])
        table.setdefault(f"dc:{element}", fields[0])
    return table


def map_dublin_core(identifier: str, elements: Mapping[str, Iterable[str | None]]) -> Mapped:
    """An oai_dc record (element → values) in the generic profile's keys."""
    values: dict[str, list[str]] = {}
    for element, raw in elements.items():
        name = element.split("}")[-1].lower()
        clean = [_clean(v) for v in raw if v is not None and _clean(v)]
        if clean:
            values.setdefault(name, []).extend(clean)
    metadata: dict[str, Any] = {}
    for element, found in values.items():
        _place(metadata, _fields_by_dc().get(element, ()), found)
    urls = [v for v in values.get("identifier", []) if v.startswith(("http://", "https://"))]
    return _finish(identifier, metadata, original_url=urls[0] if urls else "")


def map_manifest(identifier: str, manifest: Mapping[str, Any]) -> Mapped:
    """A IIIF Presentation 3 manifest's descriptive properties in the generic profile's keys."""
    if not isinstance(manifest, Mapping) or manifest.get("type") not in ("Manifest", None):
        raise MappingFailed(_NOT_MANIFEST.format(type=str(manifest.get("type"))[:200]))
    metadata: dict[str, Any] = {}
    _place(metadata, _fields_by_dc().get("title", ()), language_values(manifest.get("label")))
    summary = language_values(manifest.get("summary"))
    if summary:
        _place(metadata, _fields_by_dc().get("description", ()), ["\n\n".join(summary)])
    for pair in manifest.get("metadata") or []:
        if not isinstance(pair, Mapping):
            continue
        labels = [label.strip().lower() for label in language_values(pair.get("label"))]
        target = next((_fields_by_label()[x] for x in labels if x in _fields_by_label()), None)
        if target is not None and target.key not in metadata:
            _place(metadata, (target,), language_values(pair.get("value")))
    rights = manifest.get("rights")
    if isinstance(rights, str) and "rights" not in metadata:
        metadata["rights"] = rights[:MAX_VALUE]
    homepage = _first_id(manifest.get("homepage")) or _first_id(manifest.get("rendering"))
    return _finish(
        identifier,
        metadata,
        original_url=homepage,
        thumbnail_url=_first_id(manifest.get("thumbnail")),
        manifest_url=str(manifest.get("id") or identifier),
    )


def language_values(value: Any) -> list[str]:
    """The strings of a IIIF language map ({"zh": [...], "en": [...]}), Chinese first."""
    if isinstance(value, str):
        return [_clean(value)] if _clean(value) else []
    if not isinstance(value, Mapping):
        return []
    ordered = sorted(value.items(), key=lambda item: (not str(item[0]).startswith("zh"), item[0]))
    found: list[str] = []
    for _language, texts in ordered:
        for text in texts if isinstance(texts, list) else [texts]:
            cleaned = _clean(str(text)) if text is not None else ""
            if cleaned and cleaned not in found:
                found.append(cleaned)
    return found


def _place(metadata: dict[str, Any], fields: tuple[Field, ...], values: list[str]) -> None:
    """Values of one element into its fields: a single-valued field takes the first, the next
    repeatable field the rest (title, then alternative titles)."""
    rest = list(values)
    for target in fields:
        if not rest:
            return
        if target.repeatable:
            existing = list(metadata.get(target.key, []))
            metadata[target.key] = (existing + [v[:MAX_VALUE] for v in rest])[:MAX_VALUES]
            return
        if target.key in metadata:
            continue
        if target.key == "description":
            metadata[target.key] = "\n\n".join(rest)
            return
        metadata[target.key] = rest.pop(0)[:MAX_VALUE]


def _finish(
    identifier: str,
    metadata: dict[str, Any],
    *,
    original_url: str = "",
    thumbnail_url: str = "",
    manifest_url: str = "",
) -> Mapped:
    warnings: list[Message] = []
    title = str(metadata.get("title") or "").strip()
    if not title:
        title = f"[Untitled: {identifier}]"[:500]
        metadata["title"] = title
        warnings.append(_NO_TITLE)
    limit = int(setting("HARVEST_MAX_DESCRIPTION"))
    description = metadata.get("description")
    if isinstance(description, str) and len(description) > limit:
        metadata["description"] = description[:limit] + "…"
        warnings.append(_LONG_DESCRIPTION.format(length=len(description), limit=limit))
    year_start = year_end = None
    date = metadata.get("date")
    if date:
        year_start, year_end = years_of(str(date))
    return Mapped(
        metadata=metadata,
        title=title[:500],
        year_start=year_start,
        year_end=year_end,
        original_url=original_url[:2000],
        thumbnail_url=thumbnail_url[:2000],
        manifest_url=manifest_url[:2000],
        warnings=warnings,
    )


def years_of(date: str) -> tuple[int | None, int | None]:
    """The years of a date as another repository writes it (``2011-06-18T10:00:00Z`` too);
    a date not understood is kept as written and simply gives no years."""
    date = date.strip()[:100]
    for text in dict.fromkeys((date, date[:10], date[:4])):
        try:
            years = parse_date(text)
        except DateNotUnderstood:
            continue
        return years.start, years.end
    return None, None


def _first_id(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            url = item["id"]
            if url.startswith(("http://", "https://")):
                return url
    return ""


def _clean(text: str) -> str:
    return " ".join(str(text).split()) if "\n" not in str(text) else str(text).strip()


_NOT_MANIFEST = Message("not a IIIF Manifest (type '{type}')")
_NO_TITLE = Message("the record has no title; stored under a placeholder title")
_LONG_DESCRIPTION = Message(
    "the description has {length} characters; cut to {limit} (HARVEST_MAX_DESCRIPTION)"
)
