"""Real spreadsheets, archives and images for the batch-import tests, made as users make them."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from ingest.imports import run_import, start_import
from repository.extensions import db
from repository.models import IngestJob, Record, RecordRevision

HEADERS = ["local_id", "title", "scientific_name", "kingdom", "latitude", "longitude", "images"]

ROWS = [
    ["CBS-001", "人参", "Panax ginseng C. A. Mey.", "植物", "42.05", "128.06", "ginseng.jpg"],
    ["CBS-002", "东北红豆杉", "Taxus cuspidata", "植物", "", "", "taxus-1.JPG；taxus-2.png"],
    ["CBS-003", "松茸", "Tricholoma matsutake", "真菌", "", "", ""],
]


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8", **options: Any) -> bytes:
    """A CSV as Excel writes it: CRLF line ends, in the given encoding (utf-8-sig: with BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n", **options).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (320, 240), colour: str = "seagreen") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def png(size: tuple[int, int] = (200, 150), colour: str = "tomato") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def default_images() -> dict[str, bytes]:
    return {
        "photos/Ginseng.jpg": jpeg(colour="olive"),
        "photos/taxus-1.jpg": jpeg(colour="darkred"),
        "photos/taxus-2.png": png(),
    }


def record_count() -> int:
    return db.session.scalar(select(func.count(Record.id)))


def revision_count() -> int:
    return db.session.scalar(select(func.count(RecordRevision.id)))


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write bytes to a file in the test's folder and return its path."""

    def put(name: str, data: bytes) -> Path:
        path = tmp_path / "upload" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return put


@pytest.fixture
def run(collection, contributor) -> Callable[..., IngestJob]:
    """Start and run an import through the services, as the web and the CLI do."""

    def start_and_run(
        table: Path, images: Path | None = None, *, user=None, target=None, **options: Any
    ) -> IngestJob:
        options.setdefault("dry_run", False)
        job = start_import(user or contributor, target or collection, table, images, **options)
        return run_import(job)

    return start_and_run


def problems(job: IngestJob) -> list[dict[str, Any]]:
    return [entry for entry in job.report if entry["outcome"] == "failed"]
