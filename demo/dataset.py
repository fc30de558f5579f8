"""The demo's data files, read: the alliance (``alliance.toml``), one CSV of records per
collection (``records/<slug>.csv``, the collection's import template plus a ``#library`` note
column) and the pictures' recipes (``pictures.toml``).

The CSVs are exactly what a cataloguer would import; the import ignores the ``#library``
column, which says which member library each row belongs to (imports are per library).
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from demo.artwork import DEFAULT_SIZE, Palette, Recipe
from repository.profiles import split_repeatable

DATA = Path(__file__).resolve().parent / "data"
LIBRARY_COLUMN = "#library"


@dataclass(frozen=True)
class Alliance:
    password: str
    libraries: list[dict[str, Any]]
    collections: list[dict[str, Any]]
    users: list[dict[str, Any]]


@dataclass(frozen=True)
class DemoRow:
    """One record as its collection's CSV has it."""

    collection: str
    library: str
    cells: dict[str, str]

    @property
    def local_id(self) -> str:
        return self.cells["local_id"]

    @property
    def images(self) -> list[str]:
        return split_repeatable(self.cells.get("images", ""))


@cache
def alliance() -> Alliance:
    with (DATA / "alliance.toml").open("rb") as file:
        data = tomllib.load(file)
    return Alliance(data["password"], data["libraries"], data["collections"], data["users"])


def csv_path(slug: str) -> Path:
    return DATA / "records" / f"{slug}.csv"


def csv_headers(slug: str) -> list[str]:
    with csv_path(slug).open(encoding="utf-8", newline="") as file:
        return next(csv.reader(file))


def rows() -> list[DemoRow]:
    """Every record, collection by collection, in the files' order."""
    found = []
    for collection in alliance().collections:
        slug = collection["slug"]
        with csv_path(slug).open(encoding="utf-8", newline="") as file:
            for cells in csv.DictReader(file):
                library = cells.pop(LIBRARY_COLUMN)
                found.append(DemoRow(slug, library, cells))
    return found


def write_csv(slug: str, chosen: list[DemoRow], target: Path) -> None:
    """The collection's CSV with only the chosen rows (and its headers, as they are)."""
    headers = csv_headers(slug)
    with target.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(headers)
        for row in chosen:
            values = {**row.cells, LIBRARY_COLUMN: row.library}
            writer.writerow([values.get(header, "") for header in headers])


@cache
def _pictures() -> dict[str, Any]:
    with (DATA / "pictures.toml").open("rb") as file:
        return tomllib.load(file)


def recipes() -> dict[str, Recipe]:
    """Each picture's recipe, by the file name the images column gives it."""
    found = {}
    for item in _pictures()["pictures"]:
        size = tuple(item.get("size", DEFAULT_SIZE))
        found[item["file"]] = Recipe(
            item["file"], item["motif"], item["palette"], item["seed"], size
        )
    return found


def palettes() -> dict[str, Palette]:
    return {
        name: {k: tuple(v) for k, v in colours.items()}
        for name, colours in _pictures()["palettes"].items()
    }
