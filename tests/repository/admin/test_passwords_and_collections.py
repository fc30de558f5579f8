"""Every user changes their own password; collections are created by the alliance and edited by
their coordinating library, each change audited and queued for the search index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, select

from repository.extensions import db
from repository.models.audit import AuditEntry
from repository.services import accounts, collections
from tests.conftest import submit_form
from tests.factories import PASSWORD


def test_a_user_changes_their_password_and_other_devices_sign_out(login, make_user):
    user = make_user("contributor")
    other_device = login(user, separate=True)
    browser = login(user)
    form = {"current": PASSWORD, "new": "a fresh passphrase", "repeat": "a fresh passphrase"}
    response = submit_form(browser, "/account/password", form)
    assert response.status_code == 302
    assert browser.get("/workspace/").status_code == 200  # this browser stays signed in
    assert other_device.get("/workspace/").status_code == 302
    assert accounts.authenticate(user.email, "a fresh passphrase") == user
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)) == (
        "user.password_change"
    )


def test_a_wrong_current_password_or_a_weak_new_one_is_refused(login, make_user):
    user = make_user("contributor")
    browser = login(user)
    wrong = submit_form(
        browser,
        "/account/password?lang=en",
        {"current": "not it at all", "new": "a fresh passphrase", "repeat": "a fresh passphrase"},
    )
    assert wrong.status_code == 422
    assert "the current password is wrong" in wrong.get_data(as_text=True)
    weak = submit_form(
        browser,
        "/account/password?lang=en",
        {"current": PASSWORD, "new": "short", "repeat": "short"},
    )
    assert weak.status_code == 422
    assert "a password needs at least 8 characters" in weak.get_data(as_text=True)
    differ = submit_form(
        browser,
        "/account/password?lang=en",
        {"current": PASSWORD, "new": "a fresh passphrase", "repeat": "another"},
    )
    assert differ.status_code == 422 and "The two new passwords differ." in differ.get_data(
        as_text=True
    )
    assert accounts.authenticate(user.email, PASSWORD) == user


def _collection_form(slug: str, **extra) -> dict:
    return {
        "slug": slug,
        "profile": "ich",
        "title_zh": "延边非遗",
        "title_en": "Yanbian heritage",
        "description_zh": "朝鲜族非物质文化遗产",
        "default_rights": "https://creativecommons.org/licenses/by-nc/4.0/",
        "coordinating_library": "JL-YB",
        "published": "y",
        "edits_need_review": "y",
        **extra,
    }


@pytest.fixture
def index_inserts() -> Iterator[list[int]]:
    """Rows each INSERT into the search outbox wrote during the test (the outbox removes them
    again once applied, so they are counted as they are written)."""
    counts: list[int] = []

    def count(_conn, cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INDEX_TASK"):
            counts.append(cursor.rowcount)

    event.listen(db.engine, "after_cursor_execute", count)
    yield counts
    event.remove(db.engine, "after_cursor_execute", count)


def test_the_alliance_creates_a_collection_and_its_library_edits_it(
    login, alliance_admin, library_admin, make_record, make_user, index_inserts
):
    browser = login(alliance_admin)
    created = submit_form(browser, "/admin/collections/new", _collection_form("yanbian-ich"))
    assert created.status_code == 302
    collection = collections.get_collection("yanbian-ich")
    assert collection.coordinating_library == library_admin.library
    make_record(collection, make_user("contributor", library=library_admin.library))
    editor = login(library_admin, separate=True)
    index_inserts.clear()
    form = _collection_form("ignored", title_en="Yanbian intangible heritage", published="")
    saved = submit_form(editor, "/admin/collections/yanbian-ich", form)
    assert saved.status_code == 302
    db.session.refresh(collection)
    assert collection.title_en == "Yanbian intangible heritage" and not collection.published
    assert collection.slug == "yanbian-ich"
    assert index_inserts == [1]  # the published record is queued for the index, in one statement
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "collection.update"))
    assert entry.before == {"title_en": "Yanbian heritage", "published": True}
    assert entry.actor_id == library_admin.id


def test_the_coordinating_library_lets_edits_of_published_records_go_live_at_once(
    login, alliance_admin, library_admin
):
    browser = login(alliance_admin)
    assert (
        submit_form(browser, "/admin/collections/new", _collection_form("yb-a")).status_code == 302
    )
    collection = collections.get_collection("yb-a")
    assert collection.edits_need_review  # the default: a reviewer sees every change
    editor = login(library_admin, separate=True)
    page = editor.get("/admin/collections/yb-a").get_data(as_text=True)
    assert 'name="edits_need_review"' in page and "checked" in page
    form = _collection_form("ignored", edits_need_review="")
    assert submit_form(editor, "/admin/collections/yb-a", form).status_code == 302
    db.session.refresh(collection)
    assert not collection.edits_need_review
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "collection.update")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.before == {"edits_need_review": True}
    assert entry.after == {"edits_need_review": False}


def test_a_library_admin_cannot_create_or_edit_anothers_collection(
    login, library_admin, make_collection
):
    collection = make_collection()  # coordinated by no library
    browser = login(library_admin)
    assert browser.get("/admin/collections/new").status_code == 403
    assert browser.get(f"/admin/collections/{collection.slug}").status_code == 404
    from tests.conftest import csrf_token_from

    csrf = csrf_token_from(browser, "/admin/collections")
    response = browser.post(
        f"/admin/collections/{collection.slug}", data={"csrf_token": csrf, **_collection_form("x")}
    )
    assert response.status_code == 404
    db.session.refresh(collection)
    assert collection.title_zh != "延边非遗"


def test_a_taken_collection_identifier_is_named(
    login, alliance_admin, library_admin, make_collection
):
    taken = make_collection()
    browser = login(alliance_admin)
    response = submit_form(browser, "/admin/collections/new?lang=en", _collection_form(taken.slug))
    assert response.status_code == 422
    assert f"the identifier {taken.slug} is taken by another collection" in response.get_data(
        as_text=True
    )
    long = submit_form(
        browser, "/admin/collections/new?lang=en", _collection_form("fine", title_zh="名" * 201)
    )
    assert long.status_code == 422


def test_the_audit_log_filters_and_keeps_to_the_readers_library(
    login, alliance_admin, library_admin, other_library
):
    accounts.create_user("a@th.example.org", other_library, "admin", PASSWORD, actor=alliance_admin)
    accounts.create_user(
        "b@yb.example.org", library_admin.library, "contributor", PASSWORD, actor=library_admin
    )
    chief = login(alliance_admin)
    everything = chief.get("/admin/audit?action=user.create").get_data(as_text=True)
    assert "a@th.example.org" in everything and "b@yb.example.org" in everything
    only_th = chief.get("/admin/audit?library=JL-TH").get_data(as_text=True)
    assert "a@th.example.org" in only_th and "b@yb.example.org" not in only_th
    by_actor = chief.get(f"/admin/audit?actor={library_admin.email}").get_data(as_text=True)
    assert "b@yb.example.org" in by_actor and "a@th.example.org" not in by_actor

    own = (
        login(library_admin, separate=True).get("/admin/audit?library=JL-TH").get_data(as_text=True)
    )
    assert "b@yb.example.org" in own and "a@th.example.org" not in own
    assert login(library_admin, separate=True).get(
        "/admin/audit?page=99999&actor=" + "x" * 9000
    ).status_code in (200, 414)
