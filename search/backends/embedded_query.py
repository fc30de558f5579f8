"""The embedded backend's searching: FTS5 match expressions for query terms, the matching
documents gathered once into a temporary table, then the page of hits and the facet counts read
from it. Every function takes an open connection inside a read transaction (search.backends.
embedded opens them).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from search.documents import Document, facet_definitions
from search.hits import hit_from_document
from search.query import CursorInvalid, FacetValue, Hit, SearchRequest, Sort
from search.related import SharedValue
from search.relaxed import EXACT_BOOST, WHOLE_TITLE_BOOST, Relaxation, whole_titles
from search.text import QueryTerm, tokens

TEXT_COLUMNS = ("search_title", "search_names", "search_text")
PINYIN_COLUMNS = ("pinyin_title", "pinyin_names", "pinyin_initials")
FTS_COLUMNS = TEXT_COLUMNS + PINYIN_COLUMNS
TITLE_WEIGHT, NAMES_WEIGHT, TEXT_WEIGHT = 8.0, 4.0, 1.0
# Pinyin of titles and names, and initials (search.pinyin): found, but below the characters.
PINYIN_TITLE_WEIGHT, PINYIN_NAMES_WEIGHT, INITIALS_WEIGHT = 2.0, 1.0, 1.5


def phrase(phrase_tokens: Sequence[str]) -> str:
    """An FTS5 string of the tokens: whatever is inside is text to find, never syntax."""
    text = " ".join(phrase_tokens)
    return '"' + text.replace('"', '""') + '"'


def columns(columns: Sequence[str]) -> str:
    return "{" + " ".join(columns) + "}"


def _term_match(term: QueryTerm, *, pinyin: bool = True) -> str:
    """The term as a phrase in the title, names or text; or, read as pinyin, as a phrase of
    syllables in the pinyin of the title or names, or as their initials; or a synonym of it."""
    choices = [
        f"{columns(TEXT_COLUMNS)} : {phrase(tokens(text))}"
        for text in (term.text, *term.synonyms)  # synonyms: search.synonyms, one level
        if tokens(text)
    ]
    if pinyin:
        choices += [f"{columns(PINYIN_COLUMNS[:2])} : {phrase(reading)}" for reading in term.pinyin]
        if term.initials:
            choices.append(f"pinyin_initials : {phrase([term.initials])}")
    return "(" + " OR ".join(choices) + ")"


def _any_of(terms: Sequence[QueryTerm]) -> str:
    return " OR ".join(_term_match(term, pinyin=False) for term in terms)


# The key each sort orders by (relevance: BM25, higher is better; it needs words to match, which
# SearchRequest.effective_sort guarantees), and the sorts that put the highest key first.
_SORT_KEYS = {
    Sort.RELEVANCE: (
        f"-bm25(fts, {TITLE_WEIGHT}, {NAMES_WEIGHT}, {TEXT_WEIGHT}, "
        f"{PINYIN_TITLE_WEIGHT}, {PINYIN_NAMES_WEIGHT}, {INITIALS_WEIGHT})"
    ),
    Sort.TITLE: "d.title_sort",
    Sort.DATE: "d.year_start",  # records without a date come last
    Sort.NEWEST: "d.published",
}
_DESCENDING = {Sort.RELEVANCE, Sort.NEWEST}
_CURSOR_KEY_TYPES: dict[Sort, tuple[type, ...]] = {
    Sort.RELEVANCE: (float, int),
    Sort.TITLE: (str,),
    Sort.DATE: (int, type(None)),
    Sort.NEWEST: (int,),
}


def checked_cursor(sort: Sort, after: tuple[Any, ...] | None) -> tuple[Any, str] | None:
    """The cursor as (key, id); one that this sort cannot have produced is refused."""
    if after is None:
        return None
    if len(after) != 2 or not isinstance(after[1], str):
        raise CursorInvalid()
    key = after[0]
    if isinstance(key, bool) or not isinstance(key, _CURSOR_KEY_TYPES[sort]):
        raise CursorInvalid()
    return key, after[1]


def collect_matches(
    connection: sqlite3.Connection,
    request: SearchRequest,
    included: tuple[QueryTerm, ...],
    excluded: tuple[QueryTerm, ...],
    sort: Sort,
    filters: dict[str, tuple[str, ...]],
    relaxation: Relaxation | None = None,
) -> None:
    """Fill ``temp.matched`` with the documents that match the words and the years and miss at
    most one facet filter, whose name ``missed`` holds (NULL: they pass every filter). These
    rows are all that the hits (missed IS NULL) and the facet counts (each facet counting
    without its own filter) need, so the costly matching runs once.

    With a ``relaxation`` (search.relaxed) the words match when most of its units do."""
    connection.execute(
        "CREATE TEMP TABLE matched (doc INTEGER PRIMARY KEY, id TEXT NOT NULL, key, missed TEXT)"
    )
    conditions: list[str] = []
    parameters: list[Any] = []
    key = _SORT_KEYS[sort]
    if included and relaxation is not None:
        source = "fts JOIN documents d ON d.doc = fts.rowid"
        match = " OR ".join(_term_match(term) for term in relaxation.scored)
        if excluded:
            match = f"({match}) NOT ({_any_of(excluded)})"
        conditions.append("fts MATCH ?")
        parameters.append(match)
        counted = " + ".join(
            "(d.doc IN (SELECT rowid FROM fts WHERE fts MATCH ?))" for _ in relaxation.units
        )
        conditions.append(f"({counted}) >= ?")
        parameters += [_term_match(term) for term in relaxation.units]
        parameters.append(relaxation.required)
        if sort is Sort.RELEVANCE:  # every word matching ranks above any near miss
            connection.execute("CREATE TEMP TABLE exact (doc INTEGER PRIMARY KEY)")
            connection.execute(
                "INSERT INTO temp.exact SELECT rowid FROM fts WHERE fts MATCH ?",
                [" AND ".join(_term_match(term) for term in included)],
            )
            key = f"(d.doc IN temp.exact) * {EXACT_BOOST} + {key}"
    elif included:
        source = "fts JOIN documents d ON d.doc = fts.rowid"
        match = " AND ".join(_term_match(term) for term in included)
        if excluded:
            match = f"({match}) NOT ({_any_of(excluded)})"
        conditions.append("fts MATCH ?")
        parameters.append(match)
    else:
        source = "documents d"
        if excluded:
            conditions.append("d.doc NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            parameters.append(_any_of(excluded))
    for name, values in request.without.items():
        conditions.append(
            "d.doc NOT IN (SELECT doc FROM facets WHERE name = ? AND value IN "
            f"({', '.join('?' * len(values))}))"
        )
        parameters += [name, *values]
    if request.year_from is not None:
        conditions.append("d.year_end >= ?")
        parameters.append(request.year_from)
    if request.year_to is not None:
        conditions.append("d.year_start <= ?")
        parameters.append(request.year_to)
    if sort is Sort.RELEVANCE and (titles := whole_titles(request.query)):
        connection.execute("CREATE TEMP TABLE titles (title TEXT PRIMARY KEY)")
        connection.executemany(
            "INSERT OR IGNORE INTO temp.titles VALUES (?)", [(t,) for t in titles]
        )
        key = f"(d.search_title IN temp.titles) * {WHOLE_TITLE_BOOST} + {key}"
    where = " AND ".join(conditions) or "1"
    if not filters:
        connection.execute(
            f"""INSERT INTO temp.matched (doc, id, key, missed)
                SELECT d.doc, d.id, {key}, NULL FROM {source} WHERE {where}""",
            parameters,
        )
        return
    misses, miss_parameters, names = [], [], []
    for number, (name, values) in enumerate(filters.items()):
        misses.append(
            "d.doc NOT IN (SELECT doc FROM facets WHERE name = ? AND value IN "
            f"({', '.join('?' * len(values))})) AS miss_{number}"
        )
        miss_parameters += [name, *values]
        names.append(name)
    which = " ".join(f"WHEN miss_{number} THEN ?" for number in range(len(names)))
    missed_count = " + ".join(f"miss_{number}" for number in range(len(names)))
    connection.execute(
        f"""INSERT INTO temp.matched (doc, id, key, missed)
            SELECT doc, id, key, CASE {which} END FROM (
                SELECT d.doc AS doc, d.id AS id, {key} AS key, {", ".join(misses)}
                FROM {source} WHERE {where}
            ) WHERE {missed_count} <= 1""",
        [*names, *miss_parameters, *parameters],
    )


def page_of_hits(
    connection: sqlite3.Connection,
    request: SearchRequest,
    included: tuple[QueryTerm, ...],
    sort: Sort,
    after: tuple[Any, str] | None,
) -> tuple[Hit, ...]:
    """The requested page of hits, after an offset or after the cursor's (key, id)."""
    direction = "DESC" if sort in _DESCENDING else "ASC"
    order = f"key {direction}, id"
    if sort is Sort.DATE:
        order = f"key IS NULL, {order}"
    condition, parameters = "", []
    if after is not None:
        key, last_id = after
        beyond = "<" if direction == "DESC" else ">"
        if sort is Sort.DATE and key is None:
            condition, parameters = "AND key IS NULL AND id > ?", [last_id]
        elif sort is Sort.DATE:
            condition = f"AND (key {beyond} ? OR (key = ? AND id > ?) OR key IS NULL)"
            parameters = [key, key, last_id]
        else:
            condition = f"AND (key {beyond} ? OR (key = ? AND id > ?))"
            parameters = [key, key, last_id]
    rows = connection.execute(
        f"""SELECT doc, id, key FROM temp.matched WHERE missed IS NULL {condition}
            ORDER BY {order} LIMIT ? OFFSET ?""",
        [*parameters, request.per_page, request.offset],
    ).fetchall()
    bodies = read_bodies(connection, [doc for doc, _, _ in rows])
    scored = sort is Sort.RELEVANCE
    return tuple(
        hit_from_document(
            bodies[doc], included, score=key if scored else None, sort_values=(key, key_id)
        )
        for doc, key_id, key in rows
    )


