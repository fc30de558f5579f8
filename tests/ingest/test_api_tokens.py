"""Administrators make and revoke their library's API tokens; the API knows no one else."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from repository.extensions import db
from repository.models import ApiToken
from repository.services import tokens
from tests.conftest import csrf_token_from, submit_form
from tests.ingest.api_client import ApiClient, issue_token

PAGE = "/workspace/api-tokens/"
_SECRET = re.compile(r"<code[^>]*data-token[^>]*>([^<]+)</code>")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def cataloguer(make_user, admin):
    return make_user("contributor", library=admin.library)


def create_through_page(browser, owner, name="馆藏系统"):
    response = submit_form(browser, PAGE, {"owner": str(owner.id), "name": name})
    match = _SECRET.search(response.get_data(as_text=True))
    return response, match.group(1) if match else None


def test_an_admin_creates_a_token_that_is_shown_once_and_stored_hashed(
    login, admin, cataloguer, client, spec, make_collection
):
    browser = login(admin)
    response, secret = create_through_page(browser, cataloguer)
    assert response.status_code == 201
    assert secret and secret.startswith("huiku_")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/html"

    stored = db.session.scalar(select(ApiToken))
    assert stored.user == cataloguer and stored.name == "馆藏系统"
    assert stored.token_hash == tokens.hash_token(secret) and secret not in stored.token_hash
    assert stored.last_used_at is None
    listing = browser.get(PAGE).get_data(as_text=True)
    assert "馆藏系统" in listing and cataloguer.email in listing
    assert secret not in listing  # never shown again

    make_collection(slug="changbaishan")
    api = ApiClient(client, spec, secret)
    record = api.post(
        "/api/collections/changbaishan/records",
        json={
            "metadata": {
                "local_id": "T-1",
                "title": "人参",
                "scientific_name": "Panax ginseng",
                "kingdom": "植物",
            }
        },
    )
    assert record.status_code == 201
    assert record.get_json()["library"] == cataloguer.library.code
    assert db.session.get(ApiToken, stored.id).last_used_at is not None


def test_a_revoked_token_is_refused_at_once(login, admin, cataloguer, client, spec):
    browser = login(admin)
    _, secret = create_through_page(browser, cataloguer)
    api = ApiClient(client, spec, secret)
    assert api.get("/api/records/none").status_code == 404  # authenticated: only unknown
    token = db.session.scalar(select(ApiToken))
    token_page = csrf_token_from(browser, PAGE)
    revoked = browser.post(f"{PAGE}{token.id}/revoke", data={"csrf_token": token_page})
    assert revoked.status_code == 302
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    response = api.get("/api/records/none")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "revoked" in response.get_json()["error"]
    browser.get("/lang/en")
    assert "Revoked on" in browser.get(PAGE).get_data(as_text=True)


def test_revoking_needs_the_csrf_token(login, admin, cataloguer):
    browser = login(admin)
    create_through_page(browser, cataloguer)
    token = db.session.scalar(select(ApiToken))
    assert browser.post(f"{PAGE}{token.id}/revoke").status_code == 400
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_an_admin_manages_only_their_own_librarys_tokens(login, admin, make_user):
    other_library_user = make_user("contributor")
    foreign_secret = issue_token(other_library_user)
    foreign = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(foreign_secret))
    )
    browser = login(admin)
    page = browser.get(PAGE).get_data(as_text=True)
    assert other_library_user.email not in page
    response, secret = create_through_page(browser, other_library_user)
    assert response.status_code == 422 and secret is None
    csrf = csrf_token_from(browser, PAGE)
    assert browser.post(f"{PAGE}{foreign.id}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert db.session.get(ApiToken, foreign.id).revoked_at is None


def test_a_token_needs_a_name(login, admin, cataloguer):
    response, secret = create_through_page(login(admin), cataloguer, name="  ")
    assert response.status_code == 422 and secret is None
    assert db.session.scalar(select(ApiToken)) is None


@pytest.mark.parametrize("role", ["contributor", "reviewer"])
def test_only_admins_see_the_token_page(login, make_user, role):
    browser = login(make_user(role))
    assert browser.get(PAGE).status_code == 403
    assert browser.post(PAGE, data={"name": "x"}).status_code in (400, 403)
    assert db.session.scalar(select(ApiToken)) is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_workspace_links_to_the_token_page_for_admins(login, admin, make_user):
    assert PAGE.rstrip("/") in login(admin).get("/workspace/").get_data(as_text=True)
    other = login(make_user("contributor"), separate=True)
    assert PAGE.rstrip("/") not in other.get("/workspace/").get_data(as_text=True)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer huiku_not-a-real-token", "x y"],
)
def test_requests_without_a_valid_token_are_401(client, spec, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    api = ApiClient(client, spec)
    response = api.get("/api/records/abc", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="huiku"')
    write = api.post("/api/collections/x/records", json={"metadata": {}}, headers=headers)
    assert write.status_code == 401


def test_a_session_cookie_is_not_a_token(login, admin, client, spec):
    login(admin)
    assert ApiClient(client, spec).get("/api/records/abc").status_code == 401


def test_the_token_of_a_deactivated_account_or_library_stops_working(
    client, spec, cataloguer, admin
):
    secret = issue_token(cataloguer)
    api = ApiClient(client, spec, secret)
    assert api.get("/api/records/abc").status_code == 404
    cataloguer.active = False
    db.session.commit()
    assert api.get("/api/records/abc").status_code == 401
    cataloguer.active = True
    cataloguer.library.active = False
    db.session.commit()
    assert api.get("/api/records/abc").status_code == 401
