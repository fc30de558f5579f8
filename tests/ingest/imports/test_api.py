"""Batch imports through the JSON API: start, poll, read the report; and every way to get it wrong.

Every answer is also held to the OpenAPI description (see ``api_client``).
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ingest.imports import start_import
from repository.extensions import db
from repository.models import IngestJob, Record, RecordStatus
from repository.services import collections as collection_service
from tests.ingest.api_client import ApiClient, issue_token
from tests.ingest.imports.conftest import HEADERS, ROWS, csv_bytes, default_images, zip_bytes

SLUG = "changbaishan"
URL = f"/api/collections/{SLUG}/imports"
BAD_ROW = ["CBS-004", "东北虎", "Panthera tigris altaica", "矿物", "", "", ""]


def start(api: ApiClient, table: bytes | None = None, *, images: bytes | None = None, **fields):
    data = {key: str(value) for key, value in fields.items()}
    if table is not None:
        data["table"] = (io.BytesIO(table), "plants.csv")
    if images is not None:
        data["images"] = (io.BytesIO(images), "photos.zip")
    return api.post(URL, data=data, content_type="multipart/form-data")


def table_with_a_bad_row() -> bytes:
    return csv_bytes([HEADERS, *ROWS, BAD_ROW], encoding="gb18030")


def job_count() -> int:
    return db.session.scalar(select(func.count(IngestJob.id)))


def test_a_dry_run_is_started_polled_and_reported(api, collection):
    response = start(
        api, table_with_a_bad_row(), images=zip_bytes(default_images()), dry_run="true"
    )
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"].endswith(f"/api/imports/{job['id']}")
    assert job["dry_run"] is True and job["collection"] == SLUG

    polled = api.get(f"/api/imports/{job['id']}").get_json()
    assert polled["finished"] and polled["state"] == "succeeded"
    assert polled["counts"]["created"] == 3 and polled["counts"]["failed"] == 1
    assert polled["links"]["page"].endswith(f"/imports/{job['id']}")
    assert db.session.scalar(select(func.count(Record.id))) == 0

    report = api.get(polled["links"]["report"]).get_json()
    failed = [entry for entry in report["entries"] if entry["outcome"] == "failed"]
    assert len(failed) == 1
    assert (failed[0]["row"], failed[0]["column"], failed[0]["value"]) == (5, "kingdom", "矿物")
    assert "not one of the allowed values" in failed[0]["message"]["en"]
    assert failed[0]["message"]["zh"] and failed[0]["fix"]["en"] and failed[0]["fix"]["zh"]

    as_csv = api.get(f"/api/imports/{job['id']}/report.csv")
    assert as_csv.status_code == 200
    assert "矿物" in as_csv.get_data().decode("utf-8-sig")
    as_xlsx = api.get(f"/api/imports/{job['id']}/report.xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.get_data())).active
    assert any(cell.value == "矿物" for row in sheet for cell in row)


def test_an_import_creates_the_records_and_the_report_links_them(api, collection, contributor):
    response = start(api, table_with_a_bad_row(), images=zip_bytes(default_images()))
    assert response.status_code == 202
    job_id = response.get_json()["id"]
    report = api.get(f"/api/imports/{job_id}/report").get_json()
    assert report["counts"]["created"] == 3
    created = [entry for entry in report["entries"] if entry["outcome"] == "created"]
    assert sorted(entry["local_id"] for entry in created) == ["CBS-001", "CBS-002", "CBS-003"]
    record = api.get(created[0]["record_url"]).get_json()
    assert record["status"] == "draft" and record["library"] == contributor.library.code

    again = start(api, table_with_a_bad_row(), images=zip_bytes(default_images())).get_json()
    assert again["counts"]["unchanged"] == 3 and again["counts"]["created"] == 0


def test_on_error_abort_imports_nothing(api, collection):
    job = start(api, table_with_a_bad_row(), on_error="abort").get_json()
    assert job["state"] == "failed" and job["error"]
    assert db.session.scalar(select(func.count(Record.id))) == 0


def test_reviewers_may_publish_on_import_and_contributors_may_not(
    client, spec, api, collection, make_user
):
    refused = start(api, csv_bytes([HEADERS, ROWS[2]]), publish="true")
    assert refused.status_code == 403
    assert job_count() == 0
    reviewer = ApiClient(client, spec, issue_token(make_user("reviewer", reviews=[collection])))
    job = start(reviewer, csv_bytes([HEADERS, ROWS[2]]), publish="true").get_json()
    assert job["options"]["publish"] is True
    assert db.session.scalar(select(Record)).status is RecordStatus.PUBLISHED


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"dry_run": "perhaps"}, "dry_run"),
        ({"on_error": "ignore"}, "on_error"),
        ({"encoding": "latin-1"}, "encoding"),
        ({"mode": "fast"}, "mode"),
    ],
)
def test_bad_options_are_422_with_their_names(api, collection, fields, path):
    response = start(api, csv_bytes([HEADERS, *ROWS]), **fields)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert path in errors and errors[path][0]["en"] and errors[path][0]["zh"]
    assert job_count() == 0


def test_a_missing_table_is_422(api, collection):
    response = start(api, None, dry_run="true")
    assert response.status_code == 422 and "table" in response.get_json()["errors"]


def test_files_the_engine_refuses_are_422_and_queue_nothing(api, collection):
    empty = start(api, b"")
    assert empty.status_code == 422
    assert "empty" in empty.get_json()["errors"]["table"][0]["en"]
    escaping = start(api, csv_bytes([HEADERS, *ROWS]), images=zip_bytes({"../x.jpg": b"x"}))
    assert escaping.status_code == 422
    assert "photos.zip" in escaping.get_json()["errors"]["images"][0]["en"]
    assert job_count() == 0


def test_a_table_over_the_upload_limit_is_named(api, collection, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    response = start(api, csv_bytes([HEADERS, *ROWS]) + b"x" * 110_000)
    assert response.status_code == 422
    message = response.get_json()["errors"]["table"][0]["en"]
    assert "plants.csv is larger than the upload limit of 100 KB" in message
    assert job_count() == 0


def test_a_request_over_the_size_limit_is_413(api, collection, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200 * 1024)
    response = start(api, b"a" * 300_000)
    assert response.status_code == 413
    assert "200 KB" in response.get_json()["error"]
    assert job_count() == 0


def test_unknown_collections_and_jobs_are_404(api, collection):
    response = api.post(
        "/api/collections/nowhere/imports",
        data={"table": (io.BytesIO(csv_bytes([HEADERS, *ROWS])), "t.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert api.get("/api/imports/zzzzzzzzzz").status_code == 404
    assert api.get("/api/imports/zzzzzzzzzz/report").status_code == 404


def test_another_librarys_jobs_are_invisible(client, spec, api, collection, make_user):
    job_id = start(api, csv_bytes([HEADERS, ROWS[2]]), dry_run="true").get_json()["id"]
    outsider = ApiClient(client, spec, issue_token(make_user("contributor")))
    for suffix in ("", "/report", "/report.csv", "/report.xlsx"):
        assert outsider.get(f"/api/imports/{job_id}{suffix}").status_code == 404, suffix
    admin = ApiClient(client, spec, issue_token(make_user("admin")))
    assert admin.get(f"/api/imports/{job_id}").status_code == 200


def test_a_hidden_collection_takes_no_imports_from_contributors(api, contributor):
    hidden = collection_service.create_collection("hidden-herbarium", "natural_history", "内部")
    hidden.published = False
    db.session.commit()
    response = api.post(
        "/api/collections/hidden-herbarium/imports",
        data={"table": (io.BytesIO(csv_bytes([HEADERS, *ROWS])), "t.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert job_count() == 0


def test_without_a_token_nothing_is_started_or_shown(client, spec, api, collection):
    job_id = start(api, csv_bytes([HEADERS, ROWS[2]]), dry_run="true").get_json()["id"]
    anonymous = ApiClient(client, spec)
    assert start(anonymous, csv_bytes([HEADERS, *ROWS])).status_code == 401
    assert anonymous.get(f"/api/imports/{job_id}").status_code == 401
    assert anonymous.get(f"/api/imports/{job_id}/report.csv").status_code == 401
    assert job_count() == 1


def test_the_report_csv_reads_back_in_excel_order(api, collection):
    job_id = start(api, table_with_a_bad_row(), dry_run="true").get_json()["id"]
    text = api.get(f"/api/imports/{job_id}/report.csv").get_data().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert "Row" in header[0] and rows


def test_a_job_is_cancelled_and_retried_through_the_api(
    client, spec, api, collection, contributor, make_user, tmp_path
):
    table = tmp_path / "t.csv"
    table.write_bytes(csv_bytes([HEADERS, ROWS[2]]))
    job = start_import(contributor, collection, table, None, dry_run=False)  # no worker yet
    url = f"/api/imports/{job.public_id}"

    outsider = ApiClient(client, spec, issue_token(make_user("contributor")))
    assert outsider.post(f"{url}/cancel").status_code == 404
    cancelled = api.post(f"{url}/cancel")
    assert cancelled.status_code == 202
    body = cancelled.get_json()
    assert body["state"] == "cancelled" and body["finished"] and body["cancel_requested"]
    assert body["links"]["retry"].endswith(f"{url}/retry")
    assert api.post(f"{url}/cancel").status_code == 409
    assert db.session.scalar(select(func.count(Record.id))) == 0

    retried = api.post(f"{url}/retry")
    assert retried.status_code == 202
    assert retried.headers["Location"].endswith(url)
    polled = api.get(url).get_json()
    assert polled["state"] == "succeeded" and polled["counts"]["created"] == 1
    assert polled["attempts"] == 1 and not polled["cancel_requested"]
    conflict = api.post(f"{url}/retry")
    assert conflict.status_code == 409 and "failed or cancelled" in conflict.get_json()["error"]
