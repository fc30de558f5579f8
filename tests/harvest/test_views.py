"""Administrators manage harvested sources through the pages: add one and see its check, are
told plainly what is wrong with a bad one, keep to their own library's sources, start a harvest
and find it in the history, disable a source (its records leave the search) and delete one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Collection, IndexTask, Library, User
from repository.models.audit import AuditEntry
from repository.models.harvest import (
    HarvestedRecord,
    HarvestRun,
    HarvestSource,
    SourceCheck,
    SourceKind,
)
from repository.services import accounts, collections, records
from tests.conftest import submit_form
from tests.factories import PASSWORD
from tests.repository.images.queue import task_queue  # noqa: F401 - the ``queue`` fixture

NEW = "/admin/sources/new?lang=en"


@pytest.fixture
def alliance_admin(make_library) -> User:
    home = make_library("ALLY", "联盟中心")
    return accounts.create_user(
        "chief@alliance.example.org", home, "admin", PASSWORD, alliance_admin=True
    )


@pytest.fixture
def library_admin(make_library) -> User:
    library = make_library("JL-YB", "延边图书馆")
    return accounts.create_user("admin@yb.example.org", library, "admin", PASSWORD)


@pytest.fixture
def other_library(make_library) -> Library:
    return make_library("JL-TH", "通化图书馆")


@pytest.fixture
def local_addresses(app, monkeypatch) -> None:
    """The live server on 127.0.0.1 may be harvested (it is refused by default)."""
    monkeypatch.setitem(app.config, "HARVEST_ALLOW_PRIVATE_ADDRESSES", ["127.0.0.1"])


def publish_on(live_server, count: int) -> list[str]:
    """Publish ``count`` records on the live server, for its /oai to serve; their public ids."""
    with live_server.context():
        library = accounts.get_library("LIVE", missing_ok=True) or accounts.create_library(
            "LIVE", "远端图书馆", "Remote library"
        )
        collection = db.session.scalar(select(Collection).where(Collection.slug == "remote-ich"))
        if collection is None:
            collection = collections.create_collection("remote-ich", "ich", "远端非遗")
        admin = accounts.find_user("admin@live.example.org") or accounts.create_user(
            "admin@live.example.org", library, "admin", PASSWORD
        )
        made = []
        for n in range(count):
            data = {
                "local_id": f"L-{n}",
                "title": f"远端项目 {n}",
                "category": "民俗",
                "level": "省级",
            }
            record = records.create_record(admin, collection, data)
            records.submit_record(admin, record)
            records.publish_record(admin, record)
            made.append(record.public_id)
        db.session.commit()
    return made


def source_form(slug: str, base_url: str, library: str = "ALLY", **extra) -> dict:
    return {
        "slug": slug,
        "name": "吉林省博物院",
        "kind": "oai",
        "base_url": base_url,
        "set_spec": "",
        "metadata_prefix": "oai_dc",
        "interval_hours": "24",
        "library": library,
        **extra,
    }


def make_source(actor: User, library: Library, slug: str = "museum") -> HarvestSource:
    from harvest import sources

    return sources.create_source(
        actor,
        slug=slug,
        name="吉林省博物院",
        kind=SourceKind.OAI,
        base_url="https://oai.museum.example.org/oai",
        library=library,
    )


def harvested(source: HarvestSource, count: int) -> list[HarvestedRecord]:
    rows = [
        HarvestedRecord(source_id=source.id, identifier=f"oai:museum:{n}", title=f"藏品 {n}")
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def outbox() -> set[tuple[str, str]]:
    return {
        tuple(row)
        for row in db.session.execute(select(IndexTask.record_public_id, IndexTask.action))
    }


def test_an_admin_adds_an_oai_source_and_sees_its_check(
    login, alliance_admin, live_server, local_addresses, queue
):
    publish_on(live_server, 2)
    browser = login(alliance_admin)
    created = submit_form(browser, NEW, source_form("remote", f"{live_server.url}/oai"))
    assert created.status_code == 302, created.get_data(as_text=True)
    assert created.headers["Location"].endswith("/admin/sources/remote")
    source = db.session.scalar(select(HarvestSource).where(HarvestSource.slug == "remote"))
    assert source.library.code == "ALLY" and source.metadata_prefix == "oai_dc"
    pending = browser.get("/admin/sources/remote?lang=en").get_data(as_text=True)
    assert "Check pending" in pending and "Reload this page for the result" in pending
    assert "check_source_task" in queue.names()

    db.session.commit()  # end the test's own transaction: the worker's starts after the save
    queue.run()  # a worker takes the check up
    checked = browser.get("/admin/sources/remote?lang=en").get_data(as_text=True)
    source = db.session.scalar(select(HarvestSource).where(HarvestSource.slug == "remote"))
    assert source.check_state is SourceCheck.OK, source.check_message
    assert "Check passed" in checked and "Checked at" in checked
    listing = browser.get("/admin/sources/?lang=en").get_data(as_text=True)
    assert "吉林省博物院" in listing and "Check passed" in listing and "Never harvested" in listing
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "source.create"))
    assert entry.actor_id == alliance_admin.id and entry.after["base_url"].endswith("/oai")


def test_a_failing_check_says_why_and_can_be_repeated(
    login, alliance_admin, live_server, local_addresses, queue
):
    browser = login(alliance_admin)
    form = source_form("nowhere", f"{live_server.url}/no-such-endpoint")
    assert submit_form(browser, NEW, form).status_code == 302
    db.session.commit()
    queue.run()
    page = browser.get("/admin/sources/nowhere?lang=en").get_data(as_text=True)
    assert "Check failed" in page and "no-such-endpoint" in page
    again = submit_form(
        browser, "/admin/sources/nowhere", {}, action="/admin/sources/nowhere/check"
    )
    assert again.status_code == 302
    assert queue.names() == ["check_source_task"]
    assert "Check pending" in browser.get("/admin/sources/nowhere?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"base_url": "ftp://oai.example.org/oai"}, "must start with https:// or http://"),
        ({"base_url": "https://"}, "the address has no host name"),
        ({"base_url": "https://harvester:secret@oai.example.org/oai"}, "user name or password"),
        ({"base_url": "http://10.1.2.3/oai"}, "10.1.2.3 is a private, loopback or reserved"),
        ({"base_url": "http://[::1]:8080/oai"}, "::1 is a private, loopback"),
        ({"slug": "Museum_1"}, "must be lower-case letters, digits and hyphens"),
        ({"interval_hours": "9000"}, "a whole number of hours from 0 to 8760"),
        ({"interval_hours": "daily"}, "a whole number of hours from 0 to 8760"),
        ({"metadata_prefix": "oai dc"}, "the metadata prefix may hold only"),
    ],
)
def test_a_bad_source_is_named_and_nothing_is_written(
    login, alliance_admin, queue, changes, field_error
):
    browser = login(alliance_admin)
    form = {**source_form("museum", "https://oai.museum.example.org/oai"), **changes}
    refused = submit_form(browser, NEW, form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error in page and 'class="error"' in page
    assert db.session.scalar(select(func.count(HarvestSource.id))) == 0
    assert not db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("source.%"))
    ).all()
    assert queue.names() == []


def test_the_errors_are_in_chinese_for_a_chinese_reader(login, alliance_admin, queue):
    browser = login(alliance_admin)
    form = source_form("museum", "http://192.168.1.10/oai")
    refused = submit_form(browser, "/admin/sources/new?lang=zh_Hans_CN", form)
    assert refused.status_code == 422
    assert "192.168.1.10 是内网、本机或保留地址，不能采集" in refused.get_data(as_text=True)


def test_a_taken_identifier_is_named(login, alliance_admin, queue):
    make_source(alliance_admin, alliance_admin.library)
    browser = login(alliance_admin)
    form = source_form("museum", "https://other.example.org/oai")
    refused = submit_form(browser, NEW, form)
    assert refused.status_code == 422
    assert "the identifier museum is taken by another source" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HarvestSource.id))) == 1


def test_a_library_admin_keeps_to_their_own_librarys_sources(
    login, alliance_admin, library_admin, other_library, make_user, queue
):
    theirs = make_source(alliance_admin, other_library, "tonghua")
    ours = make_source(alliance_admin, library_admin.library, "yanbian")
    browser = login(library_admin)
    listing = browser.get("/admin/sources/?lang=en").get_data(as_text=True)
    assert "yanbian" in listing and "tonghua" not in listing
    for url in ("/admin/sources/tonghua", "/admin/sources/tonghua/edit"):
        assert browser.get(url).status_code == 404
    token_page = "/admin/sources/yanbian"
    for action in ("check", "harvest", "enable", "delete"):
        posted = submit_form(browser, token_page, {}, action=f"/admin/sources/tonghua/{action}")
        assert posted.status_code == 404
    # Nor may they add a source for another library: it is not among the choices.
    form = source_form("sneaky", "https://oai.example.org/oai", library="JL-TH")
    assert submit_form(browser, NEW, form).status_code == 422
    edit = submit_form(
        browser,
        "/admin/sources/yanbian/edit",
        source_form("ignored", ours.base_url, library="JL-YB", name="延边博物馆"),
    )
    assert edit.status_code == 302
    db.session.refresh(ours)
    db.session.refresh(theirs)
    assert ours.name == "延边博物馆" and ours.slug == "yanbian"
    assert theirs.library_id == other_library.id and theirs.enabled
    contributor = login(make_user("contributor", library=library_admin.library), separate=True)
    assert contributor.get("/admin/sources/").status_code == 403


def test_changing_the_address_checks_it_again_but_renaming_does_not(login, alliance_admin, queue):
    source = make_source(alliance_admin, alliance_admin.library)
    assert queue.names() == ["check_source_task"]
    huey_pending = len(queue.names())
    browser = login(alliance_admin)
    url = "/admin/sources/museum/edit"
    form = source_form("museum", source.base_url, name="吉林省博物院藏品")
    assert submit_form(browser, url, form).status_code == 302
    assert len(queue.names()) == huey_pending
    form = source_form("museum", "https://oai2.museum.example.org/oai")
    assert submit_form(browser, url, form).status_code == 302
    assert len(queue.names()) == huey_pending + 1
    db.session.refresh(source)
    assert source.check_state is SourceCheck.PENDING
    assert source.base_url == "https://oai2.museum.example.org/oai"


def test_harvest_now_queues_one_run_shown_in_the_history(login, alliance_admin, queue):
    make_source(alliance_admin, alliance_admin.library)
    browser = login(alliance_admin)
    page_url = "/admin/sources/museum"
    for _ in range(2):  # a second click while it waits does not queue another
        started = submit_form(
            browser, page_url, {"full": "0"}, action="/admin/sources/museum/harvest"
        )
        assert started.status_code == 302
    run = db.session.scalars(select(HarvestRun)).one()
    assert not run.full and run.requested_by_id == alliance_admin.id
    assert queue.names().count("run_harvest_task") == 1
    page = browser.get("/admin/sources/museum?lang=en").get_data(as_text=True)
    assert run.public_id in page and "Queued" in page and "Incremental" in page
    detail = browser.get(f"/admin/sources/museum/runs/{run.public_id}?lang=en")
    assert detail.status_code == 200 and "chief@alliance.example.org" in detail.get_data(
        as_text=True
    )
    assert browser.get("/admin/sources/museum/runs/nosuchrun").status_code == 404


def test_disabling_a_source_takes_its_records_out_of_the_search(
    app, login, alliance_admin, queue, monkeypatch
):
    monkeypatch.setitem(app.config, "SEARCH_APPLY_ON_COMMIT", False)  # keep the outbox to read
    source = make_source(alliance_admin, alliance_admin.library)
    rows = harvested(source, 3)
    browser = login(alliance_admin)
    action = "/admin/sources/museum/enable"
    off = submit_form(browser, "/admin/sources/museum", {"enabled": "0"}, action=action)
    assert off.status_code == 302
    db.session.refresh(source)
    assert not source.enabled
    assert outbox() == {(row.public_id, "delete") for row in rows}
    page = browser.get("/admin/sources/museum?lang=en").get_data(as_text=True)
    assert "Disabled: its records are not searched" in page and "Harvest now" not in page
    refused = submit_form(
        browser, "/admin/sources/museum", {}, action="/admin/sources/museum/harvest"
    )
    assert refused.status_code == 302 and db.session.scalar(select(func.count(HarvestRun.id))) == 0

    db.session.execute(IndexTask.__table__.delete())
    on = submit_form(browser, "/admin/sources/museum", {"enabled": "1"}, action=action)
    assert on.status_code == 302
    assert outbox() == {(row.public_id, "upsert") for row in rows}
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["source.disable", "source.enable"]


def test_deleting_a_source_asks_first_then_removes_it_with_its_records(
    app, login, alliance_admin, queue, monkeypatch
):
    monkeypatch.setitem(app.config, "SEARCH_APPLY_ON_COMMIT", False)
    source = make_source(alliance_admin, alliance_admin.library)
    ids = {row.public_id for row in harvested(source, 2)}
    browser = login(alliance_admin)
    submit_form(browser, "/admin/sources/museum", {}, action="/admin/sources/museum/harvest")
    confirm = browser.get("/admin/sources/museum/delete?lang=en")
    assert confirm.status_code == 200
    assert "Its 2 harvested records leave the search" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HarvestSource.id))) == 1  # asking deletes nothing
    deleted = submit_form(browser, "/admin/sources/museum/delete", {})
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/admin/sources/")
    assert db.session.scalar(select(func.count(HarvestSource.id))) == 0
    assert db.session.scalar(select(func.count(HarvestRun.id))) == 0
    assert db.session.scalar(select(func.count(HarvestedRecord.id))) == 0
    assert outbox() == {(public_id, "delete") for public_id in ids}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "source.delete"))
    assert entry.target_label == "museum" and entry.before["library"] == "ALLY"
    assert browser.get("/admin/sources/museum").status_code == 404


def test_moving_a_source_to_another_library_reindexes_its_records(
    app, login, alliance_admin, other_library, queue, monkeypatch
):
    monkeypatch.setitem(app.config, "SEARCH_APPLY_ON_COMMIT", False)
    source = make_source(alliance_admin, alliance_admin.library)
    ids = {row.public_id for row in harvested(source, 2)}
    browser = login(alliance_admin)
    form = source_form("museum", source.base_url, library="JL-TH", interval_hours="0")
    assert submit_form(browser, "/admin/sources/museum/edit", form).status_code == 302
    db.session.refresh(source)
    assert source.library_id == other_library.id and source.next_run_at is None
    assert outbox() == {(public_id, "upsert") for public_id in ids}
    assert queue.names() == ["check_source_task"]  # the address did not change: no new check
    page = browser.get("/admin/sources/museum?lang=en").get_data(as_text=True)
    assert "JL-TH" in page and "By hand only" in page


def test_the_history_of_runs_is_paged_newest_first(login, alliance_admin, queue):
    from datetime import timedelta

    from repository.models.base import utcnow
    from repository.models.jobs import JobState

    source = make_source(alliance_admin, alliance_admin.library)
    start = utcnow() - timedelta(days=30)
    runs = [
        HarvestRun(
            source_id=source.id,
            state=JobState.SUCCEEDED,
            full=n == 0,
            created_at=start + timedelta(days=n),
            created=n,
            errors=[{"where": f"page {n}", "message": f"record {n} has no title"}],
        )
        for n in range(25)
    ]
    db.session.add_all(runs)
    db.session.commit()
    browser = login(alliance_admin)
    first = browser.get("/admin/sources/museum?lang=en").get_data(as_text=True)
    row = 'data-run="{}"'.format
    assert row(runs[24].public_id) in first and row(runs[5].public_id) in first
    assert row(runs[4].public_id) not in first and "Page 1 of 2" in first
    assert first.index(row(runs[24].public_id)) < first.index(row(runs[23].public_id))
    assert "record 24 has no title" in first  # the last run's errors are listed
    second = browser.get("/admin/sources/museum?page=2&lang=en").get_data(as_text=True)
    assert row(runs[0].public_id) in second and row(runs[24].public_id) not in second
    assert "Full" in second
