"""Public answers kept under their own URL, so a server can send them without asking anyone.

Once Huiku has answered a canonical image request or a manifest of a *public* record, it keeps
the bytes under the request's path below ``public/``::

    public/iiif/image/3/<asset id>/<region>/<size>/<rotation>/<quality>.<format>
                                                   (canonical, and as a viewer asked for it)
    public/iiif/3/manifests/<record id>            (and <record id>.gz)

On local disk that tree is ``<IIIF_CACHE_ROOT>/public``, which nginx serves with ``try_files``;
with object storage it is the same keys in the bucket, which nginx proxies (docs/nginx-iiif.conf).
Huiku itself sends them from ``PublicAnswers`` before Flask is involved: no database query.

The tree is therefore a list of what anyone may read, and everything that can make an answer
stale or private removes its files: a record leaving publication (withdrawn, deleted, returned),
a changed or removed image, a changed record (its manifest), a changed library (every manifest)
or collection (everything). They are removed when the change is flushed and again once it is
committed, and a request that wrote an answer while a withdrawal was committing checks again and
removes it, so no order of the two leaves a private answer behind.

Only with ``IIIF_PUBLIC_ANSWERS`` on (``HUIKU_IIIF_PUBLIC_ANSWERS=1``, the deployment profile
of docs/nginx-iiif.conf). Manifests are kept only when ``BASE_URL`` is set (their ids would
otherwise name whichever host asked first) and every image's derivatives are ready (the
thumbnails are in the manifest).

It lives in the core because both the IIIF package and recordings (``repository.media.public``)
keep files here; the IIIF package installs its listeners (``init_app``).
"""

from __future__ import annotations

import functools
import gzip
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Select, event, inspect, select
from sqlalchemy.orm import Session

from repository.extensions import db
from repository.images.s3_client import S3Settings
from repository.images.storage import FileStore, validate_key
from repository.models import Asset, Collection, Library, Record, RecordStatus
from repository.transactions import committed

log = logging.getLogger(__name__)

PREFIX = "public"
IMAGE_PATH = "/iiif/image/3/"
MANIFEST_PATH = "/iiif/3/manifests/"
_STALE = "huiku_iiif_public_stale"  # session.info: keys to remove again after the commit

#: Other files kept under their URL (a recording's, repository.media.public): for a model, the
#: URL folders a changed or deleted row of a published record makes stale ...
_ROW_TREES: dict[type, Callable[[Any], Iterable[str]]] = {}
#: ... and the URL folders of a record leaving publication.
_RECORD_TREES: list[Callable[[Record], Iterable[str]]] = []


def keep_trees_of(
    model: type,
    row_trees: Callable[[Any], Iterable[str]],
    record_trees: Callable[[Record], Iterable[str]],
) -> None:
    """Have files another package keeps below ``public/`` removed as this module's own are."""
    _ROW_TREES[model] = row_trees
    if record_trees not in _RECORD_TREES:
        _RECORD_TREES.append(record_trees)


def public_store(config: Mapping[str, Any] | None = None) -> FileStore:
    """The bucket when the files are shared, else this machine's IIIF cache folder.

    ``config`` (an app's) spares an app context, which the middleware does not push.
    """
    config = current_app.config if config is None else config
    settings = S3Settings.from_config(config)
    if settings is not None:
        return _bucket_store(str(config["STORAGE_ROOT"]), settings)
    return _disk_store(str(config["IIIF_CACHE_ROOT"]))


@functools.lru_cache(maxsize=8)
def _bucket_store(root: str, settings: S3Settings) -> FileStore:
    from repository.images.s3 import S3Store

    return S3Store(Path(root), settings)


@functools.lru_cache(maxsize=8)
def _disk_store(root: str) -> FileStore:
    return FileStore(Path(root))


def key_for(url_path: str) -> str:
    """The store key of an answer's URL path (``/iiif/…``)."""
    return validate_key(PREFIX + url_path)


def image_tree(asset_id: str) -> str:
    return key_for(f"{IMAGE_PATH}{asset_id}")


def manifest_key(record_id: str) -> str:
    return key_for(f"{MANIFEST_PATH}{record_id}")


def publish_image(asset_id: str, requests: list[str], source: Path) -> None:
    """Keep a rendered image answer of a public image under the URLs of ``requests``
    (``region/size/rotation/quality.format``, each a form the view accepted)."""
    if not source.is_file():  # the cache could not be written: nothing to keep
        return
    store = public_store()
    for tail in requests:
        quietly("keep", lambda tail=tail: store.put_file(_image_key(asset_id, tail), source))
    if not image_is_public(asset_id):  # withdrawn while this was written: take it back
        remove_images([asset_id])


def publish_manifest(record: Record, body: bytes) -> None:
    """Keep a public record's manifest (and its gzip form) under its URL, when it is final."""
    config = current_app.config
    if not config.get("IIIF_PUBLIC_ANSWERS") or not config.get("BASE_URL"):
        return
    if not record.is_public:
        return
    if not all(asset.derivatives_ready for asset in record.assets):
        return
    key = manifest_key(record.public_id)
    if has_manifest(record.public_id):  # a client asking for plain JSON, or one revalidating
        return

    def write() -> None:
        store = public_store()
        store.put_bytes(f"{key}.gz", gzip.compress(body, compresslevel=9, mtime=0))
        store.put_bytes(key, body)

    quietly("keep", write)
    if not record_is_public(record.id):
        remove_manifests([record.public_id])


def has_manifest(record_id: str) -> bool:
    """Whether the record's manifest is kept already (so it need not be written again)."""
    try:
        return public_store().exists(manifest_key(record_id))
    except (OSError, ValueError):
        return False


