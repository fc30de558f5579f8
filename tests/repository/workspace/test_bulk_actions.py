"""Many records in one task: what the user may not change is refused and counted, the rest done."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from repository.extensions import db
from repository.models import JobState, Record, RecordStatus
from repository.models.notifications import Notification
from repository.models.workflow import BulkActionJob
from repository.services import review_bulk
from repository.workflow.tasks import run_bulk_action_task
from tests.conftest import csrf_token_from


def statuses(records) -> list[str]:
    for record in records:
        db.session.refresh(record)
    return [record.status.value for record in records]


def test_bulk_submit_of_ticked_records_refuses_another_librarys_and_skips_wrong_status(
    alliance, make_record, login
):
    own = [
        make_record(alliance.collection, alliance.contributor, status=RecordStatus.DRAFT)
        for _ in range(3)
    ]
    already = make_record(alliance.collection, alliance.contributor, status=RecordStatus.SUBMITTED)
    foreign = make_record(alliance.collection, alliance.outsider, status=RecordStatus.DRAFT)
    browser = login(alliance.contributor)
    token = csrf_token_from(browser, "/workspace/")
    answer = browser.post(
        "/workspace/bulk",
        data={
            "csrf_token": token,
            "action": "submit",
            "ids": [r.public_id for r in [*own, already, foreign]],
        },
    )
    assert answer.status_code == 303
    job_url = answer.headers["Location"]
    page = browser.get(job_url).get_data(as_text=True)
    assert re.search(r'id="count-done">3<', page)
    assert re.search(r'id="count-refused">1<', page)
    assert re.search(r'id="count-skipped">1<', page)
    status = browser.get(f"{job_url}/status.json").get_json()
    assert status == {
        "state": "succeeded",
        "total": 5,
        "processed": 5,
        "counts": {"done": 3, "refused": 1, "skipped": 1},
        "finished": True,
    }
    assert statuses(own) == ["submitted"] * 3
    assert statuses([foreign]) == ["draft"]
    # one notification per reviewer for the whole job, and one for its owner when it finished
    texts = db.session.scalars(
        select(Notification.text_en).where(
            Notification.user_id == alliance.reviewer.id, Notification.kind == "submitted"
        )
    ).all()
    assert texts == [f"3 records of {alliance.collection.title_zh} were submitted for review"]
    assert (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == alliance.contributor.id
            )
        )
        == 1
    )


def test_bulk_publish_of_all_matching_a_filter(alliance, make_record, login):
    submitted = [
        make_record(alliance.collection, alliance.contributor, status=RecordStatus.SUBMITTED)
        for _ in range(4)
    ]
    draft = make_record(alliance.collection, alliance.contributor, status=RecordStatus.DRAFT)
    browser = login(alliance.reviewer)
    token = csrf_token_from(browser, "/workspace/?scope=review&status=submitted")
    answer = browser.post(
        "/workspace/bulk",
        data={
            "csrf_token": token,
            "action": "publish",
            "all_matching": "1",
            "scope": "review",
            "status": "submitted",
        },
    )
    assert answer.status_code == 303
    job = db.session.scalar(select(BulkActionJob))
    assert (job.state, job.total_records, job.counts["done"]) == (JobState.SUCCEEDED, 4, 4)
    assert statuses(submitted) == ["published"] * 4
    assert statuses([draft]) == ["draft"]


def test_bulk_return_needs_one_comment_and_tells_the_authors(alliance, make_record, login):
    records = [
        make_record(alliance.collection, alliance.contributor, status=RecordStatus.SUBMITTED)
        for _ in range(2)
    ]
    browser = login(alliance.reviewer)
    token = csrf_token_from(browser, "/workspace/")
    ids = [r.public_id for r in records]
    refused = browser.post(
        "/workspace/bulk", data={"csrf_token": token, "action": "return", "ids": ids}
    )
    assert refused.status_code == 303
    assert db.session.scalar(select(func.count(BulkActionJob.id))) == 0
    follow = browser.get(refused.headers["Location"]).get_data(as_text=True)
    assert "退回记录时请写明修改意见" in follow
    done = browser.post(
        "/workspace/bulk",
        data={"csrf_token": token, "action": "return", "ids": ids, "comment": "缺少学名"},
    )
    assert done.status_code == 303
    assert statuses(records) == ["draft", "draft"]
    assert [r.review_comment for r in records] == ["缺少学名", "缺少学名"]
    told = db.session.scalars(
        select(Notification.text_zh).where(Notification.user_id == alliance.contributor.id)
    ).all()
    assert "您的 2 条记录被退回：缺少学名" in told


def test_bulk_delete_keeps_published_and_other_libraries_records(alliance, make_record):
    published = make_record(alliance.collection, alliance.contributor)
    draft = make_record(alliance.collection, alliance.contributor, status=RecordStatus.DRAFT)
    foreign = make_record(alliance.collection, alliance.outsider, status=RecordStatus.DRAFT)
    job = review_bulk.start_bulk_action(
        alliance.contributor,
        "delete",
        ids=[published.public_id, draft.public_id, foreign.public_id],
    )
    run_bulk_action_task(job.public_id)
    db.session.refresh(job)
    # published records are withdrawn, not deleted: skipped; another library's: refused
    assert review_bulk.outcome_counts(job) == {"done": 1, "refused": 1, "skipped": 1}
    assert db.session.get(Record, published.id) is not None
    assert db.session.get(Record, foreign.id) is not None
    assert db.session.get(Record, draft.id) is None


def test_a_bulk_job_runs_once_and_another_user_cannot_see_it(alliance, make_record, login):
    draft = make_record(alliance.collection, alliance.contributor, status=RecordStatus.DRAFT)
    job = review_bulk.start_bulk_action(alliance.contributor, "submit", ids=[draft.public_id])
    run_bulk_action_task(job.public_id)
    run_bulk_action_task(job.public_id)  # a second delivery of the task finds it claimed
    db.session.refresh(job)
    assert (job.attempts, job.counts["done"]) == (1, 1)
    stranger = login(alliance.outsider)
    assert stranger.get(f"/workspace/bulk/{job.public_id}").status_code == 404


def test_bad_bulk_requests_are_named_not_failed(alliance, make_record, login):
    browser = login(alliance.contributor)
    token = csrf_token_from(browser, "/workspace/")
    for data in ({"action": "explode", "ids": ["x"]}, {"action": "submit"}):
        answer = browser.post("/workspace/bulk", data={"csrf_token": token, **data})
        assert answer.status_code == 303
        page = browser.get(answer.headers["Location"]).get_data(as_text=True)
        assert "没有名为 explode 的批量操作" in page or "请先选择记录" in page
    assert browser.post("/workspace/bulk", data={"action": "submit", "ids": ["x"]}).status_code in (
        303,
        400,
    )