def year_counts(connection: sqlite3.Connection) -> tuple[tuple[int, int], ...]:
    """How many hits begin in each year (the histogram over the date range)."""
    rows = connection.execute(
        """SELECT d.year_start, count(*) FROM temp.matched m JOIN documents d ON d.doc = m.doc
            WHERE m.missed IS NULL AND d.year_start IS NOT NULL GROUP BY 1 ORDER BY 1"""
    )
    return tuple((year, count) for year, count in rows)


def read_bodies(connection: sqlite3.Connection, docs: Sequence[int]) -> dict[int, Document]:
    if not docs:
        return {}
    rows = connection.execute(
        f"SELECT doc, document FROM bodies WHERE doc IN ({', '.join('?' * len(docs))})",
        list(docs),
    )
    return {doc: json.loads(document) for doc, document in rows}


def facet_counts(
    connection: sqlite3.Connection,
    filters: dict[str, tuple[str, ...]],
    size: int,
    sizes: dict[str | None, int],
) -> dict[str, tuple[FacetValue, ...]]:
    """The top values of every facet, each counted over the matches of all the other filters;
    selected values always appear, with a count of 0 when nothing has them any more.

    ``sizes`` counts the rows of ``temp.matched`` by the filter they miss (None: none)."""
    documents = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
    selected = list(filters)
    # Facets without a filter count the full matches; a filtered facet counts the matches of
    # the other filters, which are those passing every filter and those missing only its own.
    passes = [
        _CountingPass(
            f"{{a}}.name NOT IN ({', '.join('?' * len(selected))})",
            selected,
            "m.missed IS NULL",
            [],
            sizes.get(None, 0),
            lookups_below=1 / 3,
            subtract_above=4 / 5,
        )
    ]
    passes += [
        _CountingPass(
            "{a}.name = ?",
            [name],
            "(m.missed IS NULL OR m.missed = ?)",
            [name],
            sizes.get(None, 0) + sizes.get(name, 0),
            lookups_below=1 / 10,
            subtract_above=1,
        )
        for name in selected
    ]
    parts = [counting.sql(documents) for counting in passes]
    shown = " ".join(
        f"OR (name = ? AND value IN ({', '.join('?' * len(values))}))"
        for values in filters.values()
    )
    rows = connection.execute(
        f"""WITH counted AS ({" UNION ALL ".join(sql for sql, _ in parts)}), ranked AS (
                SELECT name, value, n,
                       row_number() OVER (PARTITION BY name ORDER BY n DESC, value) AS position
                FROM counted
            )
            SELECT name, value, n FROM ranked WHERE position <= ? {shown}""",
        [
            *(parameter for _, parameters in parts for parameter in parameters),
            max(size, 0),
            *(parameter for name, values in filters.items() for parameter in (name, *values)),
        ],
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for name, value, count in rows:
        counts.setdefault(name, {})[value] = count
    for name, values in filters.items():
        for value in values:
            counts.setdefault(name, {}).setdefault(value, 0)
    order = [facet.name for facet in facet_definitions()]
    return {
        name: tuple(
            FacetValue(value, count, value in filters.get(name, ()))
            for value, count in sorted(counts[name].items(), key=lambda item: (-item[1], item[0]))
        )
        for name in sorted(counts, key=lambda n: (order.index(n) if n in order else len(order), n))
    }


@dataclass(frozen=True)
class _CountingPass:
    """Value counts of some facets (``names``: a condition on ``{a}.name``) over some rows of
    ``temp.matched`` (``members``: a condition on ``m``), by the cheapest way for their share
    of all documents. The shares where the ways change were measured with 20,000 records."""

    names: str
    name_parameters: list[Any]
    members: str
    member_parameters: list[Any]
    member_count: int
    lookups_below: float  # few members: look their values up
    subtract_above: float  # nearly all: count the others and subtract them from the totals

    def sql(self, documents: int) -> tuple[str, list[Any]]:
        names = self.names.format(a="f")
        if self.member_count >= documents:
            return (
                f"SELECT name, value, n FROM facet_totals t WHERE {self.names.format(a='t')}",
                self.name_parameters,
            )
        if self.member_count > documents * self.subtract_above:
            return (
                f"""SELECT t.name AS name, t.value AS value, t.n - coalesce(o.n, 0) AS n
                    FROM facet_totals t LEFT JOIN (
                        SELECT f.name AS name, f.value AS value, count(*) AS n
                        FROM documents d CROSS JOIN facets f ON f.doc = d.doc
                        WHERE {names}
                          AND d.doc NOT IN (SELECT m.doc FROM temp.matched m WHERE {self.members})
                        GROUP BY f.name, f.value
                    ) o ON o.name = t.name AND o.value = t.value
                    WHERE {self.names.format(a="t")} AND t.n > coalesce(o.n, 0)""",
                [*self.name_parameters, *self.member_parameters, *self.name_parameters],
            )
        if self.member_count < documents * self.lookups_below:
            source = "temp.matched m CROSS JOIN facets f ON f.doc = m.doc"
        else:
            # Walk the value index in order, looking each document up among the matches: the
            # grouping then needs no sort.
            source = "facets f CROSS JOIN temp.matched m ON m.doc = f.doc"
        return (
            f"""SELECT f.name AS name, f.value AS value, count(*) AS n FROM {source}
                WHERE {names} AND {self.members} GROUP BY f.name, f.value""",
            [*self.name_parameters, *self.member_parameters],
        )


def related_docs(
    connection: sqlite3.Connection,
    record_id: str,
    collection: str,
    shared: Sequence[SharedValue],
    limit: int,
) -> list[int]:
    """Documents of the collection but the record, most shared weight first, then in pinyin
    order (search.related)."""
    rows = ", ".join("(?, ?, ?)" for _ in shared) or "(NULL, NULL, 0)"
    found = connection.execute(
        f"""WITH wanted (name, value, weight) AS (VALUES {rows}),
            shared AS (
                SELECT f.doc AS doc, sum(w.weight) AS weight
                FROM wanted w JOIN facets f ON f.name = w.name AND f.value = w.value
                GROUP BY f.doc
            )
            SELECT d.doc FROM documents d LEFT JOIN shared s ON s.doc = d.doc
            WHERE d.collection = ? AND d.id <> ?
            ORDER BY coalesce(s.weight, 0) DESC, d.title_sort, d.id LIMIT ?""",
        [
            *(part for value in shared for part in (value.facet, value.value, value.weight)),
            collection,
            record_id,
            limit,
        ],
    )
    return [doc for (doc,) in found]
