"""Deactivating an account on one server ends its sessions and API tokens on every other one:
the session token and the account's state live in the shared database, not in a process."""

from __future__ import annotations

from sqlalchemy import delete

from repository.extensions import db
from repository.models import ApiToken
from repository.models.audit import AuditEntry
from repository.services import accounts, administration, tokens
from tests.factories import PASSWORD
from tests.repository.test_login_security_servers import (  # noqa: F401 - the fixture
    DOMAIN,
    browser,
    isolated_database,
    servers,
    signed_in,
    try_password,
)


def test_deactivated_on_one_server_means_signed_out_on_all(servers):  # noqa: F811
    first, second = servers(), servers()
    with first.app_context():
        library = accounts.create_library("SRV-ADM", "停用测试馆")
        admin = accounts.create_user(f"boss@{DOMAIN}", library, "admin", PASSWORD)
        user = accounts.create_user(f"leaver@{DOMAIN}", library, "contributor", PASSWORD)
        _token, secret = tokens.create_token(admin, user, "sync")
        admin_id, user_id, email = admin.id, user.id, user.email
        db.session.remove()
    try:
        there = browser(second)
        assert try_password(there, email, PASSWORD).status_code == 302
        assert signed_in(there)
        api = {"Authorization": f"Bearer {secret}"}
        assert browser(second).get("/api/records/none", headers=api).status_code == 404

        with first.app_context():
            admin, user = db.session.get(type(admin), admin_id), db.session.get(type(user), user_id)
            administration.update_user(
                admin, user, name=user.name, role="contributor", active=False, reviews=[]
            )
            db.session.remove()

        assert not signed_in(there)
        assert browser(second).get("/api/records/none", headers=api).status_code == 401
        assert try_password(browser(second), email, PASSWORD).status_code == 401
    finally:
        with first.app_context():
            db.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
            written_here = (AuditEntry.actor_label.like(f"%@{DOMAIN}")) | (
                AuditEntry.target_label.in_([f"boss@{DOMAIN}", email, "SRV-ADM", "sync"])
            )
            db.session.execute(delete(AuditEntry).where(written_here))
            db.session.commit()
            db.session.remove()
