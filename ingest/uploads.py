"""Images arriving with a record: verified first, stored content-addressed, then attached.

Every upload is checked before anything is written, so one bad file rejects the whole save and
leaves the record as it was. A store that cannot be written is reported as
``StorageUnavailable`` naming the step that failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from repository.errors import FilesRejected
from repository.extensions import db
from repository.images import file_store
from repository.images.receiving import copy_limited, staging_folder
from repository.images.storage import StoredOriginal
from repository.images.storage_errors import FileTooLarge
from repository.images.verify import ImageRejected, VerifiedImage, verify_image
from repository.models import Asset, Record


class ImagesRejected(FilesRejected):
    """One or more images failed verification."""


@dataclass(frozen=True)
class ImageUpload:
    stream: BinaryIO | Path
    filename: str
    label: str = ""


@dataclass(frozen=True)
class AcceptedImage:
    path: Path
    filename: str
    label: str
    verified: VerifiedImage


@dataclass(frozen=True)
class StoredImage:
    """An accepted upload whose original and thumbnails are in the store already."""

    image: AcceptedImage
    original: StoredOriginal


@dataclass(frozen=True)
class ImageChange:
    """What the edit form says about an image the record already has."""

    asset_id: str
    label: str
    position: int
    remove: bool = False


@contextmanager
def accepted_uploads(uploads: Sequence[ImageUpload]) -> Iterator[list[AcceptedImage]]:
    """Copy each upload aside and verify it; raise ImagesRejected naming every bad file.

    The copies live only for the block, under the storage root's staging folder (not touched
    when there is nothing to copy).
    """
    if not uploads:
        yield []
        return
    with staging_folder(file_store()) as staging:
        accepted, problems = [], []
        for number, upload in enumerate(uploads):
            try:
                accepted.append(_accept(upload, staging / f"{number:04d}"))
            except ImageRejected as error:
                problems.append(error.message)
            except FileTooLarge as error:
                problems.append(error.message)
        if problems:
            raise ImagesRejected(problems)
        yield accepted


def _accept(upload: ImageUpload, target: Path) -> AcceptedImage:
    config = current_app.config
    copy_limited(upload.stream, upload.filename, target, config["MAX_UPLOAD_BYTES"])
    verified = verify_image(target, upload.filename, max_pixels=config["MAX_IMAGE_PIXELS"])
    label = upload.label.strip() or Path(upload.filename).stem
    return AcceptedImage(target, upload.filename, label[:300], verified)


def attach_images(record: Record, images: Iterable[StoredImage]) -> list[Asset]:
    """Append stored images to the record (inside the caller's transaction), their thumbnails
    made and their pyramid pending."""
    position = max((asset.position for asset in record.assets), default=-1) + 1
    added = []
    for stored in images:
        image = stored.image
        added.append(
            new_asset(
                record,
                stored.original,
                image.verified,
                image.filename,
                image.label,
                position,
            )
        )
        position += 1
    return added


def new_asset(
    record: Record,
    stored: StoredOriginal,
    verified: VerifiedImage,
    filename: str,
    label: str,
    position: int,
) -> Asset:
    """An asset row for a stored, verified original (added to the session, not committed)."""
    asset = Asset(
        record=record,
        position=position,
        label=label[:300],
        original_filename=filename[:300],
        sha256=stored.sha256,
        mime_type=verified.mime_type,
        size_bytes=stored.size,
        width=verified.width,
        height=verified.height,
    )
    db.session.add(asset)
    return asset


def change_images(record: Record, changes: Iterable[ImageChange]) -> bool:
    """Relabel, reorder and remove existing images; returns whether anything changed."""
    by_id = {asset.public_id: asset for asset in record.assets}
    changed = False
    for change in changes:
        asset = by_id.get(change.asset_id)
        if asset is None:
            continue
        if change.remove:
            if asset in record.assets:  # a form may name the same image twice
                record.assets.remove(asset)
            changed = True
            continue
        if asset.label != change.label.strip()[:300]:
            asset.label, changed = change.label.strip()[:300], True
        if asset.position != change.position:
            asset.position, changed = change.position, True
    ordered = sorted(record.assets, key=lambda asset: (asset.position, asset.id or 0))
    for position, asset in enumerate(ordered):
        asset.position = position
    record.assets[:] = ordered
    return changed
