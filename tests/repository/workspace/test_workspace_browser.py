"""In Chromium: a cataloguer finds records by a filter, selects all that match and submits them
as one job whose progress the page follows; a reviewer approves an edit after seeing the diff.

Needs Chromium (``HUIKU_CHROMIUM``, default /usr/bin/chromium) and Playwright; without them the
test is skipped, or fails when ``HUIKU_REQUIRE_SERVICES=1`` (CI). Screenshots go to
``HUIKU_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from repository.extensions import db
from repository.models import Record, RecordStatus, User
from repository.models.workflow import BulkActionJob
from repository.services import accounts, collections, records
from repository.services.review_bulk import run_bulk_action
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.repository import browser_pages

pytestmark = pytest.mark.browser
chromium = browser_pages.chromium  # fixtures
live_database = browser_pages.live_database


@pytest.fixture
def people(live_server, live_database):
    with live_server.context():
        library = accounts.create_library("WS-A", "工作馆", "Workspace Library")
        collection = collections.create_collection(
            "ws-plants", "natural_history", "工作区植物", "Workspace plants"
        )
        contributor = accounts.create_user("cat@ws.example.org", library, "contributor", PASSWORD)
        reviewer = accounts.create_user(
            "rev@ws.example.org", library, "reviewer", PASSWORD, reviews=[collection]
        )
        for n in range(30):
            records.create_record(
                contributor,
                collection,
                {
                    **SAMPLE_METADATA["natural_history"],
                    "title": f"红豆杉 {n}",
                    "local_id": f"T-{n}",
                },
            )
        for n in range(5):
            records.create_record(
                contributor,
                collection,
                {**SAMPLE_METADATA["natural_history"], "title": f"松茸 {n}", "local_id": f"M-{n}"},
            )
        return {"contributor": contributor.email, "reviewer": reviewer.email}


def sign_in(chromium, live_server, email: str):
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{live_server.url}/lang/en?next=/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Sign in')")
    assert "/login" not in page.url, page.inner_text("main")
    return page


def test_find_select_all_matching_submit_and_approve_an_edit(
    chromium, live_server, people, tmp_path
):
    shots = Path(os.environ.get("HUIKU_SCREENSHOTS") or tmp_path)
    page = sign_in(chromium, live_server, people["contributor"])
    page.goto(f"{live_server.url}/workspace/")
    page.fill("form.workspace-filters input[name=q]", "红豆杉")
    page.select_option("select[name=status]", "draft")
    page.click("form.workspace-filters button[type=submit]")
    page.wait_for_url("**q=*")
    assert page.inner_text("#result-count") == "30 records"
    page.check("#all-matching")
    page.select_option("select[name=action]", "submit")
    page.screenshot(path=str(shots / "workspace-filtered.png"), full_page=True)
    page.click("#bulk-apply")
    page.wait_for_url("**/workspace/bulk/*")
    assert "Queued" in page.inner_text("#bulk-state")
    public_id = page.url.rsplit("/", 1)[-1]
    with live_server.context():  # a worker takes the job up while the page watches
        run_bulk_action(public_id)
    for _ in range(100):  # the page polls the job's status; CSP forbids evaluated predicates
        if page.get_attribute("#bulk-progress", "data-finished") == "yes":
            break
        page.wait_for_timeout(200)
    assert page.query_selector("#bulk-cancel") is None
    assert page.inner_text("#count-done") == "30"
    assert "Finished" in page.inner_text("#bulk-state")
    assert page.get_attribute("#bulk-bar", "value") == "30"
    page.screenshot(path=str(shots / "bulk-finished.png"), full_page=True)

    with live_server.context():
        job = db.session.scalar(select(BulkActionJob).where(BulkActionJob.public_id == public_id))
        assert job.counts["done"] == 30
        statuses = db.session.scalars(select(Record.status).where(Record.title.like("红豆杉%")))
        assert set(statuses) == {RecordStatus.SUBMITTED}
        # the reviewer publishes one, then its library edits it: the edit waits
        record = db.session.scalar(select(Record).where(Record.local_id == "T-0"))
        reviewer = db.session.scalar(select(User).where(User.email == people["reviewer"]))
        contributor = db.session.scalar(select(User).where(User.email == people["contributor"]))
        records.publish_record(reviewer, record)
        records.update_record(
            contributor, record, {**record.metadata_, "habitat": "海拔八百米针阔混交林"}
        )
        record_id = record.public_id

    reviewing = sign_in(chromium, live_server, people["reviewer"])
    reviewing.goto(f"{live_server.url}/workspace/")
    assert reviewing.inner_text(".notification-count .badge") != ""
    reviewing.click("ul.pending-edits a")
    reviewing.wait_for_url("**/workspace/edits/*")
    assert "海拔八百米针阔混交林" in reviewing.inner_text("table.diff td.diff-new")
    reviewing.screenshot(path=str(shots / "pending-edit.png"), full_page=True)
    public_page = chromium.new_page()
    public_page.goto(f"{live_server.url}/records/{record_id}")
    assert "海拔八百米针阔混交林" not in public_page.content()
    reviewing.click("#approve-edit")
    reviewing.wait_for_url(f"**/records/{record_id}")
    assert "海拔八百米针阔混交林" in reviewing.content()
    public_page.reload()
    assert "海拔八百米针阔混交林" in public_page.content()
    reviewing.screenshot(path=str(shots / "edit-approved.png"), full_page=True)
