"""The demo's CSVs are ordinary import files: every row passes the import's checks."""

import csv
import io
from pathlib import Path

from demo import dataset
from demo.loader import DemoLoadFailed, import_rows, load_demo
from ingest.imports import template_csv
from repository.models import JobState, User
from repository.services import accounts, collections


def test_every_row_of_the_demo_csvs_passes_a_dry_run_of_the_import(tmp_path: Path):
    load_demo(limit=0)  # the libraries, people and collections, no records
    batches: dict[tuple[str, str], list[dataset.DemoRow]] = {}
    for row in dataset.rows():
        batches.setdefault((row.collection, row.library), []).append(row)
    checked = 0
    for (slug, code), batch in batches.items():
        contributor = _contributor(code)
        # Small pictures: the dry run still verifies each one the images column names.
        job = import_rows(
            contributor, collections.get_collection(slug), batch, tmp_path, dry_run=True, scale=0.1
        )
        assert job.state is JobState.SUCCEEDED, (slug, code, job.error)
        assert job.counts["failed"] == 0, (slug, code, job.report)
        assert job.counts["created"] == len(batch), (slug, code)
        checked += len(batch)
    assert checked == len(dataset.rows()) == 73


def test_each_csv_has_its_collections_template_columns_and_the_library_note():
    load_demo(limit=0)
    for collection in dataset.alliance().collections:
        template = template_csv(collections.get_collection(collection["slug"]))
        headers = next(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
        assert dataset.csv_headers(collection["slug"]) == [*headers, dataset.LIBRARY_COLUMN]


def test_a_row_the_import_refuses_stops_the_demo_with_the_row_and_the_reason(tmp_path: Path):
    load_demo(limit=0)
    row = dataset.rows()[0]
    broken = dataset.DemoRow(row.collection, row.library, {**row.cells, "kingdom": "矿物"})
    collection = collections.get_collection(row.collection)
    try:
        import_rows(_contributor(row.library), collection, [broken], tmp_path, scale=0.1)
    except DemoLoadFailed as error:
        message = str(error)
    else:
        raise AssertionError("the bad row was imported")
    assert f"{row.collection}.csv" in message
    assert "1 failed rows" in message and "row 2" in message


def _contributor(code: str) -> User:
    library = accounts.get_library(code)
    return next(u for u in library.users if u.role.value == "contributor")
