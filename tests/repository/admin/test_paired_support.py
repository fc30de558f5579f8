"""Paired support (结对扶持): a helper library works for a partner library within the granted
collections, until the grant expires or is revoked; never outside it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from repository import permissions
from repository.extensions import db
from repository.models import RecordStatus
from repository.models.accounts import SupportGrant
from repository.models.audit import AuditEntry
from repository.models.base import utcnow
from repository.services import support
from tests.conftest import csrf_token_from, submit_form


@pytest.fixture
def pair(make_library, make_user, make_collection):
    helper = make_library("JL-SL", "吉林省图书馆")
    partner = make_library("JL-CB", "长白县图书馆")
    return {
        "helper": helper,
        "partner": partner,
        "helper_user": make_user("contributor", library=helper),
        "partner_user": make_user("contributor", library=partner),
        "granted": make_collection("ich"),
        "other": make_collection("natural_history"),
    }


def _grant_form(pair, **extra) -> dict:
    return {
        "helper": "JL-SL",
        "partner": "JL-CB",
        "collections": [pair["granted"].slug],
        "days": "30",
        "note": "数字化帮扶",
        **extra,
    }


def test_an_alliance_admin_grants_support_and_the_helper_works_for_the_partner(
    login, alliance_admin, pair, make_record
):
    draft = make_record(pair["granted"], pair["partner_user"], status=RecordStatus.DRAFT)
    elsewhere = make_record(pair["other"], pair["partner_user"], status=RecordStatus.DRAFT)
    helper_browser = login(pair["helper_user"], separate=True)
    edit = f"/workspace/records/{draft.public_id}/edit"
    assert helper_browser.get(edit).status_code in (403, 404)  # no grant yet

    response = submit_form(login(alliance_admin), "/admin/support", _grant_form(pair))
    assert response.status_code == 302
    grant = db.session.scalar(select(SupportGrant))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "support.grant"))
    assert entry.after["helper"] == "JL-SL" and entry.after["partner"] == "JL-CB"
    assert entry.library_id == pair["partner"].id

    helper = pair["helper_user"]
    assert permissions.acting_for(helper, pair["partner"], pair["granted"]) == pair["partner"]
    assert permissions.can_edit(helper, draft)
    assert helper_browser.get(edit).status_code == 200
    # Outside the granted collections nothing changes.
    assert permissions.acting_for(helper, pair["partner"], pair["other"]) is None
    assert not permissions.can_edit(helper, elsewhere)
    assert helper_browser.get(f"/workspace/records/{elsewhere.public_id}/edit").status_code in (
        403,
        404,
    )
    # The grant works one way only.
    assert permissions.acting_for(pair["partner_user"], pair["helper"], pair["granted"]) is None
    assert grant.in_force(utcnow())


def test_an_expired_or_revoked_grant_stops_the_helper(login, alliance_admin, pair, make_record):
    draft = make_record(pair["granted"], pair["partner_user"], status=RecordStatus.DRAFT)
    helper = pair["helper_user"]
    grant = support.grant_support(
        alliance_admin,
        pair["helper"],
        pair["partner"],
        [pair["granted"]],
        utcnow() + timedelta(days=1),
    )
    assert permissions.can_edit(helper, draft)
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not permissions.can_edit(helper, draft)

    again = support.grant_support(
        alliance_admin,
        pair["helper"],
        pair["partner"],
        [pair["granted"]],
        utcnow() + timedelta(days=1),
    )
    assert permissions.can_edit(helper, draft)
    chief = login(alliance_admin)
    csrf = csrf_token_from(chief, "/admin/support")
    assert (
        chief.post(f"/admin/support/{again.id}/revoke", data={"csrf_token": csrf}).status_code
        == 302
    )
    assert not permissions.can_edit(helper, draft)
    assert login(helper, separate=True).get(
        f"/workspace/records/{draft.public_id}/edit"
    ).status_code in (403, 404)
    revoked = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "support.revoke"))
    assert revoked.actor_id == alliance_admin.id


def test_bad_grants_are_refused_naming_the_field(login, alliance_admin, pair):
    chief = login(alliance_admin)
    itself = submit_form(chief, "/admin/support?lang=en", _grant_form(pair, partner="JL-SL"))
    assert itself.status_code == 422 and "a library cannot support itself" in itself.get_data(
        as_text=True
    )
    none = submit_form(chief, "/admin/support?lang=en", _grant_form(pair, collections=[]))
    assert none.status_code == 422 and "choose at least one collection" in none.get_data(
        as_text=True
    )
    too_long = submit_form(chief, "/admin/support?lang=en", _grant_form(pair, days="400"))
    assert too_long.status_code == 422
    unknown = submit_form(chief, "/admin/support?lang=en", _grant_form(pair, helper="NOPE"))
    assert unknown.status_code == 422
    assert db.session.scalar(select(SupportGrant)) is None


def test_a_library_admin_sees_grants_but_cannot_make_them(login, library_admin, pair):
    browser = login(library_admin)
    assert browser.get("/admin/support").status_code == 200
    csrf = csrf_token_from(browser, "/admin/support")
    browser.post("/admin/support", data={"csrf_token": csrf, **_grant_form(pair)})
    assert db.session.scalar(select(SupportGrant)) is None
