"""Loading the demo alliance: libraries, people, collections and published records with images.

Everything goes through the same services a cataloguer's work does, so the demo is also a
rehearsal of the whole contribution path. Loading twice changes nothing.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from ingest.demo import data
from ingest.demo.artwork import render_demo_image
from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.errors import NotFound
from repository.models import Collection, Library, RecordStatus, User
from repository.services import accounts, collections, records


@dataclass
class DemoSummary:
    created: int = 0
    existing: int = 0


def load_demo(
    limit: int | None = None, progress: Callable[[int, int], None] | None = None
) -> DemoSummary:
    """Create what is missing of the demo; ``limit`` loads only the first records (for tests)."""
    libraries = {item["code"]: _library(item) for item in data.LIBRARIES}
    collection_map = {item["slug"]: _collection(item, libraries) for item in data.COLLECTIONS}
    users = {item["email"]: _user(item, libraries, collection_map) for item in data.USERS}
    chosen = data.RECORDS if limit is None else _spread(data.RECORDS, limit)
    summary = DemoSummary()
    for number, item in enumerate(chosen, start=1):
        library = libraries[item["library"]]
        if records.find_by_local_id(library.id, item["metadata"]["local_id"]) is not None:
            summary.existing += 1
        else:
            _publish(item, collection_map[item["collection"]], library, users)
            summary.created += 1
        if progress:
            progress(number, len(chosen))
    return summary


def demo_logins() -> list[dict[str, str]]:
    return [
        {"email": u["email"], "password": u["password"], "role": u["role"], "library": u["library"]}
        for u in data.USERS
    ]


def _spread(items: list[dict], limit: int) -> list[dict]:
    """The first records of each collection in turn, so a small demo still shows every profile."""
    by_collection: dict[str, list[dict]] = {}
    for item in items:
        by_collection.setdefault(item["collection"], []).append(item)
    chosen: list[dict] = []
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
        coordinating_library=libraries.get(item.get("library") or item.get("coordinating_library")),
        default_rights=item.get("default_rights", ""),
    )


def _user(item: dict, libraries: dict[str, Library], collection_map: dict[str, Collection]) -> User:
    found = accounts.find_user(item["email"])
    return found or accounts.create_user(
        item["email"],
        libraries[item["library"]],
        item["role"],
        item["password"],
        name=item.get("name", ""),
        reviews=[collection_map[slug] for slug in item.get("reviews", [])],
    )


def _publish(item: dict, collection: Collection, library: Library, users: dict[str, User]) -> None:
    contributor = _member(users, library, "contributor")
    reviewer = _reviewer(users, collection)
    metadata = dict(item["metadata"])
    metadata.setdefault("rights", collection.default_rights)
    record = save_new_record(contributor, collection, metadata, _images(item))
    records.submit_record(contributor, record)
    records.publish_record(reviewer, record)
    assert record.status is RecordStatus.PUBLISHED


def _images(item: dict) -> list[ImageUpload]:
    uploads = []
    for number, spec in enumerate(item.get("images", [])):
        seed = zlib.crc32(f"{item['metadata']['local_id']}-{number}".encode())
        size = tuple(spec.get("size", (1600, 1200)))
        image = render_demo_image(
            spec["motif"], seed, spec.get("label", ""), size=size, palette=spec.get("palette")
        )
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=88)
        buffer.seek(0)
        name = f"{item['metadata']['local_id']}-{number + 1}.jpg"
        uploads.append(ImageUpload(buffer, name, spec.get("label", "")))
    return uploads


def _member(users: dict[str, User], library: Library, role: str) -> User:
    return next(u for u in users.values() if u.library_id == library.id and u.role.value == role)


def _reviewer(users: dict[str, User], collection: Collection) -> User:
    reviewers = [u for u in users.values() if collection in u.reviewed_collections]
    return reviewers[0] if reviewers else next(u for u in users.values() if u.is_admin)
