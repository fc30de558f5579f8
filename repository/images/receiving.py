"""Uploads copied aside before they are checked, the same way for images and recordings.

Each save gets a staging folder of its own under the store's root; a file is copied into it
up to the size limit, so a file over the limit is refused without being kept whole.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from repository.images.storage import FileStore
from repository.images.storage_errors import (
    RECEIVING,
    FileTooLarge,
    StorageUnavailable,
    size_limit_message,
)

_CHUNK = 1024 * 1024


@contextmanager
def staging_folder(store: FileStore) -> Iterator[Path]:
    """An empty folder for one save's uploads, removed with everything in it afterwards."""
    try:
        root = store.root / "staging"
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root))
    except OSError as error:
        raise StorageUnavailable(RECEIVING, error) from error
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def copy_limited(stream: BinaryIO | Path, filename: str, target: Path, limit: int) -> None:
    """Copy an upload (an open stream, or a file by path) to ``target``; FileTooLarge, naming
    the file, as soon as it passes ``limit`` bytes."""
    source = stream.open("rb") if isinstance(stream, Path) else stream
    try:
        with target.open("wb") as out:
            copied = 0
            while chunk := source.read(_CHUNK):
                copied += len(chunk)
                if copied > limit:
                    raise FileTooLarge(size_limit_message(limit, filename), limit)
                out.write(chunk)
    except OSError as error:
        raise StorageUnavailable(RECEIVING, error) from error
    finally:
        if isinstance(stream, Path):
            source.close()
