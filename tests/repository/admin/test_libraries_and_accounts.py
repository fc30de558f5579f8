"""Administrators manage libraries and accounts in the browser; every change is audited, and
nothing outside an administrator's reach changes."""

from __future__ import annotations

from sqlalchemy import select

from repository.extensions import db
from repository.models import Library, User
from repository.models.audit import AuditEntry
from repository.services import accounts
from tests.conftest import submit_form
from tests.factories import PASSWORD


def _entries(action: str) -> list[AuditEntry]:
    """Entries made through the pages (the fixtures' own, from code, have no actor)."""
    query = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor_id.is_not(None))
    return list(db.session.scalars(query))


def _library_form(code: str, **extra) -> dict:
    return {
        "code": code,
        "name_zh": "白山市图书馆",
        "name_en": "Baishan Library",
        "region": "白山",
        **extra,
    }


def test_an_alliance_admin_adds_a_library_and_the_log_says_who(login, alliance_admin):
    browser = login(alliance_admin)
    response = submit_form(browser, "/admin/libraries/new", _library_form("jl-bs"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/libraries/JL-BS")
    library = accounts.get_library("JL-BS")
    assert library.name_en == "Baishan Library"
    [entry] = _entries("library.create")
    assert entry.actor_id == alliance_admin.id and entry.library_id == library.id
    assert entry.after["code"] == "JL-BS"
    page = browser.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "library.create" in page and alliance_admin.email in page


def test_a_taken_library_code_is_named_on_the_form_not_a_500(login, alliance_admin, other_library):
    browser = login(alliance_admin)
    response = submit_form(browser, "/admin/libraries/new?lang=en", _library_form("jl-th"))
    assert response.status_code == 422
    assert "library code JL-TH exists already: another library has it" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(Library).where(Library.name_zh == "白山市图书馆")) is None
    assert not _entries("library.create")


def test_nul_bytes_and_overlong_names_are_refused_with_the_field_named(login, alliance_admin):
    browser = login(alliance_admin)
    nul = submit_form(
        browser, "/admin/libraries/new?lang=en", _library_form("JL-N", name_zh="白\x00山")
    )
    assert nul.status_code in (400, 422)
    assert nul.status_code != 500
    long = submit_form(
        browser, "/admin/libraries/new?lang=en", _library_form("JL-L", region="长" * 101)
    )
    assert long.status_code == 422
    assert "Field cannot be longer than 100 characters" in long.get_data(as_text=True)
    assert accounts.get_library("JL-N", missing_ok=True) is None
    assert accounts.get_library("JL-L", missing_ok=True) is None


def test_a_library_admin_cannot_add_libraries(login, library_admin):
    browser = login(library_admin)
    assert browser.get("/admin/libraries/new").status_code == 403
    page = browser.get("/admin/").get_data(as_text=True)
    assert "JL-YB" in page and "ALLY" not in page


def test_contributors_do_not_reach_the_admin_pages(login, make_user):
    browser = login(make_user("contributor"))
    assert browser.get("/admin/").status_code == 403
    assert "/admin/" not in browser.get("/workspace/").get_data(as_text=True)


def test_a_library_admin_creates_an_account_with_a_password(login, library_admin, make_collection):
    collection = make_collection()
    browser = login(library_admin)
    response = submit_form(
        browser,
        "/admin/libraries/JL-YB",
        {
            "email": "Reviewer@YB.example.org",
            "name": "金审校",
            "role": "reviewer",
            "how": "password",
            "password": "a long enough one 7",
            "reviews": [str(collection.id)],
        },
        action="/admin/libraries/JL-YB/users",
    )
    assert response.status_code == 302
    user = accounts.find_user("reviewer@yb.example.org")
    assert user.library_id == library_admin.library_id
    assert [c.slug for c in user.reviewed_collections] == [collection.slug]
    assert accounts.authenticate("reviewer@yb.example.org", "a long enough one 7") == user
    [entry] = _entries("user.create")
    assert entry.after["reviews"] == [collection.slug] and entry.actor_id == library_admin.id


def test_a_taken_address_and_a_weak_password_are_named(login, library_admin, make_user):
    taken = make_user("contributor")
    browser = login(library_admin)
    form = {"email": taken.email, "role": "contributor", "how": "password", "password": PASSWORD}
    page = submit_form(
        browser,
        "/admin/libraries/JL-YB?lang=en",
        form,
        action="/admin/libraries/JL-YB/users?lang=en",
    )
    assert page.status_code == 422
    assert f"the e-mail address {taken.email} belongs to another account already" in page.get_data(
        as_text=True
    )
    form = {**form, "email": "new@yb.example.org", "password": "12345678"}
    page = submit_form(
        browser,
        "/admin/libraries/JL-YB?lang=en",
        form,
        action="/admin/libraries/JL-YB/users?lang=en",
    )
    assert page.status_code == 422
    assert "this password is too easy to guess" in page.get_data(as_text=True)
    assert accounts.find_user("new@yb.example.org") is None


def test_another_librarys_accounts_are_out_of_reach(login, library_admin, other_library, make_user):
    stranger = make_user("contributor", library=other_library)
    browser = login(library_admin)
    assert browser.get("/admin/libraries/JL-TH").status_code == 404
    assert browser.get(f"/admin/users/{stranger.id}").status_code == 404
    from tests.conftest import csrf_token_from

    csrf = csrf_token_from(browser, "/admin/libraries/JL-YB")
    created = browser.post(
        "/admin/libraries/JL-TH/users",
        data={
            "csrf_token": csrf,
            "email": "x@th.example.org",
            "role": "admin",
            "how": "password",
            "password": PASSWORD,
        },
    )
    changed = browser.post(
        f"/admin/users/{stranger.id}",
        data={"csrf_token": csrf, "name": "改名", "role": "admin", "active": ""},
    )
    linked = browser.post(f"/admin/users/{stranger.id}/reset-link", data={"csrf_token": csrf})
    assert (created.status_code, changed.status_code, linked.status_code) == (404, 404, 404)
    db.session.refresh(stranger)
    assert stranger.active and stranger.role.value == "contributor" and stranger.name != "改名"
    assert accounts.find_user("x@th.example.org") is None
    assert not _entries("user.update") and not _entries("user.reset_link")


def test_the_last_admin_of_a_library_cannot_be_deactivated(login, alliance_admin, library_admin):
    browser = login(alliance_admin)
    form = {"name": library_admin.name, "role": "admin"}  # "active" unticked
    response = submit_form(browser, f"/admin/users/{library_admin.id}?lang=en", form)
    assert response.status_code == 422
    assert "is the last active administrator of JL-YB" in response.get_data(as_text=True)
    demoted = submit_form(
        browser,
        f"/admin/users/{library_admin.id}?lang=en",
        {**form, "role": "contributor", "active": "y"},
    )
    assert demoted.status_code == 422
    db.session.refresh(library_admin)
    assert library_admin.active and library_admin.is_admin
    assert not _entries("user.deactivate")


def test_the_last_alliance_admin_cannot_step_down(login, alliance_admin, home_library):
    accounts.create_user("second@alliance.example.org", home_library, "admin", PASSWORD)
    browser = login(alliance_admin)
    response = submit_form(
        browser,
        f"/admin/users/{alliance_admin.id}?lang=en",
        {"name": "x", "role": "admin", "active": "y"},
    )
    assert response.status_code == 422
    assert "is the last alliance administrator" in response.get_data(as_text=True)
    db.session.refresh(alliance_admin)
    assert alliance_admin.is_alliance_admin


def test_deactivating_ends_sessions_and_tokens(app, login, library_admin, make_user, client):
    from repository.services import tokens

    user = make_user("contributor", library=library_admin.library)
    _token, secret = tokens.create_token(library_admin, user, "catalogue sync")
    their_browser = login(user, separate=True)
    assert their_browser.get("/workspace/").status_code == 200
    assert tokens.authenticate_token(secret) == user

    browser = login(library_admin)
    response = submit_form(
        browser, f"/admin/users/{user.id}", {"name": user.name, "role": "contributor"}
    )
    assert response.status_code == 302
    assert their_browser.get("/workspace/").status_code == 302  # signed out
    assert tokens.authenticate_token(secret) is None
    api = app.test_client().get("/api/records/abc", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    [entry] = _entries("user.deactivate")
    assert entry.before == {"active": True} and entry.after == {"active": False}
    # A fresh sign-in with the right password is refused too.
    assert accounts.authenticate(user.email, PASSWORD) is None


def test_a_reset_link_works_once(login, alliance_admin, library_admin, client):
    browser = login(alliance_admin)
    page = submit_form(
        browser,
        f"/admin/users/{library_admin.id}",
        {},
        action=f"/admin/users/{library_admin.id}/reset-link",
    )
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    url = html.split("data-link>")[1].split("<")[0]
    path = url.split("huiku.test")[1]
    assert path.startswith("/account/link/")

    weak = submit_form(client, path + "?lang=en", {"password": "password", "repeat": "password"})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    done = submit_form(
        client, path, {"password": "brand new secret 9", "repeat": "brand new secret 9"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert accounts.authenticate(library_admin.email, "brand new secret 9") is not None

    again = client.get(path + "?lang=en")
    assert again.status_code == 410
    assert "this link has been used already" in again.get_data(as_text=True)
    actions = {entry.action for entry in db.session.scalars(select(AuditEntry))}
    assert {"user.reset_link", "user.reset_used"} <= actions


def test_an_expired_or_replaced_link_is_refused(login, alliance_admin, library_admin, client):
    from datetime import timedelta

    from repository.models.accounts import OneTimeLink
    from repository.services import administration

    first = administration.issue_link(alliance_admin, library_admin)
    second = administration.issue_link(alliance_admin, library_admin)
    replaced = client.get(f"/account/link/{first}?lang=en")
    assert replaced.status_code == 410 and "ask an administrator" in replaced.get_data(as_text=True)
    link = db.session.scalar(select(OneTimeLink).where(OneTimeLink.used_at.is_(None)))
    link.expires_at = link.created_at - timedelta(seconds=1)
    db.session.commit()
    expired = submit_form if False else client.get(f"/account/link/{second}?lang=en")
    assert expired.status_code == 410 and "this link has expired" in expired.get_data(as_text=True)
    assert client.get("/account/link/" + "x" * 5000).status_code == 410


def test_an_invited_account_sets_its_own_password(login, library_admin, client):
    browser = login(library_admin)
    page = submit_form(
        browser,
        "/admin/libraries/JL-YB",
        {"email": "new@yb.example.org", "role": "contributor", "how": "invite"},
        action="/admin/libraries/JL-YB/users",
    )
    assert page.status_code == 201
    user = accounts.find_user("new@yb.example.org")
    assert accounts.authenticate(user.email, "") is None
    path = page.get_data(as_text=True).split("data-link>")[1].split("<")[0].split("huiku.test")[1]
    done = submit_form(client, path, {"password": "my own secret 11", "repeat": "my own secret 11"})
    assert done.status_code == 302
    assert accounts.authenticate(user.email, "my own secret 11") == user


def test_the_admin_pages_speak_chinese_by_default(login, alliance_admin):
    browser = login(alliance_admin)
    html = browser.get("/admin/").get_data(as_text=True)
    assert "成员馆" in html and "Member libraries" not in html
    assert isinstance(db.session.get(User, alliance_admin.id), User)


def test_a_library_admin_describes_their_library_for_its_public_page(login, library_admin):
    browser = login(library_admin)
    form = {
        "name_zh": "延边图书馆",
        "name_en": "Yanbian Library",
        "region": "延吉",
        "website": "ftp://yb.example.org",
        "description_zh": "朝鲜族文献特色馆",
    }
    refused = submit_form(browser, "/admin/libraries/JL-YB?lang=en", form)
    assert refused.status_code == 422
    assert "the website must start with https:// or http://" in refused.get_data(as_text=True)
    saved = submit_form(
        browser, "/admin/libraries/JL-YB", {**form, "website": "https://yb.example.org/"}
    )
    assert saved.status_code == 302
    library = library_admin.library
    db.session.refresh(library)
    assert (library.website, library.description_zh) == (
        "https://yb.example.org/",
        "朝鲜族文献特色馆",
    )
    assert library.active  # a library administrator's form has no "active" box: it stays
    [entry] = _entries("library.update")
    assert entry.after["website"] == "https://yb.example.org/" and entry.before["website"] == ""
