"""Loading the demo alliance: libraries, people, collections and published records with images.

Libraries, people and collections are made with the repository's services; the records come
in through the ordinary batch import, one job per collection and library (an import belongs to
one library), run here. Where the library has a reviewer of the collection, the import
publishes; otherwise the library's contributor imports drafts, submits them, and a reviewer of
the collection from another library publishes them, as in the web workflow. So loading the
demo rehearses the path a cataloguer's spreadsheet takes. Records already present (by library and
local id) are neither drawn nor imported again: loading twice changes nothing.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo import dataset
from demo.artwork import Recipe, render_jpeg
from demo.recordings import attach_demo_recordings
from ingest.imports import run_import, start_import
from repository import permissions
from repository.errors import NotFound
from repository.models import (
    Collection,
    IngestJob,
    JobState,
    Library,
    RecordStatus,
    User,
    UserRole,
)
from repository.services import accounts, collections, records

Progress = Callable[[int, int], None]


class DemoLoadFailed(Exception):
    """The demo's own data did not import cleanly: a mistake in ``demo/data``."""


@dataclass
class DemoSummary:
    created: int = 0
    existing: int = 0


def load_demo(limit: int | None = None, progress: Progress | None = None) -> DemoSummary:
    """Create what is missing of the demo; ``limit`` loads only the first records (for tests)."""
    alliance = dataset.alliance()
    libraries = {item["code"]: _library(item) for item in alliance.libraries}
    collection_map = {item["slug"]: _collection(item, libraries) for item in alliance.collections}
    users = [_user(item, alliance.password, libraries, collection_map) for item in alliance.users]
    chosen = dataset.rows() if limit is None else spread(dataset.rows(), limit)
    summary = DemoSummary()
    missing = []
    for row in chosen:
        if records.find_by_local_id(libraries[row.library].id, row.local_id) is None:
            missing.append(row)
        else:
            summary.existing += 1
    if progress:
        progress(summary.existing, len(chosen))
    batches: dict[tuple[str, str], list[dataset.DemoRow]] = {}
    for row in missing:
        batches.setdefault((row.collection, row.library), []).append(row)
    with tempfile.TemporaryDirectory(prefix="huiku-demo-") as folder:
        for (slug, code), batch in batches.items():
            collection, library = collection_map[slug], libraries[code]
            importer = _importer(users, library, collection)
            job = import_rows(importer, collection, batch, Path(folder))
            if not permissions.can_review(importer, collection):
                _publish(importer, _reviewer(users, collection), library, batch)
            summary.created += job.counts.get("created", 0)
            if progress:
                progress(summary.existing + summary.created, len(chosen))
    if "jilin-ich" in collection_map:  # audio and video of performances (demo/recordings.py)
        ich = collection_map["jilin-ich"]
        attach_demo_recordings(libraries, ich, lambda lib: _importer(users, lib, ich))
    return summary


def import_rows(
    user: User,
    collection: Collection,
    batch: list[dataset.DemoRow],
    folder: Path,
    *,
    dry_run: bool = False,
    scale: float = 1.0,
) -> IngestJob:
    """Import these rows of one collection and library: their CSV, their pictures drawn into a
    folder, one import job run here, publishing when ``user`` may. ``scale`` draws smaller
    pictures (for quick checks)."""
    work = Path(tempfile.mkdtemp(dir=folder))
    table = work / f"{collection.slug}.csv"
    dataset.write_csv(collection.slug, batch, table)
    draw_pictures([name for row in batch for name in row.images], work / "images", scale)
    publish = not dry_run and permissions.can_review(user, collection)
    job = start_import(user, collection, table, work / "images", dry_run=dry_run, publish=publish)
    job = run_import(job)
    failed = job.counts.get("failed", 0)
    if job.state is not JobState.SUCCEEDED or failed:
        problems = "; ".join(
            f"row {entry['row']}: {entry['message_en']}"
            for entry in job.report
            if entry.get("level") == "error"
        )
        raise DemoLoadFailed(
            f"the demo's {collection.slug}.csv did not import as {user.email} (job "
            f"{job.public_id}, {job.state.value}, {failed} failed rows): {job.error or problems}"
        )
    return job


