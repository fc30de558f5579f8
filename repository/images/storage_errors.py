"""What goes wrong when files are stored, and how users are told: sizes, limits, failed writes.

Upload checks, imports and the stores raise and word these the same way, in both languages.
"""

from __future__ import annotations

import errno

from repository.errors import HuikuError
from repository.messages import Message


def format_size(size: int) -> str:
    """A byte count the way people read it: ``200 MB``, ``1.5 GB``, ``512 bytes``."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def size_limit_message(max_bytes: int, filename: str | None = None) -> Message:
    """The bilingual "file too large" message, shared by the store and upload pre-checks."""
    limit = format_size(max_bytes)
    if filename:
        return Message("{name} is larger than the upload limit of {limit}.").format(
            name=filename, limit=limit
        )
    return Message("The file is larger than the upload limit of {limit}.").format(limit=limit)


class FileTooLarge(Exception):
    """An upload passed the size limit; it was abandoned on the spot and nothing was kept."""

    def __init__(self, message: Message, max_bytes: int) -> None:
        super().__init__(str(message))
        self.message = message
        self.max_bytes = max_bytes


class StorageUnavailable(HuikuError):
    """Files could not be written to the store, so the change that needed them was not saved.

    507 when the disk is full, else 503: either way the request was fine and may be sent again
    once the store is repaired. ``step`` says what was being written (``RECEIVING`` …).
    """

    status = 503

    def __init__(self, step: Message, error: OSError) -> None:
        super().__init__(_NOTHING_SAVED.format(step=step, reason=_reason(error)))
        self.step = step
        if error.errno in _FULL:
            self.status = 507


RECEIVING = Message("receiving the uploaded files")
STORING = Message("storing the images")
DERIVING = Message("making the thumbnails and tiles")
_NOTHING_SAVED = Message(
    "Nothing was saved: {step} failed because {reason}. Please try again later; if it keeps "
    "failing, tell the repository's administrators."
)
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_REASONS = (
    (_FULL, Message("the storage is full")),
    (
        frozenset({errno.EACCES, errno.EPERM, errno.EROFS}),
        Message("the storage cannot be written to"),
    ),
    (
        frozenset({errno.ENOENT, errno.ENOTDIR, errno.EEXIST}),
        Message("a storage folder is missing or is not a folder"),
    ),
)


def _reason(error: OSError) -> Message:
    said = getattr(error, "reason", None)  # an object store names its own reason
    if isinstance(said, Message):
        return said
    for codes, reason in _REASONS:
        if error.errno in codes:
            return reason
    name = errno.errorcode.get(error.errno or 0, "unknown")
    return Message("the storage reported an error ({name})").format(name=name)