def remove_images(asset_ids: Iterable[str]) -> None:
    store = public_store()
    for tree in [image_tree(asset_id) for asset_id in asset_ids]:
        quietly("remove", lambda tree=tree: store.delete_tree(tree))


def remove_manifests(record_ids: Iterable[str]) -> None:
    for record_id in record_ids:
        key = manifest_key(record_id)
        quietly("remove", lambda key=key: _delete_keys(key, f"{key}.gz"))


def remove_all(path: str = "") -> None:
    """Everything under ``public/<path>`` (a collection or library changed)."""
    quietly("remove", lambda: public_store().delete_tree(key_for(path) if path else PREFIX))


def _delete_keys(*keys: str) -> None:
    store = public_store()
    for key in keys:
        store.delete(key)


def _image_key(asset_id: str, canonical: str) -> str:
    return key_for(f"{IMAGE_PATH}{asset_id}/{canonical}")


def quietly(action: str, operation: Callable[[], object]) -> None:
    """A store that fails must not fail the request; a failed removal is logged as an error."""
    try:
        operation()
    except OSError as error:
        level = logging.ERROR if action == "remove" else logging.WARNING
        log.log(level, "IIIF public answers: could not %s: %s", action, error)


def image_is_public(asset_id: str) -> bool:
    """Whether the image's record is public now (read afresh, not from the session)."""
    query = select(Asset.id).join(Record, Asset.record_id == Record.id)
    return _still_public(query.where(Asset.public_id == asset_id))


def record_is_public(record_id: int) -> bool:
    """Whether the record is public now (read afresh, not from the session)."""
    return _still_public(select(Record.id).where(Record.id == record_id))


def _still_public(query: Select) -> bool:
    published = query.join(Collection, Record.collection_id == Collection.id).where(
        Record.status == RecordStatus.PUBLISHED, Collection.published.is_(True)
    )
    return db.session.execute(published).first() is not None


# What a change makes stale -----------------------------------------------------------------


class Stale:
    """The answers a flush made stale: image trees, manifests, or everything."""

    def __init__(self) -> None:
        self.images: set[str] = set()
        self.manifests: set[str] = set()
        self.all_manifests = False
        self.everything = False
        self.trees: set[str] = set()  # URL folders of other kept files (keep_trees_of)

    def __bool__(self) -> bool:
        return bool(
            self.images or self.manifests or self.all_manifests or self.everything or self.trees
        )

    def merge(self, other: Stale) -> None:
        self.images |= other.images
        self.manifests |= other.manifests
        self.all_manifests |= other.all_manifests
        self.everything |= other.everything
        self.trees |= other.trees

    def remove(self) -> None:
        if self.everything:
            remove_all()
            return
        if self.all_manifests:
            remove_all(MANIFEST_PATH.rstrip("/"))
        else:
            remove_manifests(sorted(self.manifests))
        remove_images(sorted(self.images))
        for path in sorted(self.trees):
            remove_all(path)


def stale_after(session: Session) -> Stale:
    """What the pending changes of ``session`` make stale (read before they are flushed).

    Only records that are or were published can have kept answers, so drafts (an import's
    thousands of rows) cost nothing here.
    """
    stale = Stale()
    for instance in [*session.dirty, *session.deleted]:
        changed = instance in session.deleted or session.is_modified(
            instance, include_collections=False
        )
        if not changed:
            continue
        if isinstance(instance, Collection | Library):
            stale.everything |= isinstance(instance, Collection)
            stale.all_manifests = True
        elif isinstance(instance, Record) and _was_or_is_published(instance):
            stale.manifests.add(instance.public_id)
            if instance in session.deleted or instance.status is not RecordStatus.PUBLISHED:
                stale.images.update(asset.public_id for asset in instance.assets)
                for trees in _RECORD_TREES:
                    stale.trees.update(trees(instance))
        elif isinstance(instance, Asset):
            stale.images.add(instance.public_id)
            _stale_manifest_of(instance, stale)
        elif type(instance) in _ROW_TREES:
            record = getattr(instance, "record", None)
            if isinstance(record, Record) and _was_or_is_published(record):
                stale.trees.update(_ROW_TREES[type(instance)](instance))
                _stale_manifest_of(instance, stale)
    for instance in session.new:
        _stale_manifest_of(instance, stale)
    return stale


def _stale_manifest_of(instance: object, stale: Stale) -> None:
    """A changed part of a record (an image, a contributor) changes a public record's manifest."""
    record = getattr(instance, "record", None)
    if isinstance(record, Record) and record.public_id and _was_or_is_published(record):
        stale.manifests.add(record.public_id)


def _was_or_is_published(record: Record) -> bool:
    if record.status is RecordStatus.PUBLISHED:
        return True
    return RecordStatus.PUBLISHED in inspect(record).attrs.status.history.deleted


def _before_flush(session: Session, _context, _instances) -> None:
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # outside an app (a script's own session): nothing is served from it
        return
    if "iiif_public_cache" not in app.extensions or not app.config.get("IIIF_PUBLIC_ANSWERS"):
        return
    stale = stale_after(session)
    if stale:
        stale.remove()
        session.info.setdefault(_STALE, Stale()).merge(stale)


def _after_commit(session: Session, **_extra) -> None:
    stale = session.info.pop(_STALE, None)
    if stale:
        stale.remove()


def _after_rollback(session: Session) -> None:
    session.info.pop(_STALE, None)


_listening = False


def init_app(app: Flask) -> None:
    """Listens for changes that make kept answers stale (once per process, for every app)."""
    global _listening
    app.extensions["iiif_public_cache"] = True
    if not _listening:
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
        committed.connect(_after_commit)
        _listening = True
