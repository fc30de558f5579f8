"""Built manifests kept on disk, so a request costs a file read instead of an iiif-prezi3 build.

A cached manifest is named by a fingerprint of everything it is made from (the record, its
images, collection, libraries, the public base URL and the builder's format), so any change to
those gives a new name: nothing is ever invalidated by hand, stale files are simply replaced.
The fingerprint is also the HTTP validator, so a revalidating client is answered without
opening the file. Files are written to a temporary name and renamed, so several processes may
build the same manifest at once and readers never see half a file.

Layout: ``<IIIF_CACHE_ROOT>/manifests/<record public id>/<fingerprint>.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from iiif.av import av_fingerprint
from iiif.manifests import build_manifest
from iiif.presentation_http import public_root
from repository import public_answers
from repository.extensions import db
from repository.models import Asset, DerivativeState, Record

#: Bump when the builder's output changes, so manifests cached by an older release are rebuilt.
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class CachedManifest:
    fingerprint: str
    body: bytes


def manifest_fingerprint(record: Record) -> str:
    """A digest of every input of the record's manifest."""
    config = current_app.config
    collection = record.collection
    parts = [
        MANIFEST_FORMAT,
        public_root(),
        record.public_id,
        record.updated_at.isoformat(),
        [collection.slug, collection.title_zh, collection.title_en, collection.default_rights],
        [[lib.code, lib.name_zh, lib.name_en] for lib in record.contributing_libraries],
        [config["ALLIANCE_NAME_ZH"], config["ALLIANCE_NAME_EN"]],
        _image_parts(record),
        av_fingerprint(record),  # the recordings' canvases (iiif/av.py)
    ]
    encoded = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def _image_parts(record: Record) -> list[list]:
    """The images' columns, read as plain rows: a record of 200 images is then one cheap query,
    where loading them as objects cost most of a request answered from the cache."""
    rows = db.session.execute(
        select(
            Asset.public_id,
            Asset.sha256,
            Asset.label,
            Asset.width,
            Asset.height,
            Asset.derivative_state,
        )
        .where(Asset.record_id == record.id)
        .order_by(Asset.position, Asset.id)
    )
    return [[*row[:5], row.derivative_state == DerivativeState.READY] for row in rows]


def cached_manifest(record: Record, fingerprint: str | None = None) -> CachedManifest:
    """The record's manifest, built and stored only when no file has its current fingerprint."""
    fingerprint = fingerprint or manifest_fingerprint(record)
    folder = _cache_root() / record.public_id
    path = folder / f"{fingerprint}.json"
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        body = build_manifest(record).encode()
        _store(folder, path, body)
    public_answers.publish_manifest(record, body)
    return CachedManifest(fingerprint, body)


def _cache_root() -> Path:
    return Path(current_app.config["IIIF_CACHE_ROOT"]) / "manifests"


def _store(folder: Path, path: Path, body: bytes) -> None:
    """Write atomically, then remove the record's outdated versions."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".building-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    for stale in folder.glob("*.json"):
        if stale != path and not stale.name.startswith("."):  # not another process's temp file
            stale.unlink(missing_ok=True)
