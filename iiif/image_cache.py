"""Rendered image responses kept on disk, named by the canonical request, served as files.

A response's name is a digest of the renderer version, the original's SHA-256 and the canonical
form of the request, so every way of asking for the same pixels finds one file, a replaced image
can never be answered with old bytes, and a change to rendering starts a fresh set. Nothing from
the request reaches a path except through that digest.

Layout under ``IIIF_CACHE_ROOT``::

    ab/cd/<sha256>/<digest>.<format>

Deleting any part of the tree at any time is safe (e.g. files not read for a month); they are
rendered again on the next request.

With object storage (``S3_BUCKET``) the cache is shared too: a response rendered on one machine
is also put under ``iiif-cache/<the same path>`` in the bucket, and a machine that has no copy
fetches it from there before rendering its own. The local tree stays what is served (nginx can
only send local files); the bucket copy spares the other machines the render. A bucket that
cannot be reached only costs the render, never the response.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app, has_app_context

from repository.images import file_store
from repository.images.storage import FileStore, validate_sha256

#: Bump when the renderer's output changes, so old files are no longer used.
RENDER_VERSION = 1


@dataclass(frozen=True)
class CacheEntry:
    digest: str  # also the ETag
    relative_path: str  # under the cache root, with "/" separators (for X-Accel-Redirect)
    path: Path


def cache_entry(root: Path, sha256: str, canonical: str) -> CacheEntry:
    """Where the response to a canonical request (``region/size/rotation/quality.format``) lives."""
    validate_sha256(sha256)
    extension = canonical.rsplit(".", 1)[-1]
    if not extension.isalnum():
        raise ValueError(f"not a canonical image request: {canonical!r}")
    key = f"{RENDER_VERSION}\n{sha256}\n{canonical}".encode()
    digest = hashlib.sha256(key).hexdigest()[:32]
    relative = f"{sha256[:2]}/{sha256[2:4]}/{sha256}/{digest}.{extension}"
    entry = CacheEntry(digest=digest, relative_path=relative, path=Path(root) / relative)
    store = _shared_store()
    if store is not None and not entry.path.is_file():
        try:
            store.fetch(_shared_key(entry), entry.path)
        except OSError as error:
            current_app.logger.warning("IIIF: shared cache unavailable: %s", error)
    return entry


def store_response(entry: CacheEntry, data: bytes, modified: datetime) -> None:
    """Write the file whole under a temporary name, then rename it into place.

    Its modification time is set to ``modified`` (when the image was added), so a proxy that
    sends the file itself reports the same ``Last-Modified`` as the application.
    """
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".", suffix=".part", dir=entry.path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp_name, 0o644)  # mkstemp makes it private; nginx must read it
        timestamp = modified.timestamp()
        os.utime(temp_name, (timestamp, timestamp))
        os.replace(temp_name, entry.path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    store = _shared_store()
    if store is not None:
        try:
            store.put_file(_shared_key(entry), entry.path)
        except OSError as error:
            current_app.logger.warning("IIIF: could not share %s: %s", entry.relative_path, error)


def _shared_store() -> FileStore | None:
    """The object store when there is one; the disk store is this machine's own, not shared."""
    if not has_app_context():
        return None
    store = file_store()
    return store if store.shared else None


def _shared_key(entry: CacheEntry) -> str:
    return f"iiif-cache/{entry.relative_path}"
