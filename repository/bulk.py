"""Many rows into one table at once: COPY on PostgreSQL, the driver's executemany on SQLite.

Duplicate flagging stores a batch of new records' match keys this way (``ingest.duplicates``).
On PostgreSQL, COPY takes such rows several times faster than INSERT statements; on SQLite,
handing the rows straight to the driver skips the per-row parameter building that ``insert()``
does. Values still go through each column type's own bind processing, so they are stored
exactly as an INSERT through SQLAlchemy stores them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Column, Table, func, insert, select
from sqlalchemy.exc import DBAPIError

from repository.extensions import db


def insert_rows(
    table: Table, rows: Sequence[Mapping[str, Any]], *, same: Mapping[str, Any] | None = None
) -> None:
    """Insert plain rows (column name → Python value) in the session's transaction.

    Every row names the same columns. ``same`` holds the values all rows share (their
    collection, their time), converted once. Columns named nowhere get their Python-side
    default (a scalar, or a function such as ``utcnow`` called per row) or else their server
    default, as with ``insert``.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if not _fast(dialect):
        shared = dict(same or {})
        connection.execute(insert(table), [{**row, **shared} for row in rows])
        return
    named = list(rows[0])
    processors = [_processor(table.c[name], dialect) for name in named]
    converted = [index for index, process in enumerate(processors) if process is not None]

    def bound(row: Mapping[str, Any]) -> tuple:
        values = [row[name] for name in named]
        for index in converted:
            value = values[index]
            if value is not None:
                values[index] = processors[index](value)
        return tuple(values)

    _insert_bound(connection, table, named, map(bound, rows), same)


def reserve_ids(table: Table, count: int) -> list[int] | None:
    """Ids for ``count`` new rows of ``table``, taken from its sequence in one statement, on
    PostgreSQL; None elsewhere (the insert assigns them).

    ORM objects whose ids are set are inserted by one prepared statement executed per row.
    Without ids, the ORM sends a statement listing every row's values and reads the ids back,
    and the driver parses that long statement's text afresh for every batch.
    """
    connection = db.session.connection()
    if count <= 0 or connection.dialect.name != "postgresql":
        return None
    sequence = func.pg_get_serial_sequence(table.name, "id")
    taken = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return list(connection.scalars(taken))


def insert_values(
    table: Table,
    columns: Sequence[str],
    values: Iterable[tuple],
    *,
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert rows given as tuples for ``columns`` of values the driver takes as they are
    (str, int, float, None, and a JSON column's value as its JSON text); ``same`` as above.

    """
    values = list(values)
    if not values:
        return
    connection = db.session.connection()
    if not _fast(connection.dialect):
        shared = dict(same or {})
        connection.execute(
            insert(table), [{**_mapping(table, columns, row), **shared} for row in values]
        )
        return
    _insert_bound(connection, table, columns, values, same)


def _insert_bound(
    connection: Any,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[tuple],
    same: Mapping[str, Any] | None,
) -> None:
    """Rows of driver values for ``columns``, completed with ``same`` and the defaults."""
    dialect = connection.dialect
    same = same or {}
    written = [table.c[name] for name in columns] + [table.c[name] for name in same]
    shared = tuple(_bound(table.c[name], value, dialect) for name, value in same.items())
    defaulted = [
        column
        for column in table.columns
        if column.name not in columns
        and column.name not in same
        and column.default is not None
        and not column.primary_key
    ]
    written += defaulted
    if all(column.default.is_scalar for column in defaulted):
        shared += tuple(_bound(column, _default(column), dialect) for column in defaulted)
        complete: Iterable[tuple] = (row + shared for row in rows)
    else:  # a default computed per row, such as a new public id
        processors = [_processor(column, dialect) for column in defaulted]

        def with_defaults(row: tuple) -> tuple:
            made = [_default(column) for column in defaulted]
            return (
                row
                + shared
                + tuple(
                    process(value) if process is not None and value is not None else value
                    for process, value in zip(processors, made, strict=True)
                )
            )

        complete = map(with_defaults, rows)
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column.name) for column in written)
    cursor = connection.connection.driver_connection.cursor()
    if dialect.name == "sqlite":
        marks = ", ".join("?" for _ in written)
        statement = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})"
    else:
        statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    error_class = dialect.loaded_dbapi.Error
    try:
        if dialect.name == "sqlite":
            cursor.executemany(statement, complete)
        else:
            with cursor, cursor.copy(statement) as copy:
                for row in complete:
                    copy.write_row(row)
    except error_class as error:  # as SQLAlchemy raises it: IntegrityError for a duplicate key
        raise DBAPIError.instance(statement, None, error, error_class, dialect=dialect) from None


def _fast(dialect: Any) -> bool:
    """Drivers written to directly: COPY with psycopg, executemany with sqlite3."""
    return (dialect.name, dialect.driver) in (("postgresql", "psycopg"), ("sqlite", "pysqlite"))


def _processor(column: Column, dialect: Any) -> Any:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _bound(column: Column, value: Any, dialect: Any) -> Any:
    """One Python value as the driver takes it for the column."""
    if value is None:
        return None
    process = _processor(column, dialect)
    return process(value) if process is not None else value


def _mapping(table: Table, columns: Sequence[str], row: tuple) -> dict[str, Any]:
    """A tuple of driver values as SQLAlchemy's insert takes it: JSON text decoded again."""
    return {
        name: json.loads(value)
        if isinstance(value, str) and isinstance(table.c[name].type, JSON)
        else value
        for name, value in zip(columns, row, strict=True)
    }


def _default(column: Any) -> Any:
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    raise ValueError(f"column {column.name} has a default COPY cannot compute")