def draw_pictures(names: list[str], target: Path, scale: float = 1.0) -> None:
    """Render each named picture from its recipe to ``target/<name>``."""
    recipes, palettes = dataset.recipes(), dataset.palettes()
    for name in names:
        if name not in recipes:
            raise DemoLoadFailed(f"no recipe for the picture {name} in demo/data/pictures.toml")
        recipe: Recipe = recipes[name]
        if scale != 1.0:
            size = (max(16, int(recipe.size[0] * scale)), max(16, int(recipe.size[1] * scale)))
            recipe = dataclasses.replace(recipe, size=size)
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_jpeg(recipe, palettes))


def demo_logins() -> list[dict[str, str]]:
    alliance = dataset.alliance()
    return [
        {
            "email": u["email"],
            "password": alliance.password,
            "role": u["role"],
            "library": u["library"],
            "reviews": "(all)" if u["role"] == "admin" else ", ".join(u.get("reviews", [])),
        }
        for u in alliance.users
    ]


def spread(rows: list[dataset.DemoRow], limit: int) -> list[dataset.DemoRow]:
    """The first records of each collection in turn, so a small demo still shows every profile."""
    by_collection: dict[str, list[dataset.DemoRow]] = {}
    for row in rows:
        by_collection.setdefault(row.collection, []).append(row)
    chosen: list[dataset.DemoRow] = []
    while len(chosen) < limit and any(by_collection.values()):
        for queue in by_collection.values():
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def _library(item: dict) -> Library:
    found = accounts.get_library(item["code"], missing_ok=True)
    return found or accounts.create_library(
        item["code"], item["name_zh"], item["name_en"], item.get("region", "")
    )


def _collection(item: dict, libraries: dict[str, Library]) -> Collection:
    try:
        return collections.get_collection(item["slug"])
    except NotFound:
        pass
    return collections.create_collection(
        item["slug"],
        item["profile"],
        item["title_zh"],
        item["title_en"],
        description_zh=item.get("description_zh", ""),
        description_en=item.get("description_en", ""),
        coordinating_library=libraries.get(item.get("coordinating_library")),
        default_rights=item.get("default_rights", ""),
    )


def _user(
    item: dict, password: str, libraries: dict[str, Library], collection_map: dict[str, Collection]
) -> User:
    found = accounts.find_user(item["email"])
    return found or accounts.create_user(
        item["email"],
        libraries[item["library"]],
        item["role"],
        password,
        name=item.get("name", ""),
        reviews=[collection_map[slug] for slug in item.get("reviews", [])],
        alliance_admin=item.get("alliance_admin", False),
    )


def _importer(users: list[User], library: Library, collection: Collection) -> User:
    """The library's member who imports: its reviewer of the collection (the import then
    publishes), else its contributor."""
    members = [u for u in users if u.library_id == library.id]
    for fits in (
        lambda u: u.role is UserRole.REVIEWER and permissions.can_review(u, collection),
        lambda u: u.role is UserRole.CONTRIBUTOR and permissions.can_contribute(u, collection),
    ):
        found = [u for u in members if fits(u)]
        if found:
            return found[0]
    raise DemoLoadFailed(f"no demo user of {library.code} may contribute to {collection.slug}")


def _reviewer(users: list[User], collection: Collection) -> User:
    found = [u for u in users if u.role is UserRole.REVIEWER and u in collection.reviewers]
    if not found:
        raise DemoLoadFailed(f"no demo user reviews {collection.slug} in demo/data/alliance.toml")
    return found[0]


def _publish(
    contributor: User, reviewer: User, library: Library, batch: list[dataset.DemoRow]
) -> None:
    """Submit the imported drafts and publish them as the collection's reviewer."""
    for row in batch:
        record = records.find_by_local_id(library.id, row.local_id)
        if record is not None and record.status is RecordStatus.DRAFT:
            records.submit_record(contributor, record)
            records.publish_record(reviewer, record)
