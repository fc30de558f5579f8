"""A IIIF Presentation 3.0 manifest per published record, built with iiif-prezi3.

Every text a reader sees comes as a language map in the two UI languages, derived from the
collection profile: field labels in Chinese and English, vocabulary terms translated, and text a
cataloguer typed (names, titles, notes) under ``none``, because its language is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask import current_app
from iiif_prezi3 import (
    Annotation,
    AnnotationBody,
    AnnotationPage,
    Base,
    Canvas,
    Class,
    Homepage,
    KeyValueString,
    LinkedResource,
    Manifest,
    Provider,
    ServiceV3,
)

from iiif import av
from iiif.presentation_http import absolute_url, image_service_url
from repository.images import file_store
from repository.images.derivatives import load_derivative_set
from repository.models import Asset, Collection, Library, Record
from repository.profiles import Field

#: IIIF language tag → Huiku locale, in the order viewers should prefer them.
LANGUAGES = (("zh-Hans", "zh_Hans_CN"), ("en", "en"))

THUMBNAIL_SIZE = 200

LanguageMap = dict[str, list[str]]
#: Huiku locale → the record's filled fields with their values as a reader of it sees them.
DisplayedFields = dict[str, list[tuple[Field, list[str]]]]


def language_map(text_for: Callable[[str], str | list[str]]) -> LanguageMap:
    """The text in each UI language; the same text in all of them is language-neutral (``none``)."""
    values = {}
    for tag, locale in LANGUAGES:
        text = text_for(locale)
        texts = [text] if isinstance(text, str) else list(text)
        if any(texts):  # a language with nothing to say is left out, not given ""
            values[tag] = texts
    if not values:
        return {"none": [""]}
    distinct = {tuple(texts) for texts in values.values()}
    if len(values) == len(LANGUAGES) and len(distinct) == 1:
        return {"none": next(iter(values.values()))}
    return values


def bilingual(zh: str, en: str) -> LanguageMap:
    """A fixed Chinese/English pair, e.g. a label Huiku itself provides."""
    return language_map(lambda locale: zh if locale.startswith("zh") else en)


def neutral(text: str) -> LanguageMap:
    return {"none": [text]}


def iiif_rights(value: str | None) -> str | None:
    """The rights URI in the form IIIF requires (http, Creative Commons or RightsStatements.org).

    The two bodies publish their URIs with ``http``; cataloguers often paste ``https``.
    Anything else (a short statement) is not a ``rights`` value; it stays in ``metadata``.
    """
    if not value:
        return None
    uri = value.strip()
    for host, path in (
        ("creativecommons.org", "/licenses/"),
        ("creativecommons.org", "/publicdomain/"),
        ("rightsstatements.org", "/vocab/"),
    ):
        for scheme in ("http://", "https://"):
            prefix = f"{scheme}{host}{path}"
            if uri.startswith(prefix) and len(uri) > len(prefix) and " " not in uri:
                return f"http://{host}{path}{uri[len(prefix) :]}"
    return None


def build_manifest(record: Record) -> str:
    """The manifest of a public record as JSON text (the costly step; see ``manifest_cache``)."""
    manifest_id = absolute_url("iiif_presentation.manifest", public_id=record.public_id)
    collection = record.collection
    displayed = {
        locale: collection.profile.display_items(record.metadata_, locale)
        for _, locale in LANGUAGES
    }
    thumbnails = [_thumbnail(asset) for asset in record.assets]
    rights = iiif_rights(record.metadata_.get("rights") or collection.default_rights)
    manifest = Manifest(
        id=manifest_id,
        label=neutral(record.title),
        summary=_summary(displayed),
        metadata=_metadata(displayed, collection),
        requiredStatement=KeyValueString(
            label=bilingual("提供者", "Provided by"),
            value=language_map(lambda locale: _names(record.contributing_libraries, locale)),
        ),
        rights=rights,
        navDate=_nav_date(record.year_start),
        provider=[alliance_agent(), *(library_agent(lib) for lib in record.contributing_libraries)],
        homepage=[
            Homepage(
                id=absolute_url("public.record", public_id=record.public_id),
                type="Text",
                label=neutral(record.title),
                format="text/html",
                language=[tag for tag, _ in LANGUAGES],
            )
        ],
        seeAlso=[
            LinkedResource(
                id=absolute_url("public.record_json", public_id=record.public_id),
                type="Dataset",
                label=bilingual("记录元数据（JSON）", "Record metadata (JSON)"),
                format="application/json",
            )
        ],
        partOf=[collection_reference(collection), library_reference(record.library)],
        thumbnail=(thumbnails[0] if thumbnails else None) or av.first_thumbnail(record),
        items=av.in_catalogued_order(  # recordings (iiif/av.py) among the images
            manifest_id,
            record,
            [
                _canvas(manifest_id, asset, thumbnail)
                for asset, thumbnail in zip(record.assets, thumbnails, strict=True)
            ],
        ),
    )
    return manifest.json()


def alliance_agent() -> Provider:
    config = current_app.config
    home = absolute_url("public.home")
    return Provider(
        id=home,
        label=bilingual(config["ALLIANCE_NAME_ZH"], config["ALLIANCE_NAME_EN"]),
        homepage=[
            Homepage(
                id=home,
                type="Text",
                label=bilingual("汇库", "Huiku"),
                format="text/html",
            )
        ],
    )


def library_agent(library: Library) -> Provider:
    """A member library; its IIIF collection is the nearest thing Huiku has to a page for it."""
    collection_url = absolute_url("iiif_presentation.library_collection", code=library.code)
    return Provider(id=f"{collection_url}#agent", label=library_label(library))


def collection_reference(collection: Collection, kind: type[Base] = Class) -> Base:
    """A link to the collection's IIIF Collection; ``kind`` is what the referring property takes."""
    return kind(
        id=absolute_url("iiif_presentation.collection", slug=collection.slug),
        type="Collection",
        label=collection_label(collection),
    )


