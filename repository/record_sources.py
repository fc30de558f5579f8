"""Named selections of published records that one package offers and another consumes.

The search package knows how to turn a query string with its filters into matching records;
the exports in ``interop`` know how to write records out. Neither may import the other, so the
search package registers a *record source* here at init, and an export asks for it by name.
A source takes the request's arguments (name → list of values, as JSON keeps them, so a task
can run it again later) and answers the public ids of the matches in their order.

A source only narrows things down: whoever reads the records still keeps to the published
records of published collections, so a stale index can never let anything else out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app

EXTENSION = "huiku.record_sources"


@dataclass(frozen=True)
class FoundRecords:
    """The matches of a source: how many, their public ids (read lazily, page by page), and
    the collections they can come from (``None``: any public collection)."""

    total: int
    public_ids: Iterable[str]
    collections: tuple[str, ...] | None = None


#: ``source(arguments)``: raises ``HuikuError`` (a 400 or 404) when the arguments are wrong.
RecordSource = Callable[[Mapping[str, list[str]]], FoundRecords]


def register_record_source(app: Flask, name: str, source: RecordSource) -> None:
    app.extensions.setdefault(EXTENSION, {})[name] = source


def record_source(name: str) -> RecordSource | None:
    return current_app.extensions.get(EXTENSION, {}).get(name)
