"""What a record page carries for reference managers and search engines.

``citation_*`` meta tags are what Google Scholar indexes and what Zotero's "Embedded Metadata"
translator reads (title, one ``citation_author`` per author, ``citation_publication_date`` as
``YYYY/MM/DD`` or ``YYYY``); the schema.org JSON-LD describes the same record for other
crawlers. Both come from the one ``Citation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup

from interop.citations.model import Citation, citation_of
from interop.citations.styles import apa, gbt7714
from repository.models import Record


def meta_tags(citation: Citation) -> list[tuple[str, str]]:
    tags = [("citation_title", citation.title)]
    tags += [("citation_author", name) for name in citation.authors]
    if citation.scholar_date:
        tags.append(("citation_publication_date", citation.scholar_date))
        tags.append(("citation_date", citation.scholar_date))
    tags += [
        ("citation_publisher", citation.library_zh),
        ("citation_collection_title", citation.collection_zh),
        ("citation_public_url", citation.url),
        ("citation_abstract_html_url", citation.url),
        ("citation_language", "zh"),
    ]
    if citation.keywords:
        tags.append(("citation_keywords", "; ".join(citation.keywords)))
    tags += [
        ("DC.title", citation.title),
        *(("DC.creator", name) for name in citation.authors),
        ("DC.publisher", citation.library_zh),
        ("DC.identifier", citation.url),
    ]
    if citation.date_as_written:
        tags.append(("DC.date", citation.date_as_written))
    return tags


def json_ld(citation: Citation) -> dict[str, Any]:
    author_type = "Organization" if citation.corporate_author else "Person"
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "@id": citation.url,
        "url": citation.url,
        "name": citation.title,
        "identifier": citation.identifier,
        "author": [{"@type": author_type, "name": name} for name in citation.authors],
        "isPartOf": {"@type": "Collection", "name": citation.collection_zh},
        "provider": {"@type": "Library", "name": citation.library_zh},
        "inLanguage": "zh",
    }
    if citation.date_as_written:
        document["temporalCoverage" if not citation.full_date else "dateCreated"] = (
            "-".join(citation.full_date) if citation.full_date else citation.date_as_written
        )
    if citation.description:
        document["description"] = citation.description
    if citation.keywords:
        document["keywords"] = list(citation.keywords)
    if citation.licence:
        document["license"] = citation.licence
    elif citation.rights:
        document["copyrightNotice"] = citation.rights
    return document


@dataclass(frozen=True)
class CitationBlock:
    """Everything the record page shows or embeds, ready for its template."""

    meta: list[tuple[str, str]]
    json_ld: dict[str, Any]
    gbt7714: str
    apa: Markup
    ris_url: str
    bibtex_url: str


def record_citation(record: Record) -> CitationBlock:
    citation = citation_of(record)
    return CitationBlock(
        meta=meta_tags(citation),
        json_ld=json_ld(citation),
        gbt7714=gbt7714(citation),
        apa=apa(citation),
        ris_url=url_for("citations.ris", public_id=record.public_id),
        bibtex_url=url_for("citations.bibtex", public_id=record.public_id),
    )
