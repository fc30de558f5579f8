"""In Chromium: a cataloguer starts an import from the Imports page, uploads a small CSV through
the import form, and watches the job page's progress bar go from queued to the end while a worker
runs the job; the new records are then in the workspace (issue 15)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from ingest.imports.tasks import run_import
from repository.extensions import db
from repository.models import IngestJob, Record
from repository.services import accounts, collections
from tests.factories import PASSWORD
from tests.repository import browser_pages
from tests.repository.browser_pages import screenshots, sign_in

pytestmark = pytest.mark.browser
chromium = browser_pages.chromium  # a fixture

ROWS = 12


@pytest.fixture(scope="module")
def cataloguer(live_server) -> str:
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        with live_server.context():
            library = accounts.create_library("IMP-WEB", "导入图书馆", "Import Library")
            collections.create_collection("web-plants", "natural_history", "网导植物", "Web plants")
            user = accounts.create_user(
                "importer@web.example.org", library, "contributor", PASSWORD
            )
            return user.email
    finally:
        db.session.remove()
        db.session = test_session


def small_csv() -> bytes:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["local_id", "title", "scientific_name", "kingdom"])
    for n in range(ROWS):
        writer.writerow([f"WEB-{n:03}", f"网导植物 {n}", f"Planta web{n}", "植物"])
    return table.getvalue().encode("utf-8")


def test_an_import_from_the_web_runs_to_the_end_of_its_progress_bar(
    chromium, live_server, cataloguer, tmp_path
):
    shots = screenshots(tmp_path)
    page = sign_in(chromium, live_server, cataloguer)
    page.goto(f"{live_server.url}/imports/")
    page.click("section.start-import a:has-text('Web plants')")
    page.wait_for_url("**/workspace/collections/web-plants/import")
    page.set_input_files(
        "input[name=table]", {"name": "plants.csv", "mimeType": "text/csv", "buffer": small_csv()}
    )
    page.check("input[name=mode][value=import]")
    page.screenshot(path=str(shots / "import-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("form.record-form button[type=submit]")
    assert "/imports/" in page.url, page.inner_text("main")
    bar = page.locator("#import-status progress")
    assert bar.get_attribute("value") == "0"
    assert page.get_attribute("#import-status", "data-finished") == "false"
    job_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    with live_server.context():  # a worker takes the job up while the page watches
        job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == job_id))
        run_import(job)
    for _ in range(100):  # the page polls the job's status, then reloads when it has ended
        if page.get_attribute("#import-status", "data-finished") == "true":
            break
        page.wait_for_timeout(200)
    page.screenshot(path=str(shots / "import-finished.png"), full_page=True)
    assert page.get_attribute("#import-status", "data-finished") == "true"
    assert page.locator("#import-status progress").get_attribute("value") == "100"
    assert f"{ROWS} of {ROWS} rows" in page.inner_text("#import-status")
    with live_server.context():
        titles = db.session.scalars(select(Record.title).where(Record.local_id.like("WEB-%")))
        assert len(list(titles)) == ROWS
