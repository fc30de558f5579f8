"""Taking a verified image into the store with all its files at once, and taking back what a
failed save stored.

An import stores each new photograph and builds its thumbnails, pyramid and tiles while it
checks the row (``accept_image``). The build decodes all of the image data anyway, so it is
the check for damage too: the header is checked first (format, pixel limit), and a decode
that fails refuses the image as damaged, exactly as the check alone would. A camera
photograph is then read once instead of twice, and its record is viewable at every zoom
level as soon as the import commits it, with no task left to wait for.

Files are named by their content, so storing them before the row's transaction commits is
safe; if the row or its batch then fails, ``remove_unused`` takes them away again unless a
committed image refers to the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from repository.extensions import db
from repository.images.pixels import DamagedImage
from repository.images.storage import FileStore, StoredOriginal
from repository.images.tasks import build_image_files
from repository.images.tiles import tile_set_key
from repository.images.verify import (
    PILLOW_PIXEL_LIMIT,
    ImageRejected,
    VerifiedImage,
    damaged,
    pillow_limit_refusal,
    verify_image,
)
from repository.models import Asset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AcceptedImage:
    """An image stored, with its derivatives and tiles built unless ``built`` is False: an
    asset of it is ready, or waits for its task as after a single save."""

    verified: VerifiedImage
    stored: StoredOriginal
    built: bool = True


def accept_image(
    store: FileStore, path: Path, filename: str, *, max_pixels: int, move: bool = False
) -> AcceptedImage:
    """Verify the image at ``path``, store it and build all its files from one decode.

    Raises ``ImageRejected`` as ``verify_image`` does, naming ``filename``; a refused image
    leaves nothing new in the store. With ``move`` the file at ``path`` (a working copy) is
    moved into the store if it is accepted. A build that fails for another reason than the
    image or the store (a bug, an unusual colour mode) keeps the original and leaves the files
    to the asset's task, which retries and reports them, as a single save does.
    """
    verified = verify_image(path, filename, max_pixels=max_pixels, decode=False)
    stored = store.put_original(path, move=move)
    try:
        build_image_files(store, stored.sha256)
    except BaseException as error:
        refusal = _refusal(error, filename, verified, max_pixels)
        if refusal is None and isinstance(error, Exception) and not isinstance(error, OSError):
            log.exception("the files of %s were not built; its task will build them", filename)
            return AcceptedImage(verified, stored, built=False)
        if stored.created:
            remove_unused(store, [stored.sha256])
        if refusal is not None:
            raise refusal from None
        raise
    return AcceptedImage(verified, stored)


def _refusal(
    error: BaseException, filename: str, verified: VerifiedImage, max_pixels: int
) -> ImageRejected | None:
    """The refusal a failed build means for the uploader: damaged data, or Pillow's own pixel
    limit (a TIFF); None when the image is not to blame."""
    if isinstance(error, DamagedImage):
        return damaged(filename)
    if isinstance(error, PILLOW_PIXEL_LIMIT):
        width, height = verified.width, verified.height
        return pillow_limit_refusal(error, filename, width, height, max_pixels)
    return None


def remove_unused(store: FileStore, sha256s: Iterable[str]) -> set[str]:
    """Remove the originals, derivatives and tiles of these digests that no committed asset
    refers to (what a failed save stored); when the database cannot say, keep them. Returns
    the digests removed."""
    digests = sorted(set(sha256s))
    if not digests:
        return set()
    try:
        referenced = set(db.session.scalars(select(Asset.sha256).where(Asset.sha256.in_(digests))))
    except Exception:
        log.exception("could not check whether new originals are in use; kept them")
        return set()
    unused = {sha256 for sha256 in digests if sha256 not in referenced}
    for sha256 in sorted(unused):
        removals = [
            store.remove_original,
            store.remove_derivatives,
            lambda s: store.delete_tree(tile_set_key(s)),
        ]
        for remove in removals:  # each on its own: a broken folder must not keep the rest
            try:
                remove(sha256)
            except OSError:
                log.exception("could not remove a file of a failed save (%s)", sha256)
    return unused
