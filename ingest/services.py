"""Saving a record from the web form or the API: metadata and images together, all or nothing.

The files come first: each new image's original and thumbnails are written before the
transaction that adds its row, so a committed image can always be shown. If writing them fails,
or the transaction does, the files this save created are removed again and the record stays as
it was (``StorageUnavailable`` says which step failed). The pyramid and the IIIF tiles are built
by a task enqueued after the commit (``repository.images.tasks``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ingest.duplicates import flag_possible_duplicates
from ingest.uploads import (
    AcceptedImage,
    ImageChange,
    ImagesRejected,
    ImageUpload,
    StoredImage,
    accepted_uploads,
    attach_images,
    change_images,
)
from repository.extensions import db
from repository.images import file_store
from repository.images.accepting import remove_unused
from repository.images.derivatives import build_thumbnails
from repository.images.storage_errors import DERIVING, STORING, StorageUnavailable
from repository.images.tasks import enqueue_derivatives
from repository.media.tasks import enqueue_recording_derivatives
from repository.media.uploads import (  # recordings ride along with the images
    RecordingChange,
    RecordingsRejected,
    attach_recordings,
    change_recordings,
    split_recordings,
    stored_recordings,
)
from repository.messages import Message
from repository.models import Collection, Library, Record, User
from repository.profiles import MetadataInvalid, Profile
from repository.services import records

log = logging.getLogger(__name__)


def save_new_record(
    user: User,
    collection: Collection,
    data: Mapping[str, Any],
    uploads: Sequence[ImageUpload],
    library: Library | None = None,
) -> Record:
    """Create a draft with its images; any bad field or file rejects the whole save.

    ``library`` is the owner when a helper library works for a partner (结对扶持).
    """
    uploads, sounds = split_recordings(uploads)
    with (
        _verified(collection.profile, data, uploads) as images,
        _recordings(sounds) as recordings,
        _stored(images) as stored,
    ):
        record = records.create_record(
            user,
            collection,
            data,
            edit_assets=lambda r: bool(attach_images(r, stored) + attach_recordings(r, recordings)),
            library=library,
        )
    enqueue_pending_derivatives([record])
    enqueue_recording_derivatives([record])
    flag_possible_duplicates(record)
    return record


def save_record(
    user: User,
    record: Record,
    data: Mapping[str, Any],
    uploads: Sequence[ImageUpload] = (),
    changes: Sequence[ImageChange] = (),
    recording_changes: Sequence[RecordingChange] = (),
) -> bool:
    """Save an edit of metadata and images as one revision; False when nothing changed."""
    uploads, sounds = split_recordings(uploads)
    with (
        _verified(record.collection.profile, data, uploads) as images,
        _recordings(sounds) as recordings,
        _stored(images) as stored,
    ):

        def edit_assets(target: Record) -> bool:
            changed = change_images(target, changes)
            changed = change_recordings(target, recording_changes) or changed
            added = attach_images(target, stored) + attach_recordings(target, recordings)
            return bool(added) or changed

        saved = records.update_record(user, record, data, edit_assets=edit_assets)
    enqueue_pending_derivatives([record])
    enqueue_recording_derivatives([record])
    if saved:
        flag_possible_duplicates(record)
    return saved


def enqueue_pending_derivatives(saved: Iterable[Record]) -> int:
    """After the commit: a derivative task for every image of these records still pending.

    The save stands whatever happens here; an image whose task is lost is caught up by the
    recovery pass.
    """
    try:
        return enqueue_derivatives(asset for record in saved for asset in record.assets)
    except Exception:
        db.session.rollback()
        log.exception("could not enqueue the derivatives of a save")
        return 0


@contextmanager
def _stored(images: Sequence[AcceptedImage]) -> Iterator[list[StoredImage]]:
    """The images' originals and thumbnails written to the store, for the block to attach.

    If writing fails, or the block does (its transaction rolled back), the files created here
    are removed again, unless a committed image of another save refers to the same bytes.
    """
    store = file_store()
    created: list[str] = []
    try:
        stored = []
        for image in images:
            try:
                original = store.put_original(image.path)
            except OSError as error:
                raise _unavailable(STORING, error) from error
            if original.created:
                created.append(original.sha256)
            try:
                build_thumbnails(store, original.sha256)
            except OSError as error:
                raise _unavailable(DERIVING, error) from error
            stored.append(StoredImage(image, original))
        yield stored
    except BaseException:
        remove_unused(store, created)
        raise


def _unavailable(step: Message, error: OSError) -> StorageUnavailable:
    log.error("the store could not be written while %s: %s", step, error)
    return StorageUnavailable(step, error)


@contextmanager
def _recordings(uploads: Sequence[ImageUpload]) -> Iterator[list]:
    """The recordings among the uploads, verified and stored (``repository.media.uploads``);
    a bad one is reported under ``images``, beside the images' problems."""
    try:
        with stored_recordings(uploads) as stored:
            yield stored
    except RecordingsRejected as error:
        raise MetadataInvalid({"images": list(error.messages)}) from None


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
