"""API tokens seen from the administration pages, and the command line's alliance admins."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from repository.extensions import db
from repository.models.audit import AuditEntry
from repository.services import accounts, tokens
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD


def test_a_library_admin_sees_and_revokes_only_their_librarys_tokens(
    login, alliance_admin, library_admin, other_library, make_user
):
    own_user = make_user("contributor", library=library_admin.library)
    stranger = make_user("contributor", library=other_library)
    own, own_secret = tokens.create_token(library_admin, own_user, "own sync")
    foreign, foreign_secret = tokens.create_token(alliance_admin, stranger, "their sync")

    browser = login(library_admin)
    page = browser.get("/admin/tokens").get_data(as_text=True)
    assert "own sync" in page and "their sync" not in page
    csrf = csrf_token_from(browser, "/admin/tokens")
    refused = browser.post(f"/admin/tokens/{foreign.id}/revoke", data={"csrf_token": csrf})
    assert refused.status_code == 404
    assert tokens.authenticate_token(foreign_secret) == stranger
    revoked = browser.post(f"/admin/tokens/{own.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 302
    assert tokens.authenticate_token(own_secret) is None

    chief = login(alliance_admin, separate=True)
    everything = chief.get("/admin/tokens").get_data(as_text=True)
    assert "own sync" in everything and "their sync" in everything
    only = chief.get(f"/admin/tokens?library={other_library.code}").get_data(as_text=True)
    assert "their sync" in only and "own sync" not in only
    actions = list(
        db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "api_token"))
    )
    assert sorted(actions) == ["token.create", "token.create", "token.revoke"]


def test_the_command_line_makes_an_alliance_admin(app, home_library) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["user", "create", "office@alliance.example.org", "--library", home_library.code,
              "--role", "admin", "--password", PASSWORD, "--alliance-admin"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "alliance admin" in result.output
    assert accounts.find_user("office@alliance.example.org").is_alliance_admin


def test_a_signed_out_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/account/password").status_code == 302
