"""What search adds to a record page: each facet value as a link to the search for it, and the
related records. The core's record page knows nothing of search; it uses these helpers when a
template context processor (registered by search.views) offers them, so the record page keeps
working, without them, in an app without the search package."""

from __future__ import annotations

import logging

from flask import url_for

from repository.i18n import current_locale
from repository.models import Record
from repository.profiles import Field
from search.backends import SearchUnavailable
from search.documents import build_document, facet_names, field_values
from search.engine import search_backend
from search.labels import value_label
from search.query import Hit
from search.related import RELATED_COUNT, shared_values

log = logging.getLogger(__name__)


def field_links(record: Record, field: Field) -> list[tuple[str, str]] | None:
    """(label, search URL) for each value of a facet field; None for fields that are no facet."""
    if not field.facet or field.key not in facet_names():
        return None
    locale = current_locale()
    return [
        (value_label(field, value, locale), url_for("search.search_page", f=f"{field.key}:{value}"))
        for value in field_values(record.metadata_.get(field.key))
    ]


def related_records(record: Record) -> list[Hit]:
    """Up to RELATED_COUNT published records of the same collection, most alike first; none
    when the record is not public or the engine cannot be reached (the page still shows)."""
    if not record.is_public:
        return []
    document = build_document(record)
    shared = shared_values(document["profile"], document["facets"])
    try:
        return search_backend().related(
            record.public_id, document["collection"], shared, RELATED_COUNT
        )
    except SearchUnavailable as error:
        log.warning("related records of %s: %s", record.public_id, error.detail)
        return []
