"""The embedded search backend: one SQLite file with FTS5, for the quick start.

No server to run: the index is a file beside the instance's data (``SEARCH_INDEX_PATH``), derived
from the database and rebuilt at will. Text arrives tokenized by ``search.text`` (each Han
character alone, other words whole), so FTS5 only splits on the spaces between tokens, and a
query word becomes a phrase of its tokens: 红豆杉 matches those three characters together, never
scattered. User text only ever reaches FTS5 inside quoted strings, so it is never syntax.

Concurrency: in WAL mode searches read while one writer writes. Every operation opens its own
short-lived connection (Flask serves requests on threads, gunicorn in several processes), and a
busy timeout makes writers wait for each other instead of failing.

A rebuild fills new tables beside the live ones and renames them over the live ones in one
transaction, so searches see the old index or the new one, never a half-built one. It stays in
the same file on purpose: renaming a new file over a WAL database that other connections (in
other processes, too) still have open is unsafe, because they share the ``-wal`` and ``-shm``
files by name, and a fresh connection would read the old database's pages through them.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path

from search.backends import Deletion, IndexStatus, SearchUnavailable
from search.backends.embedded_query import (
    PINYIN_COLUMNS,
    TEXT_COLUMNS,
    checked_cursor,
    collect_matches,
    columns,
    facet_counts,
    page_of_hits,
    phrase,
    read_bodies,
    related_docs,
    year_counts,
)
from search.backends.embedded_tables import (
    LIVE,
    NEXT,
    SCHEMA_VERSION,
    TABLES,
    create_tables,
    delete_document,
    drop_generation,
    generations_being_built,
    indexes,
    schema,
    store_document,
)
from search.documents import Document
from search.hits import hit_from_document, rank_suggestions
from search.pinyin import initials_query, segmentations
from search.query import MAX_WINDOW, Hit, SearchRequest, SearchResult, Suggestion
from search.related import SharedValue
from search.relaxed import relax
from search.text import fold, tokens

BUSY_TIMEOUT_SECONDS = 10.0
REBUILD_BATCH = 1000  # documents per transaction while rebuilding, so other writers get turns
MAX_SUGGESTIONS = 50


class EmbeddedBackend:
    """SQLite FTS5 behind the ``SearchBackend`` protocol."""

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout  # seconds a writer waits for another before giving up

    def __repr__(self) -> str:
        return f"EmbeddedBackend({str(self.path)!r})"

    # -- writing ---------------------------------------------------------------------------------

    def ensure_index(self) -> None:
        with self._connect(create=True) as connection:
            connection.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the file
            with _transaction(connection, write=True):
                if not self._has_live_tables(connection):
                    create_tables(connection, LIVE)

    def apply(
        self,
        documents: Iterable[Document],
        deletions: Iterable[Deletion] = (),
        *,
        refresh: bool = False,
    ) -> None:
        """All in one transaction, creating the index if there is none yet. ``refresh`` has
        nothing to wait for: once committed, a change is what the next search sees."""
        documents, deletions = list(documents), list(deletions)
        with self._connect(create=True) as connection:
            if not self._has_live_tables(connection):
                connection.execute("PRAGMA journal_mode = WAL")
            with _transaction(connection, write=True):
                if not self._has_live_tables(connection):
                    create_tables(connection, LIVE)
                # A generation being rebuilt gets the change too, so the swap cannot lose it.
                for prefix in (LIVE, *generations_being_built(connection)):
                    for document in documents:
                        store_document(connection, prefix, document)
                    for deletion in deletions:
                        delete_document(connection, prefix, deletion)

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Fill a new generation of tables beside the live one, in batches so that other writers
        wait at most one batch, then swap it in by renaming its tables in one transaction.

        Writes through ``apply`` meanwhile reach both generations; versions decide between them
        and the rebuilt documents. If filling fails, the new tables go and the old ones stay in
        service. A rebuild started later takes over: the earlier one then fails.
        """
        prefix = f"{NEXT}{secrets.token_hex(4)}_"
        with self._connect(create=True) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            with _transaction(connection, write=True):
                for earlier in generations_being_built(connection):
                    drop_generation(connection, earlier)
                for statement in schema(prefix):
                    connection.execute(statement)
            try:
                pending = iter(documents)
                while batch := list(islice(pending, REBUILD_BATCH)):
                    with _transaction(connection, write=True):
                        for document in batch:
                            store_document(connection, prefix, document)
                with _transaction(connection, write=True):
                    for statement in indexes(prefix):
                        connection.execute(statement)
                    connection.execute(f"INSERT INTO {prefix}fts ({prefix}fts) VALUES ('optimize')")
                with _transaction(connection, write=True):
                    drop_generation(connection, LIVE)
                    for table in TABLES:
                        connection.execute(f"ALTER TABLE {prefix}{table} RENAME TO {table}")
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    count = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
            except BaseException:
                with suppress(sqlite3.Error), _transaction(connection, write=True):
                    drop_generation(connection, prefix)
                raise
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return count

    def drop(self) -> None:
        """Remove the file and its companions; meant for when nothing else has it open."""
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError as error:
            raise SearchUnavailable(f"search index {self.path}: {error}") from error

    # -- reading ---------------------------------------------------------------------------------

    def status(self) -> IndexStatus:
        """The file and how many documents it holds; an empty name when there is no index."""
        if not self.path.exists():
            return IndexStatus(name="", documents=0)
        with self._connect() as connection:
            if not self._has_live_tables(connection):
                return IndexStatus(name="", documents=0)
            count = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
        return IndexStatus(name=str(self.path), documents=count)

    def ids(self) -> set[str]:
        if not self.path.exists():
            return set()
        with self._connect() as connection:
            if not self._has_live_tables(connection):
                return set()
            return {key for (key,) in connection.execute("SELECT id FROM documents")}

    def search(self, request: SearchRequest) -> SearchResult:
        query = request.query
        sort = request.effective_sort
        filters = request.all_filters()
        after = checked_cursor(sort, request.after)
        relaxation = relax(query) if request.relaxed else None
        shown = relaxation.highlighted if relaxation else query.included
        with self._connect() as connection, _transaction(connection, write=False):
            collect_matches(
                connection, request, query.included, query.excluded, sort, filters, relaxation
            )
            sizes = dict(connection.execute("SELECT missed, count(*) FROM temp.matched GROUP BY 1"))
            hits: tuple[Hit, ...] = ()
            within_window = after is not None or request.offset + request.per_page <= MAX_WINDOW
            if request.per_page > 0 and within_window:
                hits = page_of_hits(connection, request, shown, sort, after)
            facets = facet_counts(connection, filters, request.facet_size, sizes)
            years = year_counts(connection) if request.facet_size > 0 else ()
        full = request.per_page > 0 and len(hits) == request.per_page
        return SearchResult(
            total=sizes.get(None, 0),
            hits=hits,
            facets=facets,
            next_after=hits[-1].sort_values if full else None,
            years=years,
        )

    def suggest(
        self, prefix: str, collection: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        typed = tokens(prefix or "")
        limit = min(limit, MAX_SUGGESTIONS)
        if not typed or limit <= 0:
            return []
        folded = fold(prefix).strip()
        # Ordered the way rank_suggestions orders, so the first ``limit`` are the right ones.
        scope = "AND d.collection = :collection" if collection else ""
        sql = f"""
            SELECT d.doc FROM fts JOIN documents d ON d.doc = fts.rowid
            WHERE fts MATCH :match {scope}
            ORDER BY substr(d.search_title, 1, :length) <> :folded,
                     length(d.search_title), d.title_sort, d.id
            LIMIT :limit
        """
        choices = [f"{columns(TEXT_COLUMNS[:2])} : {phrase(typed)} *"]
        choices += [
            f"{columns(PINYIN_COLUMNS[:2])} : {phrase(reading)} *"
            for reading in segmentations(folded, partial_last=True)
        ]
        if initials := initials_query(folded):
            choices.append(f"pinyin_initials : {phrase([initials])} *")
        parameters = {
            "match": " OR ".join(choices),
            "length": len(folded),
            "folded": folded,
            "collection": collection,
            "limit": limit,
        }
        with self._connect() as connection, _transaction(connection, write=False):
            docs = [doc for (doc,) in connection.execute(sql, parameters)]
            found = read_bodies(connection, docs)
        return rank_suggestions(prefix, [found[doc] for doc in docs], limit)

    def related(
        self, record_id: str, collection: str, shared: Sequence[SharedValue], limit: int
    ) -> list[Hit]:
        with self._connect() as connection, _transaction(connection, write=False):
            docs = related_docs(connection, record_id, collection, shared, limit)
            found = read_bodies(connection, docs)
        return [hit_from_document(found[doc], (), score=None, sort_values=()) for doc in docs]

    # -- connections -----------------------------------------------------------------------------

    @contextmanager
    def _connect(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one operation; SQLite errors (a locked, damaged or missing file)
        become SearchUnavailable. Without ``create`` a missing file is an error, not a new one."""
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                f"{self.path.absolute().as_uri()}?mode={'rwc' if create else 'rw'}",
                uri=True,
                timeout=self.busy_timeout,
                isolation_level=None,  # transactions are begun and ended explicitly
            )
        except (sqlite3.Error, OSError) as error:
            raise SearchUnavailable(f"search index {self.path}: {error}") from error
        try:
            for pragma in (
                "synchronous = NORMAL",  # durable enough with WAL; the index can be rebuilt
                "temp_store = MEMORY",
                "secure_delete = OFF",  # nothing secret in it; dropping a generation stays cheap
                "cache_size = -32000",
                "journal_size_limit = 67108864",
            ):
                connection.execute(f"PRAGMA {pragma}")
            yield connection
        except sqlite3.Error as error:
            raise SearchUnavailable(f"search index {self.path}: {error}") from error
        finally:
            connection.close()

    def _has_live_tables(self, connection: sqlite3.Connection) -> bool:
        """Whether the index exists; a file in another layout is refused, not misread."""
        exists = connection.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'documents'"
        ).fetchone()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if exists and version != SCHEMA_VERSION:
            raise SearchUnavailable(
                f"search index {self.path} has layout {version}, not {SCHEMA_VERSION}: "
                "rebuild it (huiku search reindex)"
            )
        return exists is not None


@contextmanager
def _transaction(connection: sqlite3.Connection, *, write: bool) -> Iterator[None]:
    """Writers take the write lock at the start (waiting up to the busy timeout); readers get
    one snapshot for all their statements."""
    connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
