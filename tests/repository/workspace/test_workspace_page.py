"""The workspace: paged newest first, searched and filtered on the database."""

from __future__ import annotations

import re
from datetime import timedelta

from repository.extensions import db
from repository.models import RecordStatus
from repository.models.base import utcnow
from repository.services import workspace


def titles(html: str) -> list[str]:
    return re.findall(r'<td><a href="/records/[^"]+">([^<]+)</a>', html)


def test_pages_go_forward_backward_and_to_the_last(alliance, make_record, login):
    made = []
    for n in range(7):
        record = make_record(
            alliance.collection, alliance.contributor, status=RecordStatus.DRAFT, title=f"标本{n}"
        )
        record.updated_at = utcnow() - timedelta(minutes=10 - n)
        made.append(record)
    db.session.commit()
    user = alliance.contributor
    chosen = workspace.Filter()
    first = workspace.records_page(user, chosen, size=3)
    assert [r.title for r in first.records] == ["标本6", "标本5", "标本4"]
    assert first.total == 7 and first.previous_cursor is None
    second = workspace.records_page(user, chosen, after=first.next_cursor, size=3)
    assert [r.title for r in second.records] == ["标本3", "标本2", "标本1"]
    back = workspace.records_page(user, chosen, before=second.previous_cursor, size=3)
    assert [r.title for r in back.records] == ["标本6", "标本5", "标本4"]
    assert back.previous_cursor is None
    last = workspace.records_page(user, chosen, last=True, size=3)
    assert [r.title for r in last.records] == ["标本2", "标本1", "标本0"]
    assert last.next_cursor is None and last.previous_cursor is not None

    browser = login(user)
    html = browser.get("/workspace/?last=1").get_data(as_text=True)
    assert titles(html)[-1] == "标本0"


def test_filters_by_search_status_collection_contributor_and_date(
    alliance, make_record, make_collection, login
):
    other_collection = make_collection("natural_history")
    make_record(alliance.collection, alliance.contributor, title="东北虎", local_id="NH_001")
    make_record(
        alliance.collection, alliance.colleague, status=RecordStatus.DRAFT, title="东北红豆杉"
    )
    make_record(other_collection, alliance.contributor, status=RecordStatus.DRAFT, title="人参")
    make_record(
        alliance.collection, alliance.outsider, status=RecordStatus.DRAFT, title="东北虎 外馆"
    )
    browser = login(alliance.contributor)

    def shown(query: str) -> list[str]:
        answer = browser.get(f"/workspace/?{query}")
        assert answer.status_code == 200, query
        return sorted(titles(answer.get_data(as_text=True)))

    assert shown("q=东北") == ["东北红豆杉", "东北虎"]
    assert shown("q=NH_0") == ["东北虎"]
    assert shown("q=100%25") == []
    assert shown("status=draft") == ["东北红豆杉", "人参"]
    assert shown(f"collection={other_collection.slug}") == ["人参"]
    assert shown(f"contributor={alliance.colleague.id}") == ["东北红豆杉"]
    today = utcnow().date()
    assert len(shown(f"since={today}&until={today}")) == 3
    assert shown(f"until={today - timedelta(days=1)}") == []


def test_bad_filter_values_are_named_and_ignored_with_a_400(alliance, make_record, login):
    make_record(alliance.collection, alliance.contributor, title="东北虎")
    browser = login(alliance.contributor)
    for query in (
        "status=lost",
        "since=2024-13-45",
        "contributor=abc",
        "scope=everything",
        "after=not-a-cursor&before=%00",
        "q=" + "长" * 300,
    ):
        answer = browser.get(f"/workspace/?{query}")
        assert answer.status_code in (200, 400), query
        html = answer.get_data(as_text=True)
        if answer.status_code == 400:
            assert 'class="flash flash-error"' in html, query
        assert titles(html) == ["东北虎"], query


def test_the_review_queue_shows_other_libraries_submissions_to_their_reviewers(
    alliance, make_record, login
):
    make_record(
        alliance.collection, alliance.contributor, status=RecordStatus.SUBMITTED, title="待审"
    )
    make_record(alliance.collection, alliance.contributor, status=RecordStatus.DRAFT, title="草稿")
    browser = login(alliance.reviewer)
    html = browser.get("/workspace/?scope=review&status=submitted").get_data(as_text=True)
    assert titles(html) == ["待审"]
    assert "1 record awaits your review" in html or "1 条记录等待您审核" in html or "待审" in html
    contributor = login(alliance.outsider, separate=True)
    html = contributor.get("/workspace/?scope=review").get_data(as_text=True)
    assert titles(html) == []  # not a reviewer: their own library's records instead


def test_an_import_jobs_records_are_a_filter(alliance, app, make_record, login):
    from repository.models import ImportReportEntry, IngestJob, JobState

    first = make_record(alliance.collection, alliance.contributor, title="导入甲")
    make_record(alliance.collection, alliance.contributor, title="手工乙")
    job = IngestJob(collection_id=alliance.collection.id, library_id=alliance.home.id)
    db.session.add(job)
    db.session.flush()
    db.session.add(
        ImportReportEntry(
            job_id=job.id,
            row=2,
            outcome="created",
            level="info",
            entry={"record_id": first.public_id},
        )
    )
    db.session.commit()
    job.state = JobState.SUCCEEDED
    job.finished_at = utcnow()
    db.session.commit()
    browser = login(alliance.contributor)
    job_page = browser.get(f"/imports/{job.public_id}").get_data(as_text=True)
    assert f'href="/workspace/?job={job.public_id}"' in job_page
    html = browser.get(f"/workspace/?job={job.public_id}").get_data(as_text=True)
    assert titles(html) == ["导入甲"]
    stranger = login(alliance.outsider, separate=True)
    assert titles(stranger.get(f"/workspace/?job={job.public_id}").get_data(as_text=True)) == []
