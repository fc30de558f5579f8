"""Saving a record from the web form or the API: metadata and images together, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ingest.derivatives import DerivativeSet, build_derivatives
from ingest.duplicates import flag_possible_duplicates
from ingest.uploads import (
    AcceptedImage,
    ImageChange,
    ImagesRejected,
    ImageUpload,
    accepted_uploads,
    attach_images,
    change_images,
    file_store,
)
from repository.messages import Message
from repository.models import Collection, Record, User
from repository.profiles import MetadataInvalid, Profile
from repository.services import records
from repository.storage import FileStore
from repository.transactions import unit_of_work


def save_new_record(
    user: User, collection: Collection, data: Mapping[str, Any], uploads: Sequence[ImageUpload]
) -> Record:
    """Create a draft with its images; any bad field or file rejects the whole save."""
    with _verified(collection.profile, data, uploads) as images:
        record = records.create_record(
            user, collection, data, edit_assets=lambda r: bool(attach_images(r, images))
        )
    build_pending_derivatives(record)
    flag_possible_duplicates(record)
    return record


def save_record(
    user: User,
    record: Record,
    data: Mapping[str, Any],
    uploads: Sequence[ImageUpload] = (),
    changes: Sequence[ImageChange] = (),
) -> bool:
    """Save an edit of metadata and images as one revision; False when nothing changed."""
    with _verified(record.collection.profile, data, uploads) as images:

        def edit_assets(target: Record) -> bool:
            changed = change_images(target, changes)
            return bool(attach_images(target, images)) or changed

        saved = records.update_record(user, record, data, edit_assets=edit_assets)
    build_pending_derivatives(record)
    if saved:
        flag_possible_duplicates(record)
    return saved


def build_pending_derivatives(record: Record) -> None:
    """Thumbnails, the pyramid and IIIF tiles for images that lack them (after the commit)."""
    build_pending_derivatives_for([record], iiif_tiles=True)


def build_pending_derivatives_for(saved: Iterable[Record], *, iiif_tiles: bool = False) -> int:
    """Derivatives for every image of these records that lacks them, marked ready in one commit.

    With ``iiif_tiles`` the IIIF tile set is cut as well (when the IIIF package is installed),
    so a batch import leaves nothing for the first viewer to wait for. Returns the number of
    images built.
    """
    store = file_store()
    pending = [asset for record in saved for asset in record.assets if not asset.derivatives_ready]
    if not pending:
        return 0
    ensure_tiles = _tile_builder() if iiif_tiles else None
    with unit_of_work():
        for asset in pending:
            derivatives = build_derivatives(store, asset.sha256)
            if ensure_tiles is not None:
                ensure_tiles(store, derivatives)
            asset.derivatives_ready = True
    return len(pending)


def _tile_builder() -> Callable[[FileStore, DerivativeSet], object] | None:
    try:
        from iiif.image_tiles import ensure_tile_set
    except ImportError:  # the IIIF package is optional for ingest
        return None
    return ensure_tile_set


@contextmanager
def _verified(
    profile: Profile, data: Mapping[str, Any], uploads: Sequence[ImageUpload]
) -> Iterator[list[AcceptedImage]]:
    """Verified uploads, or one MetadataInvalid naming every bad field and file at once."""
    try:
        profile.validate(data)
        metadata_errors: dict[str, list[Message]] = {}
    except MetadataInvalid as error:
        metadata_errors = error.errors
    try:
        with accepted_uploads(uploads) as images:
            if metadata_errors:
                raise MetadataInvalid(metadata_errors)
            yield images
    except ImagesRejected as error:
        raise MetadataInvalid({**metadata_errors, "images": list(error.messages)}) from None
