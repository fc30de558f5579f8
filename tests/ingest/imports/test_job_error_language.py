"""Why an import failed is shown in the reader's language, on the job's page and in the API's
``error`` (a string, as before); a job that failed before errors were kept as msgid and
parameters still shows the text it was given."""

from __future__ import annotations

import io

from sqlalchemy import select

from repository.extensions import db
from repository.models import IngestJob, JobState
from repository.models.jobs import ImportChunk
from tests.ingest.api_client import ApiClient
from tests.ingest.imports.conftest import HEADERS, ROWS, csv_bytes

URL = "/api/collections/changbaishan/imports"
BAD_ROW = ["CBS-004", "东北虎", "Panthera tigris altaica", "矿物", "", "", ""]
ABORTED_EN = "3 row(s) have problems, so nothing was imported (on error: abort)."
ABORTED_ZH = "未导入任何记录"


def _aborted(api: ApiClient) -> IngestJob:
    table = csv_bytes([HEADERS, *ROWS, BAD_ROW], encoding="gb18030")
    data = {"on_error": "abort", "table": (io.BytesIO(table), "plants.csv")}
    started = api.post(URL, data=data, content_type="multipart/form-data").get_json()
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == started["id"]))
    assert job.state is JobState.FAILED
    return job


def test_a_failed_job_reads_in_the_readers_language(api, collection, login, contributor):
    job = _aborted(api)
    assert job.error.startswith(ABORTED_EN) and ABORTED_ZH not in job.error  # English for the CLI
    assert job.error_json is not None
    assert ABORTED_ZH in job.error_message.localized("zh_Hans_CN")

    chinese = api.get(f"/api/imports/{job.public_id}", headers={"Accept-Language": "zh-CN"})
    assert ABORTED_ZH in chinese.get_json()["error"]
    english = api.get(f"/api/imports/{job.public_id}", headers={"Accept-Language": "en"})
    assert english.get_json()["error"].startswith(ABORTED_EN)

    browser = login(contributor)
    page = browser.get(f"/imports/{job.public_id}?lang=zh_Hans_CN").get_data(as_text=True)
    assert ABORTED_ZH in page and ABORTED_EN not in page
    page = browser.get(f"/imports/{job.public_id}?lang=en").get_data(as_text=True)
    assert ABORTED_EN in page and ABORTED_ZH not in page


def test_an_error_written_as_one_bilingual_string_still_shows(api, collection, login, contributor):
    job = _aborted(api)
    old = "The import stopped unexpectedly after 4 rows (disk on fire). / 导入意外中止。"
    job.error, job.error_json = old, None
    db.session.commit()
    for language in ("zh-CN", "en"):
        shown = api.get(f"/api/imports/{job.public_id}", headers={"Accept-Language": language})
        assert shown.get_json()["error"] == old
    browser = login(contributor)
    for lang in ("zh_Hans_CN", "en"):
        assert old in browser.get(f"/imports/{job.public_id}?lang={lang}").get_data(as_text=True)


def test_a_chunk_error_keeps_its_message():
    """A chunk's error is kept the same way, so the job it fails reads in both languages."""
    from ingest.imports.chunks import ABORTED

    chunk = ImportChunk(error="", error_json=None)
    chunk.set_error(ABORTED.format(failed=3))
    assert chunk.error.startswith("3 row(s) have problems")
    assert ABORTED_ZH in chunk.error_message.localized("zh_Hans_CN")
    chunk.set_error(None)
    assert chunk.error == "" and chunk.error_json is None and chunk.error_message == ""
