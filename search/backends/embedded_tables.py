"""The embedded index's file: its tables, and how documents are written into them.

One generation of tables serves searches (``LIVE``, no prefix); a rebuild fills another beside
it (``NEXT`` and a token) and renames it over the live one. Writes carry versions, so a stale
document or deletion arriving late never undoes a newer one.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from search.backends import Deletion
from search.backends.embedded_query import FTS_COLUMNS
from search.documents import Document
from search.text import tokens

SCHEMA_VERSION = 2  # PRAGMA user_version of a file in this layout (2: pinyin columns)

# Tokens are made in Python; FTS5 keeps each of them whole (every character class but separators
# and controls belongs to a token) and, like tokens(), keeps diacritics.
TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* P* S* Co'"

LIVE = ""
NEXT = "rebuild_"  # prefix of the tables a rebuild fills (with a token), renamed when complete
TABLES = ("documents", "bodies", "facets", "facet_totals", "fts", "deleted")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def schema(prefix: str) -> list[str]:
    """The tables of one index generation; ``prefix`` tells a generation being built apart."""
    return [
        # One row per record with what filtering and sorting need, narrow so scans are cheap.
        f"""CREATE TABLE {prefix}documents (
            doc INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            version INTEGER NOT NULL,
            title_sort TEXT NOT NULL,
            search_title TEXT NOT NULL,
            collection TEXT NOT NULL,
            year_start INTEGER,
            year_end INTEGER,
            published INTEGER NOT NULL  -- microseconds since 1970, UTC
        )""",
        # The index document itself, read only for the hits of the page shown.
        f"CREATE TABLE {prefix}bodies (doc INTEGER PRIMARY KEY, document TEXT NOT NULL)",
        # Facet values, collection and library included: one row per document and value.
        f"""CREATE TABLE {prefix}facets (
            doc INTEGER NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (doc, name, value)
        ) WITHOUT ROWID""",
        # How many documents have each value: the facet counts when every document counts.
        f"""CREATE TABLE {prefix}facet_totals (
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (name, value)
        ) WITHOUT ROWID""",
        f"""CREATE VIRTUAL TABLE {prefix}fts USING fts5(
            {", ".join(FTS_COLUMNS)}, tokenize = "{TOKENIZER}"
        )""",
        # Deleted ids with the deletion's version, so a stale document arriving late stays out.
        f"""CREATE TABLE {prefix}deleted (
            id TEXT PRIMARY KEY, version INTEGER NOT NULL
        ) WITHOUT ROWID""",
    ]


def indexes(prefix: str) -> list[str]:
    # Index names are unique within the file and keep their name when their table is renamed:
    # a random suffix keeps a new generation's apart from the live one's.
    suffix = secrets.token_hex(4)
    return [f"CREATE INDEX facets_by_value_{suffix} ON {prefix}facets (name, value)"]


def create_tables(connection: sqlite3.Connection, prefix: str) -> None:
    for statement in schema(prefix) + indexes(prefix):
        connection.execute(statement)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def generations_being_built(connection: sqlite3.Connection) -> list[str]:
    """The table prefixes of rebuilds in progress (or interrupted)."""
    rows = connection.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB ?",
        (f"{NEXT}*_documents",),
    )
    return [name.removesuffix("documents") for (name,) in rows]


def drop_generation(connection: sqlite3.Connection, prefix: str) -> None:
    for table in TABLES:
        connection.execute(f"DROP TABLE IF EXISTS {prefix}{table}")


# -- storing documents ----------------------------------------------------------------------------


def store_document(connection: sqlite3.Connection, prefix: str, document: Document) -> None:
    """Insert or replace a document, unless the index holds a newer version or deletion."""
    key, version = document["id"], int(document["version"])
    stored = connection.execute(
        f"SELECT doc, version FROM {prefix}documents WHERE id = ?", (key,)
    ).fetchone()
    if stored is not None and stored[1] > version:
        return
    deleted = connection.execute(
        f"SELECT version FROM {prefix}deleted WHERE id = ?", (key,)
    ).fetchone()
    if deleted is not None:
        if deleted[0] > version:
            return
        connection.execute(f"DELETE FROM {prefix}deleted WHERE id = ?", (key,))
    if stored is not None:
        _remove(connection, prefix, stored[0])
    doc = connection.execute(
        f"""INSERT INTO {prefix}documents (id, version, title_sort, search_title, collection,
                year_start, year_end, published)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            key,
            version,
            document["title_sort"] or "",
            document["search_title"] or "",
            document["collection"] or "",  # harvested records belong to no collection
            document.get("year_start"),
            document.get("year_end"),
            _microseconds(document["published_at"]),
        ),
    ).lastrowid
    connection.execute(
        f"INSERT INTO {prefix}bodies (doc, document) VALUES (?, ?)",
        (doc, json.dumps(document, ensure_ascii=False, separators=(",", ":"))),
    )
    values = [("collection", document["collection"])] if document["collection"] else []
    values += [("library", code) for code in document["libraries"]]
    for name, facet_values in document["facets"].items():
        values += [(name, str(value)) for value in facet_values]
    connection.executemany(
        f"INSERT OR IGNORE INTO {prefix}facets (doc, name, value) VALUES (?, ?, ?)",
        [(doc, name, value) for name, value in values],
    )
    connection.execute(
        f"""INSERT INTO {prefix}facet_totals (name, value, n)
            SELECT name, value, 1 FROM {prefix}facets WHERE doc = ?
            ON CONFLICT (name, value) DO UPDATE SET n = n + 1""",
        (doc,),
    )
    connection.execute(
        f"INSERT INTO {prefix}fts (rowid, {', '.join(FTS_COLUMNS)}) "
        f"VALUES (?, {', '.join('?' * len(FTS_COLUMNS))})",
        (doc, *(_indexed_text(document.get(column) or "") for column in FTS_COLUMNS)),
    )


def delete_document(connection: sqlite3.Connection, prefix: str, deletion: Deletion) -> None:
    """Remove the id unless the index holds a newer version; remember the deletion either way."""
    stored = connection.execute(
        f"SELECT doc, version FROM {prefix}documents WHERE id = ?", (deletion.id,)
    ).fetchone()
    if stored is not None:
        if stored[1] > deletion.version:
            return
        _remove(connection, prefix, stored[0])
    connection.execute(
        f"""INSERT INTO {prefix}deleted (id, version) VALUES (?, ?)
            ON CONFLICT (id) DO UPDATE SET version = max(version, excluded.version)""",
        (deletion.id, deletion.version),
    )


def _remove(connection: sqlite3.Connection, prefix: str, doc: int) -> None:
    values = f"(name, value) IN (SELECT name, value FROM {prefix}facets WHERE doc = ?)"
    connection.execute(f"UPDATE {prefix}facet_totals SET n = n - 1 WHERE {values}", (doc,))
    connection.execute(f"DELETE FROM {prefix}facet_totals WHERE n = 0 AND {values}", (doc,))
    connection.execute(f"DELETE FROM {prefix}fts WHERE rowid = ?", (doc,))
    for table in ("facets", "bodies", "documents"):
        connection.execute(f"DELETE FROM {prefix}{table} WHERE doc = ?", (doc,))


def _indexed_text(text: str) -> str:
    """The text's tokens separated by spaces: all FTS5 needs to find them again."""
    return " ".join(tokens(text))


def _microseconds(moment: str) -> int:
    """An ISO 8601 time as a number, so times written with different offsets sort right."""
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - EPOCH) // timedelta(microseconds=1)
