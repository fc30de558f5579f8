"""The demo's recordings: short files in ``demo/data/recordings`` attached to ICH records once
they are imported, through the same save as the record form (``ingest.services.save_record``),
by the library's reviewer of the collection, so the edit needs no second reviewer.

The files are committed, so the demo needs no FFmpeg to start; verifying and attaching them
does, and without it the demo loads without them and says why. A record that already has
recordings is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from ingest.services import save_record
from ingest.uploads import ImageUpload
from repository.media import missing_ffmpeg
from repository.models import Collection, Library, User

FOLDER = Path(__file__).resolve().parent / "data" / "recordings"


def attach_demo_recordings(
    libraries: dict[str, Library],
    collection: Collection,
    editor_of: Callable[[Library], User],
    say: Callable[[str], None] = print,
) -> int:
    """Attach each listed recording to its record if that record has none; how many were."""
    problem = missing_ffmpeg(current_app.config)
    if problem is not None:
        say(f"The demo's recordings are left out: {problem}")
        return 0
    from repository.services import records

    with (FOLDER / "recordings.toml").open("rb") as file:
        listed = tomllib.load(file)["recordings"]
    attached = 0
    for item in listed:
        library = libraries[item["library"]]
        record = records.find_by_local_id(library.id, item["local_id"])
        if record is None or record.collection_id != collection.id or record.recordings:
            continue
        upload = ImageUpload(FOLDER / item["file"], item["file"], item["label"])
        save_record(editor_of(library), record, record.metadata_, [upload])
        attached += 1
    return attached
