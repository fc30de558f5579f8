"""A public recording's playable file kept under its URL, so nginx sends it, ranges and all.

The IIIF public answers (repository.public_answers) already keep what anyone may read below
``public/``; a recording's playable file joins them, by the same rules::

    public/media/<recording id>/play.<ext>    on local disk: nginx finds it with try_files
                                              and names its type by the extension
    public/media/<recording id>/play          in the bucket, with its Content-Type

It is kept when Huiku first sends it to anyone (``/media/<id>/play`` of a public record whose
playable copy is built), as a hard link on the same disk, a server-side copy in the bucket: a
recording of gigabytes is not written twice. It goes the moment the recording changes (a new
copy being built) or its record stops being public, through repository.public_answers' listeners.
Only with ``IIIF_PUBLIC_ANSWERS`` on: the deployment profile of docs/nginx-iiif.conf.
"""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

from flask import current_app

from repository import public_answers
from repository.images import file_store
from repository.images.storage import FileStore
from repository.media.models import Recording
from repository.models import Record

MEDIA_PATH = "/media/"

#: Types nginx names by the extension of the kept file (docs/nginx-iiif.conf lists them all).
EXTENSIONS = {
    "video/mp4": "mp4",
    "audio/mp4": "m4a",
    "video/webm": "webm",
    "audio/webm": "weba",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "audio/aac": "aac",
}


def recording_tree(recording_id: str) -> str:
    """The URL folder of a recording's kept files."""
    return f"{MEDIA_PATH}{recording_id}"


def keep_play(recording: Recording, name: str, mime_type: str) -> None:
    """Keep the playable file (``name`` in the derivative folder, or ``original``) of a public
    recording whose copy is built, unless it is kept already."""
    config = current_app.config
    extension = EXTENSIONS.get(mime_type)
    if not config.get("IIIF_PUBLIC_ANSWERS") or extension is None:
        return
    if not recording.ready or not recording.record.is_public:
        return
    store = public_answers.public_store()
    url_path = f"{recording_tree(recording.public_id)}/play"
    if store.shared:  # in the bucket, typed by the object's Content-Type
        key = public_answers.key_for(url_path)
        keep = functools.partial(_copy_in_bucket, recording, name, key, mime_type)
    else:  # on disk, typed by the extension
        key = public_answers.key_for(f"{url_path}.{extension}")
        keep = functools.partial(_link_on_disk, recording, name, store, key)
    try:
        if store.exists(key):
            return
    except (OSError, ValueError):
        return
    public_answers.quietly("keep", keep)
    if not public_answers.record_is_public(recording.record_id):  # withdrawn meanwhile
        public_answers.remove_all(recording_tree(recording.public_id))


def _link_on_disk(recording: Recording, name: str, store: FileStore, key: str) -> None:
    source = _local_file(recording, name)
    target = store.path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".incoming-{uuid.uuid4().hex}")
    try:
        os.link(source, temp)
    except OSError:  # another file system: a copy, whole or not at all
        store.put_file(key, source)
        return
    os.replace(temp, target)


def _local_file(recording: Recording, name: str) -> Path:
    store = file_store()
    if name == "original":
        return store.original_path(recording.sha256)
    return store.derivative_dir(recording.sha256) / name


def _copy_in_bucket(recording: Recording, name: str, key: str, mime_type: str) -> None:
    """A server-side copy with the file's type: the bucket holds the recording already (the
    public store is a bucket only when the files are in it too)."""
    from repository.images.s3 import S3Store

    store = file_store()
    assert isinstance(store, S3Store)
    if name == "original":
        source_key = store._original_key(recording.sha256)
    else:
        source_key = f"{store._derivative_prefix(recording.sha256)}/{name}"
    bucket = store.settings.bucket
    source = {"Bucket": bucket, "Key": store.object_name(source_key)}
    extra = {"ContentType": mime_type, "MetadataDirective": "REPLACE"}
    with store._errors(key):
        store.client.copy(source, bucket, store.object_name(key), ExtraArgs=extra)


def _row_trees(recording: Recording) -> list[str]:
    return [recording_tree(recording.public_id)] if recording.public_id else []


def _record_trees(record: Record) -> list[str]:
    return [recording_tree(recording.public_id) for recording in record.recordings]


public_answers.keep_trees_of(Recording, _row_trees, _record_trees)
