"""What can be wrong with an import, in words a cataloguer can act on.

A ``Problem`` names one cell (row, column, value), says what is wrong and how to fix it, in
English and Chinese. ``ImportRejected`` refuses options or files before a job exists;
``TableUnreadable`` stops a job whose file cannot be read as a table at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from repository.errors import HuikuError
from repository.messages import Message


class ImportRejected(HuikuError):
    """Options or files refused before anything was queued (bad option, unsafe ZIP, too large)."""

    status = 422


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell, or with the file when ``row`` is 0."""

    message: Message
    row: int = 0
    column: str = ""  # the header as written in the file
    field: str = ""  # the profile key the column stands for
    value: str = ""
    cell: str = ""  # spreadsheet reference such as C7, when known
    fix: Message | None = None


class TableUnreadable(Exception):
    """The file cannot be read as a table (encoding, quotes, headers, size): nothing is imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p.message) for p in problems))
        self.problems = problems

    def __reduce__(self):  # raised in a checker process, re-raised in the job's
        return (TableUnreadable, (self.problems,))


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def shorten(value: str, limit: int = 80) -> str:
    """A cell value short enough to quote in a message or a report."""
    value = value.replace("\n", " ⏎ ")
    return value if len(value) <= limit else value[: limit - 1] + "…"


CANNOT_CONTRIBUTE = Message("You cannot contribute records to the collection {slug}.")
CANNOT_PUBLISH = Message(
    "Only reviewers of the collection {slug} and administrators may publish on import; import "
    "without publishing and submit the records for review."
)
