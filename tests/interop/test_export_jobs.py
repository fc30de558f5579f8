"""Large exports as jobs on the task queue, and exports of search results with their filters."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import timedelta

import pytest

from repository.extensions import db
from repository.models import ExportJob, JobState, RecordStatus
from repository.models.base import utcnow
from tests.search.conftest import BACKENDS, open_backend, searching_with


@pytest.fixture
def plants(make_collection, make_record, make_user):
    collection = make_collection("natural_history", slug="plants")
    contributor = make_user("contributor")
    for number, (title, kingdom) in enumerate(
        [("人参", "植物"), ("东北虎", "动物"), ("梅花鹿", "动物"), ("松茸", "真菌")]
    ):
        make_record(collection, contributor, local_id=f"P-{number}", title=title, kingdom=kingdom)
    make_record(collection, contributor, status=RecordStatus.DRAFT, title="东北虎草稿")
    return collection


def _local_ids(data: bytes) -> list[str]:
    return [row["local_id"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]


def test_a_large_export_runs_as_a_task_with_a_download_link(client, app, plants, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_STREAM_MAX", 2)
    response = client.get("/collections/plants/export.csv")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    page = client.get(job_url, query_string={"lang": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "4 of 4 records" in text
    chinese = client.get(job_url, query_string={"lang": "zh_Hans_CN"}).get_data(as_text=True)
    assert "已完成 4 / 4 条记录" in chinese and "下载" in chinese
    link = re.search(r'href="([^"]+/download)"', text).group(1)
    download = client.get(link)
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert sorted(_local_ids(download.data)) == ["P-0", "P-1", "P-2", "P-3"]
    job = db.session.query(ExportJob).one()
    assert job.state is JobState.SUCCEEDED and job.written_records == 4
    assert job.file_sha256 == hashlib.sha256(download.data).hexdigest()
    assert job.file_size == len(download.data)
    assert job.lease_holder is None
    # The same export asked for again is the same job, not a second run.
    again = client.get("/collections/plants/export.csv")
    assert again.headers["Location"] == job_url
    assert db.session.query(ExportJob).count() == 1


def test_a_job_page_that_does_not_exist_says_so(client):
    response = client.get("/exports/nosuchjob")
    assert response.status_code == 404
    assert "nosuchjob" in response.get_data(as_text=True)


def test_a_queued_job_offers_no_download_yet(client, plants, app):
    job = ExportJob(
        key="k", source="collection", arguments={"slug": ["plants"]}, format="csv", base_url=""
    )
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/exports/{job.public_id}").get_data(as_text=True)
    assert "/download" not in page
    assert client.get(f"/exports/{job.public_id}/download").status_code == 303


@pytest.fixture(params=BACKENDS)
def indexed(request, app, tmp_path):
    backend = open_backend(request.param, tmp_path)
    backend.ensure_index()
    with searching_with(app, backend):
        yield backend
    backend.drop()


def test_search_results_with_their_filters_are_exported(client, indexed, plants, monkeypatch):
    import search.exports

    monkeypatch.setattr(search.exports, "PAGE", 1)  # one id per request: the cursor is walked
    page = client.get("/search?f=kingdom:动物&collection=plants")
    assert page.status_code == 200
    links = re.findall(r'href="(/exports/search\.csv[^"]*)"', page.get_data(as_text=True))
    assert links, "the results page offers the export"
    response = client.get(links[0].replace("&amp;", "&"))
    assert response.status_code == 200
    assert sorted(_local_ids(response.data)) == ["P-1", "P-2"]


def test_a_search_that_matches_nothing_exports_an_empty_file(client, indexed, plants):
    response = client.get("/exports/search.csv?q=没有这种东西")
    assert response.status_code == 200
    assert response.headers["X-Record-Count"] == "0"
    assert _local_ids(response.data) == []


def test_a_bad_search_is_refused_clearly(client, indexed, plants):
    response = client.get("/exports/search.csv?from=abc")
    assert response.status_code == 400
    assert "from" in response.get_data(as_text=True)
    hidden = client.get("/exports/search.jsonl?collection=no-such-collection")
    assert hidden.status_code == 400
    assert "no-such-collection" in hidden.get_data(as_text=True)


def test_a_job_whose_worker_died_is_run_again_by_recovery(client, app, plants):
    from repository.tasks import recover_jobs

    job = ExportJob(
        key="died",
        source="collection",
        arguments={"slug": ["plants"]},
        format="jsonl",
        base_url="http://huiku.test",
        state=JobState.RUNNING,
        attempts=1,
        lease_holder="gone-host:1",
        lease_expires_at=utcnow() - timedelta(minutes=5),
        filename="huiku-plants.jsonl",
    )
    db.session.add(job)
    db.session.commit()
    recover_jobs()
    db.session.refresh(job)
    assert job.state is JobState.SUCCEEDED and job.attempts == 2
    download = client.get(f"/exports/{job.public_id}/download")
    lines = download.data.decode().splitlines()
    assert len(lines) == 4
    assert json.loads(lines[0])["url"].startswith("http://huiku.test/records/")


def test_old_export_files_are_deleted(client, app, plants, monkeypatch):
    from interop.exports.services import file_key, prune_exports
    from repository.images import file_store

    monkeypatch.setitem(app.config, "EXPORT_STREAM_MAX", 2)
    job_url = client.get("/collections/plants/export.xml").headers["Location"]
    job = db.session.query(ExportJob).one()
    key = file_key(job)
    assert key.startswith(f"exports/{job.public_id}/") and file_store().exists(key)
    job.finished_at = utcnow() - timedelta(hours=app.config["EXPORT_KEEP_HOURS"] + 1)
    db.session.commit()
    assert prune_exports() == 1
    assert not file_store().exists(key)
    page = client.get(job_url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "/download" not in page and "Export again" in page
    assert client.get(f"{job_url}/download").status_code == 303


def test_a_large_search_export_runs_as_a_task(client, app, indexed, plants, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_STREAM_MAX", 1)
    response = client.get("/exports/search.csv?f=kingdom:动物")
    assert response.status_code == 303
    job = db.session.query(ExportJob).one()
    assert job.source == "search" and job.arguments == {"f": ["kingdom:动物"]}
    download = client.get(f"/exports/{job.public_id}/download")
    assert sorted(_local_ids(download.data)) == ["P-1", "P-2"]


def test_a_file_deleted_behind_the_job_page_is_reported_not_a_500(client, app, plants, monkeypatch):
    from interop.exports.services import file_key
    from repository.images import file_store

    monkeypatch.setitem(app.config, "EXPORT_STREAM_MAX", 2)
    job_url = client.get("/collections/plants/export.csv").headers["Location"]
    job = db.session.query(ExportJob).one()
    file_store().delete(file_key(job))
    response = client.get(f"{job_url}/download")
    assert response.status_code == 303 and response.headers["Location"].endswith(job_url)
    page = client.get(job_url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Export again" in page
