"""The first, cheap pass over an import's table: its columns, its row count (and the row limit),
the local ids used by more than one row, and where each chunk begins.

It reads the file once, before anything is written, so a file that cannot be read to its end
fails with nothing written; what it finds is kept in the job row for the runs (or chunks)
that follow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.imports.problems import Problem, TableUnreadable
from ingest.imports.reader import open_table
from ingest.imports.rows import Columns, images_in, local_id_of, map_columns
from repository.messages import Message
from repository.profiles import Profile


@dataclass
class Shape:
    columns: Columns
    rows: int
    encoding: str | None
    repeated: dict[str, list[int]]  # local id -> the rows that use it, when more than one
    ranges: list[tuple[int, int, int]]  # each chunk's first row, last row and row count


def read_shape(
    table_path: Path,
    encoding: str | None,
    profile: Profile,
    *,
    max_rows: int,
    per_chunk: int,
    images_per_chunk: int | None = None,
    keep_alive: Callable[[], None] = lambda: None,
) -> Shape:
    """Read the table through once; TableUnreadable when it cannot be imported at all.

    A chunk ends after ``per_chunk`` rows, or before the row that would take its images past
    ``images_per_chunk``. ``keep_alive`` is called every few hundred rows: a long file must
    not outlast the lease.
    """
    first_row: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    counted = 0
    ranges: list[list[int]] = []  # first row, last row, rows
    images = 0
    image_limit = math.inf if images_per_chunk is None else images_per_chunk
    with open_table(table_path, encoding=encoding) as table:
        columns = map_columns(profile, table.headers)
        column = columns.by_field.get("local_id")
        for row in table.rows:
            counted += 1
            if counted % 200 == 0:
                keep_alive()
            if counted > max_rows:
                message = _TOO_MANY_ROWS.format(limit=max_rows)
                raise TableUnreadable([Problem(message, row=row.number)])
            named = images_in(row.cells, columns)
            if not ranges or ranges[-1][2] >= per_chunk or images + named > image_limit:
                ranges.append([row.number, row.number, 0])
                images = 0
            ranges[-1][1:] = [row.number, ranges[-1][2] + 1]
            images += named
            if column is None or column.index >= len(row.cells):
                continue
            local_id = local_id_of(row.cells[column.index])
            if local_id:
                first = first_row.setdefault(local_id, row.number)
                if first != row.number:
                    repeated.setdefault(local_id, [first]).append(row.number)
        found = table.encoding
    if counted == 0:
        raise TableUnreadable([Problem(_NO_ROWS, row=2)])
    return Shape(columns, counted, found, repeated, [tuple(r) for r in ranges])


def repeated_problem(
    columns: Columns, profile: Profile, repeated: dict[str, list[int]], local_id: str, number: int
) -> Problem:
    """A row whose ``local_id`` other rows of the file use too (the first pass found them)."""
    column = columns.by_field.get("local_id")
    others = ", ".join(str(row) for row in repeated[local_id] if row != number)
    return Problem(
        _REPEATED_LOCAL_ID.format(id=local_id, others=others),
        row=number,
        column=columns.header_for("local_id", profile),
        field="local_id",
        value=local_id,
        cell=f"{column.letter}{number}" if column else "",
        fix=_REPEATED_LOCAL_ID_FIX,
    )


_TOO_MANY_ROWS = Message(
    "The file has more than {limit} rows, the most one import takes; split it into several files."
)
_NO_ROWS = Message("The file has column headers but no rows to import.")
_REPEATED_LOCAL_ID = Message(
    "The local identifier {id} is also used in row(s) {others} of this file; none of these rows "
    "is imported."
)
_REPEATED_LOCAL_ID_FIX = Message("Give each record its own local_id, or delete the repeated row.")
