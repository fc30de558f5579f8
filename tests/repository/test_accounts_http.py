"""Signing in and out through the web, with CSRF protection on every form."""

import pytest

from tests.conftest import csrf_token_from, submit_form
from tests.factories import PASSWORD


def test_a_user_signs_in_and_reaches_the_workspace(client, make_user):
    user = make_user("contributor")
    response = submit_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workspace/")
    page = client.get("/workspace/").get_data(as_text=True)
    assert user.library.name_zh in page


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, make_user):
    user = make_user("contributor")
    response = submit_form(client, "/login", {"email": user.email, "password": "not-it-at-all"})
    assert response.status_code == 401
    assert client.get("/workspace/").status_code == 302  # still signed out


def test_a_form_without_its_csrf_token_is_rejected(client, make_user):
    user = make_user("contributor")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/workspace/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client, make_user):
    user = make_user("contributor")
    response = submit_form(client, "/login", {"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_signing_out_needs_a_post_with_the_token(login, make_user):
    client = login(make_user("contributor"))
    token = csrf_token_from(client, "/workspace/")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/workspace/").status_code == 302


def test_login_never_redirects_to_another_site(client, make_user):
    user = make_user("contributor")
    token = csrf_token_from(client, "/login")
    response = client.post(
        "/login?next=//evil.example.com/",
        data={"csrf_token": token, "email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"].endswith("/workspace/")


def test_a_reviewer_sees_the_submitted_records_of_their_collections(
    login, make_user, make_collection, make_record
):
    from repository.models import RecordStatus

    collection = make_collection("ich")
    reviewer = make_user("reviewer", reviews=[collection])
    make_record(collection, status=RecordStatus.SUBMITTED, title="长鼓舞")
    make_record(make_collection("ich"), status=RecordStatus.SUBMITTED, title="盘索里")
    page = login(reviewer).get("/workspace/?scope=review").get_data(as_text=True)
    assert "长鼓舞" in page
    assert "盘索里" not in page


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/\\evil.example"])
def test_no_next_parameter_leaves_the_site(client, make_user, target):
    user = make_user("contributor")
    token = csrf_token_from(client, "/login")
    response = client.post(
        f"/login?next={target}",
        data={"csrf_token": token, "email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"].endswith("/workspace/")
    switched = client.get(f"/lang/en?next={target}")
    assert switched.headers["Location"] in ("/", "http://huiku.test/")