def library_reference(library: Library, kind: type[Base] = Class) -> Base:
    return kind(
        id=absolute_url("iiif_presentation.library_collection", code=library.code),
        type="Collection",
        label=library_label(library),
    )


def collection_label(collection: Collection) -> LanguageMap:
    return language_map(collection.title)


def library_label(library: Library) -> LanguageMap:
    return language_map(library.name)


def thumbnail_url(asset_id: str) -> str:
    """The 200-pixel thumbnail made on ingest: a plain file, cheaper than any Image API request."""
    return absolute_url("ingest.thumbnail", asset_id=asset_id, size=THUMBNAIL_SIZE)


def _canvas(manifest_id: str, asset: Asset, thumbnail: list[AnnotationBody] | None) -> Canvas:
    canvas_id = f"{manifest_id}/canvas/{asset.public_id}"
    service_id = image_service_url(asset.public_id)
    image = AnnotationBody(
        id=f"{service_id}/full/max/0/default.jpg",
        type="Image",
        format="image/jpeg",
        width=asset.width,
        height=asset.height,
        service=[_image_service(service_id)],
    )
    return Canvas(
        id=canvas_id,
        label=neutral(asset.label) if asset.label else None,
        width=asset.width,
        height=asset.height,
        thumbnail=thumbnail,
        items=[
            AnnotationPage(
                id=f"{canvas_id}/page",
                items=[
                    Annotation(
                        id=f"{canvas_id}/painting",
                        motivation="painting",
                        body=image,
                        target=canvas_id,
                    )
                ],
            )
        ],
    )


def _image_service(service_id: str) -> ServiceV3:
    return ServiceV3(id=service_id, type="ImageService3", profile="level2")


def _thumbnail(asset: Asset) -> list[AnnotationBody] | None:
    """The ingest thumbnail with its real size; none while the derivatives are still being made."""
    derivatives = (
        load_derivative_set(file_store(), asset.sha256) if asset.derivatives_ready else None
    )
    made = [t for t in derivatives.thumbnails if t.size == THUMBNAIL_SIZE] if derivatives else []
    if not made:
        return None
    return [
        AnnotationBody(
            id=thumbnail_url(asset.public_id),
            type="Image",
            format="image/jpeg",
            width=made[0].width,
            height=made[0].height,
            service=[_image_service(image_service_url(asset.public_id))],
        )
    ]


def _metadata(displayed: DisplayedFields, collection: Collection) -> list[KeyValueString]:
    """Every filled profile field, then the collection, as label/value pairs in both languages."""
    fields = [field for field, _ in displayed[LANGUAGES[0][1]]]
    entries = [
        KeyValueString(
            label=language_map(field.label),
            value=language_map(lambda locale, index=index: displayed[locale][index][1]),
        )
        for index, field in enumerate(fields)
    ]
    entries.append(
        KeyValueString(label=bilingual("专题库", "Collection"), value=collection_label(collection))
    )
    return entries


def _summary(displayed: DisplayedFields) -> LanguageMap | None:
    """The record's classification in one line: its facet fields with their values."""
    if not any(field.facet for field, _ in displayed[LANGUAGES[0][1]]):
        return None

    def line(locale: str) -> str:
        zh = locale.startswith("zh")
        return ("；" if zh else "; ").join(
            field.label(locale) + ("：" if zh else ": ") + ("、" if zh else ", ").join(values)
            for field, values in displayed[locale]
            if field.facet
        )

    return language_map(line)


def _names(libraries: Iterable[Library], locale: str) -> str:
    return ("、" if locale.startswith("zh") else "; ").join(lib.name(locale) for lib in libraries)


def _nav_date(year: int | None) -> datetime | None:
    """Viewers place the record on a timeline by the first year of its date."""
    if year is None or not 1 <= year <= 9999:
        return None
    return datetime(year, 1, 1, tzinfo=UTC)
