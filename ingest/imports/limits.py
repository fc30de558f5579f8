"""How much one import may hold, from the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ingest.imports.zip_images import ZipLimits

DEFAULT_MAX_ROWS = 50_000


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_bytes: int
    max_pixels: int
    images_zip: ZipLimits
    workbook_zip: ZipLimits


def limits() -> Limits:
    """Read from the configuration: ``MAX_UPLOAD_BYTES``, ``MAX_IMAGE_PIXELS`` and the
    ``IMPORT_*`` keys (defaults here, as the import is the only reader)."""
    config = current_app.config
    return Limits(
        max_rows=int(config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)),
        max_bytes=int(config["MAX_UPLOAD_BYTES"]),
        max_pixels=int(config["MAX_IMAGE_PIXELS"]),
        images_zip=ZipLimits(
            max_entries=int(config.get("IMPORT_MAX_ZIP_ENTRIES", 20_000)),
            max_unpacked_bytes=int(config.get("IMPORT_MAX_UNPACKED_BYTES", 20 * 1024**3)),
            max_ratio=int(config.get("IMPORT_MAX_ZIP_RATIO", 100)),
        ),
        # An .xlsx is a ZIP of XML, which packs far tighter than photographs do.
        workbook_zip=ZipLimits(max_entries=10_000, max_unpacked_bytes=2 * 1024**3, max_ratio=400),
    )
