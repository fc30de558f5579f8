"""Turning index documents into what result lists show, the same way for every backend."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from search.documents import Document
from search.query import Hit, Origin, Suggestion
from search.text import QueryTerm, fold, highlight, match_spans

SNIPPET_LENGTH = 120


def hit_from_document(
    document: Document,
    terms: tuple[QueryTerm, ...],
    *,
    score: float | None,
    sort_values: tuple[Any, ...],
) -> Hit:
    display = document["display"]
    return Hit(
        id=document["id"],
        collection=document["collection"] or "",
        libraries=tuple(document["libraries"]),
        local_id=document["local_id"],
        title=display["title"],
        title_html=highlight(display["title"], terms),
        snippet=_snippet(display, terms),
        thumbnail=document.get("thumbnail"),
        year_start=document.get("year_start"),
        year_end=document.get("year_end"),
        score=score,
        sort_values=sort_values,
        names=tuple(display.get("names", ())),
        kind=document.get("kind", "record"),
        origins=tuple(Origin(**origin) for origin in document.get("origins", ())),
        thumbnail_url=document.get("thumbnail_url"),
    )


def _snippet(display: dict[str, Any], terms: tuple[QueryTerm, ...]) -> Markup:
    """The passage that matched (description before short fields), or the longest text."""
    texts: list[str] = sorted(display.get("text", []), key=len, reverse=True)
    texts += display.get("names", [])
    if terms:
        for text in texts:
            if spans := match_spans(text, terms):  # found once, marked with the same spans
                return highlight(text, terms, length=SNIPPET_LENGTH, spans=spans)
    # No text matched (the hit was found by its title, pinyin or a synonym): the longest text,
    # without looking for the terms in it again.
    return highlight(texts[0] if texts else "", terms, length=SNIPPET_LENGTH, spans=[])


def rank_suggestions(prefix: str, candidates: Iterable[Document], limit: int) -> list[Suggestion]:
    """Titles beginning with what was typed first, then shorter titles, then pinyin order."""
    folded = fold(prefix).strip()
    ordered = sorted(
        candidates,
        key=lambda d: (
            not d["search_title"].startswith(folded),
            len(d["search_title"]),
            d["title_sort"],
        ),
    )
    return [
        Suggestion(d["id"], d["display"]["title"], d["collection"] or "") for d in ordered[:limit]
    ]
