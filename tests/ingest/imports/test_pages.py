"""Batch import in the browser: templates, a dry run with its report, an import job followed to
its end on its page, the list of imports, and who may see what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ingest.imports import start_import
from repository.extensions import db
from repository.models import IngestJob, JobState, Record, RecordStatus
from repository.models.base import utcnow
from repository.services import collections as collection_service
from repository.tasks import claim, recover_jobs
from tests.conftest import csrf_token_from
from tests.ingest.imports.conftest import HEADERS, ROWS, csv_bytes, default_images, zip_bytes

SLUG = "changbaishan"
PAGE = f"/workspace/collections/{SLUG}/import"
NO_IMAGES = [[*row[:-1], ""] for row in ROWS]
BAD_ROW = ["CBS-004", "东北虎", "Panthera tigris altaica", "矿物", "", "", ""]


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug=SLUG)


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


def upload(browser, table: bytes, *, name="plants.csv", images: bytes | None = None, **options):
    form = {
        "csrf_token": csrf_token_from(browser, PAGE),
        "table": (io.BytesIO(table), name),
        "encoding": "auto",
        "mode": "dry_run",
        "on_error": "skip",
        **options,
    }
    if images is not None:
        form["images"] = (io.BytesIO(images), "photos.zip")
    return browser.post(PAGE, data=form, content_type="multipart/form-data")


def job_from(response) -> IngestJob:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    public_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    return db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))


@pytest.fixture
def write(tmp_path):
    def put(name: str, data: bytes):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return put


def good_and_bad_table() -> bytes:
    return csv_bytes([HEADERS, *ROWS, BAD_ROW], encoding="gb18030")


# --- the page and the templates -----------------------------------------------------------------


def test_the_collection_page_leads_contributors_to_the_import(
    client, login, collection, contributor
):
    assert PAGE not in client.get(f"/collections/{SLUG}").get_data(as_text=True)
    browser = login(contributor)
    assert PAGE in browser.get(f"/collections/{SLUG}").get_data(as_text=True)
    page = browser.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"{PAGE}/template.csv" in html and f"{PAGE}/template.xlsx" in html
    assert 'name="publish"' not in html  # contributors cannot publish
    assert 'name="csrf_token"' in html


def test_reviewers_of_the_collection_may_choose_to_publish(login, collection, make_user):
    reviewer = make_user("reviewer", reviews=[collection])
    assert 'name="publish"' in login(reviewer).get(PAGE).get_data(as_text=True)


def test_the_templates_are_the_profiles_columns(login, collection, contributor):
    browser = login(contributor)
    response = browser.get(f"{PAGE}/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert header[:4] == ["local_id", "title", "scientific_name", "kingdom"]
    workbook = browser.get(f"{PAGE}/template.xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.get_data())).worksheets[0]
    assert [cell.value for cell in sheet[1]][:2] == ["local_id", "title"]


def test_signed_out_visitors_are_sent_to_sign_in(client, collection):
    for url in (PAGE, f"{PAGE}/template.csv", "/imports/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_a_hidden_collection_takes_no_imports_from_contributors(login, contributor):
    hidden = collection_service.create_collection("hidden-herbarium", "natural_history", "内部")
    hidden.published = False
    db.session.commit()
    browser = login(contributor)
    assert browser.get("/workspace/collections/hidden-herbarium/import").status_code == 403
    assert browser.get("/workspace/collections/no-such-thing/import").status_code == 404


# --- a dry run --------------------------------------------------------------------------------


def test_a_dry_run_reports_the_bad_row_and_writes_nothing(login, collection, contributor):
    browser = login(contributor)
    browser.get("/lang/en")
    job = job_from(upload(browser, good_and_bad_table(), images=zip_bytes(default_images())))
    assert job.dry_run and job.state is JobState.SUCCEEDED
    assert db.session.scalar(select(Record)) is None

    page = browser.get(f"/imports/{job.public_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Dry run" in html and "writes nothing" in html
    assert "矿物" in html and "is not one of the allowed values" in html  # value and problem
    assert "E5" in html or "kingdom" in html  # the cell or column of the bad row
    assert 'http-equiv="refresh"' not in html  # finished: no more polling

    report = browser.get(f"/imports/{job.public_id}/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert any("矿物" in line and "5" in line for line in lines)
    workbook = browser.get(f"/imports/{job.public_id}/report.xlsx")
    assert workbook.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(workbook.get_data())).active for c in row]
    assert "矿物" in cells


def test_the_report_speaks_the_readers_language(login, collection, contributor):
    browser = login(contributor)
    job = job_from(upload(browser, good_and_bad_table()))
    html = browser.get(f"/imports/{job.public_id}").get_data(as_text=True)
    assert "不在可选值中" in html
    browser.get("/lang/en")
    html = browser.get(f"/imports/{job.public_id}").get_data(as_text=True)
    assert "不在可选值中" not in html and "is not one of the allowed values" in html


def test_a_dry_run_becomes_the_import_of_the_same_files(login, collection, contributor):
    browser = login(contributor)
    dry = job_from(upload(browser, good_and_bad_table(), images=zip_bytes(default_images())))
    page = browser.get(f"/imports/{dry.public_id}").get_data(as_text=True)
    assert f"/imports/{dry.public_id}/import" in page
    token = csrf_token_from(browser, f"/imports/{dry.public_id}")
    job = job_from(browser.post(f"/imports/{dry.public_id}/import", data={"csrf_token": token}))
    assert job.public_id != dry.public_id and not job.dry_run
    assert job.state is JobState.SUCCEEDED
    assert job.counts["created"] == 3 and job.counts["failed"] == 1
    assert len(db.session.scalars(select(Record)).all()) == 3


# --- an import --------------------------------------------------------------------------------


def test_an_import_reports_counts_and_links_to_the_records(login, collection, contributor):
    browser = login(contributor)
    browser.get("/lang/en")
    job = job_from(
        upload(browser, good_and_bad_table(), images=zip_bytes(default_images()), mode="import")
    )
    assert job.state is JobState.SUCCEEDED and not job.dry_run
    assert job.counts["created"] == 3 and job.counts["failed"] == 1
    records = db.session.scalars(select(Record).order_by(Record.local_id)).all()
    assert [r.local_id for r in records] == ["CBS-001", "CBS-002", "CBS-003"]
    assert all(r.status is RecordStatus.DRAFT and r.library == contributor.library for r in records)
    assert [len(r.assets) for r in records] == [1, 2, 0]

    html = browser.get(f"/imports/{job.public_id}").get_data(as_text=True)
    for record in records:
        assert f"/records/{record.public_id}" in html
    status = browser.get(f"/imports/{job.public_id}/status.json").get_json()
    assert status["state"] == "succeeded" and status["finished"] and status["percent"] == 100
    assert status["counts"]["created"] == 3 and status["counts"]["failed"] == 1

    images = zip_bytes(default_images())
    again = job_from(upload(browser, good_and_bad_table(), images=images, mode="import"))
    assert again.counts["unchanged"] == 3 and again.counts["created"] == 0


def test_abort_imports_nothing_when_a_row_fails(login, collection, contributor):
    browser = login(contributor)
    job = job_from(upload(browser, good_and_bad_table(), mode="import", on_error="abort"))
    assert job.state is JobState.FAILED
    assert db.session.scalar(select(Record)) is None
    shown = browser.get(f"/imports/{job.public_id}").get_data(as_text=True)
    assert job.error_message.localized("zh_Hans_CN") in shown  # the default language


def test_a_reviewer_may_publish_on_import_and_a_contributor_may_not(
    login,
    collection,
    contributor,
    make_user,
):
    reviewer = make_user("reviewer", reviews=[collection])
    browser = login(reviewer)
    job = job_from(upload(browser, csv_bytes([HEADERS, ROWS[2]]), mode="import", publish="y"))
    assert job.options["publish"] is True
    assert db.session.scalar(select(Record)).status is RecordStatus.PUBLISHED

    other = login(contributor, separate=True)
    token = csrf_token_from(other, PAGE)
    table = csv_bytes([HEADERS, ["CBS-777", "红松", "Pinus koraiensis", "植物", "", "", ""]])
    response = other.post(
        PAGE,
        data={
            "csrf_token": token,
            "table": (io.BytesIO(table), "t.csv"),
            "mode": "import",
            "on_error": "skip",
            "encoding": "auto",
            "publish": "y",  # not offered to them: ignored
        },
        content_type="multipart/form-data",
    )
    job = job_from(response)
    assert job.options["publish"] is False
    assert db.session.scalar(select(Record).where(Record.local_id == "CBS-777")).status is (
        RecordStatus.DRAFT
    )


def test_the_job_page_tells_the_truth_from_queued_to_finished(
    login, collection, contributor, write
):
    """Queued, taken up by a worker, left by a worker that died, taken up again, finished:
    the page and its status say which, and never that a dead job goes on by itself."""
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes([HEADERS, *NO_IMAGES])),
        None,
        dry_run=False,
    )  # queued; no worker has it yet
    browser = login(contributor)
    browser.get("/lang/en")
    page = f"/imports/{job.public_id}"
    html = browser.get(page).get_data(as_text=True)
    assert "Waiting for a worker" in html and "status.json" in html
    assert "Cancel the import" in html and "Retry the import" not in html
    status = browser.get(f"{page}/status.json").get_json()
    assert (status["state"], status["finished"], status["attempts"]) == ("queued", False, 0)

    assert claim(IngestJob, job.public_id)  # a worker takes it up, then dies
    html = browser.get(page).get_data(as_text=True)
    assert "A worker is running the job (run 1)" in html and "Waiting" not in html
    db.session.expire_all()
    job.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    recover_jobs()  # another worker (here: the immediate queue) takes it up and finishes it

    html = browser.get(page).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html and "Cancel the import" not in html
    assert "A worker is running" not in html
    status = browser.get(f"{page}/status.json").get_json()
    assert status["state"] == "succeeded" and status["attempts"] == 2
    assert status["counts"]["created"] == 3 and status["processed_rows"] == 3
    for record in db.session.scalars(select(Record)):
        assert f"/records/{record.public_id}" in html


def test_a_job_is_cancelled_and_retried_from_its_page(
    login, collection, contributor, make_user, write
):
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes([HEADERS, *NO_IMAGES])),
        None,
        dry_run=False,
    )
    browser = login(contributor)
    browser.get("/lang/en")
    page = f"/imports/{job.public_id}"
    refused = browser.post(f"{page}/cancel")  # without the form's token
    assert refused.status_code == 400
    token = csrf_token_from(browser, page)
    assert browser.post(f"{page}/cancel", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert job.state is JobState.CANCELLED
    html = browser.get(page).get_data(as_text=True)
    assert "Cancelled after 0 of 0 rows" in html and "Retry the import" in html

    token = csrf_token_from(browser, page)
    assert browser.post(f"{page}/retry", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 3
    html = browser.get(page).get_data(as_text=True)
    assert "Retry the import" not in html and "Cancel the import" not in html
    token = csrf_token_from(browser, page)
    again = browser.post(f"{page}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "Only a failed or cancelled import can be retried" in again.get_data(as_text=True)

    outsider = login(make_user("contributor"), separate=True)
    token = csrf_token_from(outsider, "/imports/")
    assert outsider.post(f"{page}/cancel", data={"csrf_token": token}).status_code == 404


# --- bad uploads ------------------------------------------------------------------------------


def test_a_missing_table_or_a_wrong_file_kind_is_refused_on_the_form(
    login, collection, contributor
):
    browser = login(contributor)
    browser.get("/lang/en")
    token = csrf_token_from(browser, PAGE)
    response = browser.post(
        PAGE, data={"csrf_token": token, "mode": "dry_run", "on_error": "skip", "encoding": "auto"}
    )
    assert response.status_code == 422
    assert "Choose the CSV or XLSX file" in response.get_data(as_text=True)
    response = upload(browser, b"%PDF-1.4", name="catalogue.pdf")
    assert response.status_code == 422
    assert "must be a .csv or .xlsx file" in response.get_data(as_text=True)
    assert db.session.scalar(select(IngestJob)) is None


def test_an_empty_file_or_an_unsafe_zip_queues_nothing(login, collection, contributor):
    browser = login(contributor)
    browser.get("/lang/en")
    response = upload(browser, b"")
    assert response.status_code == 422
    assert "empty" in response.get_data(as_text=True)
    escaping = zip_bytes({"../../etc/ginseng.jpg": b"x"})
    response = upload(browser, csv_bytes([HEADERS, *ROWS]), images=escaping)
    assert response.status_code == 422
    assert "photos.zip" in response.get_data(as_text=True)
    assert db.session.scalar(select(IngestJob)) is None


def test_a_file_over_the_upload_limit_is_named(login, collection, contributor, app, monkeypatch):
    browser = login(contributor)
    browser.get("/lang/en")
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    response = upload(browser, csv_bytes([HEADERS, *ROWS]) + b"x" * 110_000, name="big.csv")
    assert response.status_code == 422
    assert "big.csv is larger than the upload limit of 100 KB" in response.get_data(as_text=True)
    assert db.session.scalar(select(IngestJob)) is None


def test_a_request_over_the_size_limit_gets_the_form_back_with_the_limit(
    login, collection, contributor, app, monkeypatch
):
    browser = login(contributor)
    browser.get("/lang/en")
    token = csrf_token_from(browser, PAGE)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200 * 1024)
    response = browser.post(
        PAGE,
        data={"csrf_token": token, "table": (io.BytesIO(b"a" * 300_000), "huge.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than the limit of 200 KB" in html
    assert 'name="table"' in html  # the form, to try again
    assert db.session.scalar(select(IngestJob)) is None


def test_the_form_needs_its_csrf_token(login, collection, contributor):
    browser = login(contributor)
    response = browser.post(
        PAGE,
        data={"table": (io.BytesIO(csv_bytes([HEADERS, *ROWS])), "t.csv"), "mode": "import"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(IngestJob)) is None


# --- who sees which jobs ------------------------------------------------------------------------


def test_a_library_sees_only_its_own_jobs_and_admins_see_all(
    login,
    collection,
    contributor,
    make_user,
):
    browser = login(contributor)
    job = job_from(upload(browser, csv_bytes([HEADERS, *ROWS])))
    colleague = login(make_user("contributor", library=contributor.library), separate=True)
    assert colleague.get(f"/imports/{job.public_id}").status_code == 200
    assert job.public_id in colleague.get("/imports/").get_data(as_text=True)

    outsider = login(make_user("contributor"), separate=True)
    for url in ("", "/status.json", "/report.csv", "/report.xlsx"):
        assert outsider.get(f"/imports/{job.public_id}{url}").status_code == 404, url
    assert job.public_id not in outsider.get("/imports/").get_data(as_text=True)
    token = csrf_token_from(outsider, "/imports/")
    refused = outsider.post(f"/imports/{job.public_id}/import", data={"csrf_token": token})
    assert refused.status_code == 404

    admin = login(make_user("admin"), separate=True)
    assert admin.get(f"/imports/{job.public_id}").status_code == 200
    assert job.public_id in admin.get("/imports/").get_data(as_text=True)
    # An admin of another library cannot turn this library's dry run into an import of theirs.
    assert f"/imports/{job.public_id}/import" not in admin.get(
        f"/imports/{job.public_id}"
    ).get_data(as_text=True)


def test_the_import_page_lists_the_collections_recent_imports(
    login,
    collection,
    contributor,
):
    browser = login(contributor)
    job = job_from(upload(browser, csv_bytes([HEADERS, *ROWS])))
    assert f"/imports/{job.public_id}" in browser.get(PAGE).get_data(as_text=True)
    assert "/imports/" in browser.get("/workspace/").get_data(as_text=True)
