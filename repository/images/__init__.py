"""Images, shared by ingest and IIIF: the file store, verification, derivatives and tiles.

``storage``      the content-addressed file store (originals, derivatives) and its errors
``s3``           the same store on S3-compatible object storage, chosen by ``S3_BUCKET``
``s3_client``    its settings, boto3 client and errors
``verify``       checking an upload is a whole image of an accepted format and size
``derivatives``  thumbnails and the downscaled pyramid, with their manifest
``pixels``       decoding originals upright as 8-bit RGB, once per build or at reduced scale
``tiles``        large pyramid levels cut into tiles for deep zoom
``tasks``        building an asset's pyramid and tiles on the task queue
``accepting``    storing an image with all its files at once (imports), and taking back what a
                 failed save stored

Neither ``ingest`` nor ``iiif`` imports the other; both import this.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from repository.images.storage import FileStore


def file_store() -> FileStore:
    """The store of the current app: the disk at ``STORAGE_ROOT``, or the ``S3_BUCKET`` with
    this machine's copies of its files there."""
    root = Path(current_app.config["STORAGE_ROOT"])
    if current_app.config.get("S3_BUCKET"):
        from repository.images.s3 import S3Settings, S3Store

        settings = S3Settings.from_config(current_app.config)
        assert settings is not None
        return S3Store(root, settings)
    return FileStore(root)
