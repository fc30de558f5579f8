"""Many rows into one table at once: COPY on PostgreSQL, the driver's executemany on SQLite.

An import writes thousands of records, revisions and duplicate keys per minute. On PostgreSQL,
COPY takes such rows three to five times faster than INSERT statements; on SQLite, handing the
rows straight to the driver skips the per-row parameter building that ``insert()`` does, about
half of the time such an insert takes. Values still go through each column type's own bind
processing, so they are stored exactly as an INSERT through SQLAlchemy stores them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.exc import DBAPIError

from repository.extensions import db


class EncodedJSON(str):
    """A JSON column's value already serialized (with ``json.dumps``, as SQLAlchemy does).

    An import serializes each record's metadata while checking it, in the checking process,
    and stores the same text as the record's metadata and as its first revision.
    """


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert plain rows (column name → Python value) in the session's transaction.

    Every row names the same columns. Columns left out get their Python-side default (a
    scalar or a function such as ``utcnow``) or else their server default, as with ``insert``.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    driver = (dialect.name, dialect.driver)
    if driver not in (("postgresql", "psycopg"), ("sqlite", "pysqlite")):
        connection.execute(insert(table), [_decoded(row) for row in rows])
        return
    columns, values = _bound_values(table, rows, dialect)
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column.name) for column in columns)
    cursor = connection.connection.driver_connection.cursor()
    if dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})"
    else:
        statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    error_class = dialect.loaded_dbapi.Error
    try:
        if dialect.name == "sqlite":
            cursor.executemany(statement, values)
        else:
            with cursor, cursor.copy(statement) as copy:
                for row in values:
                    copy.write_row(row)
    except error_class as error:  # as SQLAlchemy raises it: IntegrityError for a duplicate key
        raise DBAPIError.instance(statement, None, error, error_class, dialect=dialect) from None


def reserve_ids(table: Table, count: int) -> list[int] | None:
    """Primary keys for ``count`` rows about to be inserted, taken from the table's sequence on
    PostgreSQL (COPY returns nothing, and a look-up afterwards may scan the whole table); None
    elsewhere, where the caller reads the new ids back by another unique column."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or count == 0:
        return None
    (key,) = table.primary_key.columns
    sequence = f"pg_get_serial_sequence('{table.name}', '{key.name}')"
    return list(
        connection.exec_driver_sql(
            f"SELECT nextval({sequence}) FROM generate_series(1, %(count)s)", {"count": count}
        ).scalars()
    )


def _bound_values(
    table: Table, rows: Sequence[Mapping[str, Any]], dialect: Any
) -> tuple[list[Column], Iterator[list[Any]]]:
    """The columns written and each row's values as the driver takes them."""
    named = list(rows[0])
    defaulted = [
        column
        for column in table.columns
        if column.name not in named and column.default is not None and not column.primary_key
    ]
    columns = [table.c[name] for name in named] + defaulted
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]

    converted = [index for index, process in enumerate(processors) if process is not None]

    def values() -> Iterator[list[Any]]:
        # Most columns of a batch hold the same object in every row (its user, its time,
        # "draft"): each is converted once and the result reused.
        previous = [_UNSET] * len(columns)
        results: list[Any] = [None] * len(columns)
        for row in rows:
            out = [row[name] for name in named] + [_default(column) for column in defaulted]
            for index in converted:
                value = out[index]
                if value is not previous[index]:
                    previous[index] = value
                    if value is None:
                        results[index] = None
                    elif isinstance(value, EncodedJSON):
                        results[index] = str(value)
                    else:
                        results[index] = processors[index](value)
                out[index] = results[index]
            yield out

    return columns, values()


_UNSET = object()


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row for SQLAlchemy's own insert, which serializes JSON itself."""
    return {
        name: json.loads(value) if isinstance(value, EncodedJSON) else value
        for name, value in row.items()
    }


def _default(column: Any) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    raise ValueError(f"column {column.name} has a default COPY cannot compute")


def refresh_statistics(*tables: Table) -> None:
    """Have PostgreSQL count the tables again after a bulk load (a no-op elsewhere).

    Until autovacuum gets round to it, the planner still believes the row counts from before
    the load, and may keep scanning whole tables where the next import's look-ups should use
    an index: 10,000 unchanged rows imported again took five times as long. Only the indexed
    columns are sampled (the row count is renewed all the same): statistics of the metadata
    documents would cost most of the time and serve no look-up.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or not tables:
        return
    quote = connection.dialect.identifier_preparer
    targets = []
    for table in tables:
        columns = {column.name for column in table.primary_key.columns}
        for index in table.indexes:
            columns.update(column.name for column in index.columns)
        for constraint in table.constraints:
            columns.update(column.name for column in getattr(constraint, "columns", ()))
        names = ", ".join(quote.quote(name) for name in sorted(columns))
        targets.append(f"{quote.format_table(table)} ({names})")
    connection.exec_driver_sql("ANALYZE " + ", ".join(targets))
