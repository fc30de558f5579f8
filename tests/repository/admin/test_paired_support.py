"""Paired support (结对扶持): a helper library works for a partner library within the granted
collections, until the grant expires or is revoked; never outside it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from repository import permissions
from repository.extensions import db
from repository.models import Record, RecordRevision, RecordStatus
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


# --- records made on the partner's behalf ---------------------------------------------------

ICH = {
    "title": "长白山满族剪纸",
    "category": "传统美术",
    "level": "省级",
    "batch_year": "2009",
    "region": "吉林省白山市长白朝鲜族自治县",
}


def _in_force(alliance_admin, pair) -> SupportGrant:
    return support.grant_support(
        alliance_admin, pair["helper"], pair["partner"], [pair["granted"]], utcnow() + timedelta(1)
    )


def _new_form(browser, pair, local_id: str, library: str, collection=None):
    slug = (collection or pair["granted"]).slug
    fields = {**ICH, "local_id": local_id, "library": library}
    return submit_form(browser, f"/workspace/collections/{slug}/records/new?lang=en", fields)


def _api_create(client, user, pair, local_id: str, library: str | None, collection=None):
    from tests.ingest.api_client import issue_token  # the API's own test helper makes tokens

    slug = (collection or pair["granted"]).slug
    body = {"metadata": {**ICH, "local_id": local_id}}
    if library is not None:
        body["library"] = library
    return client.post(
        f"/api/collections/{slug}/records",
        json=body,
        headers={"Authorization": f"Bearer {issue_token(user)}", "Accept-Language": "en"},
    )


def _record(local_id: str) -> Record | None:
    return db.session.scalar(select(Record).where(Record.local_id == local_id))


def test_the_helper_makes_a_record_for_the_partner_through_the_form(login, alliance_admin, pair):
    helper = pair["helper_user"]
    helper.name = "王晓梅"
    db.session.commit()
    _in_force(alliance_admin, pair)
    browser = login(helper)
    page = browser.get(f"/workspace/collections/{pair['granted'].slug}/records/new?lang=en")
    html = page.get_data(as_text=True)
    assert 'name="library"' in html and 'value="JL-CB"' in html
    # In a collection outside the grant the helper has only their own library: no choice shown.
    elsewhere = browser.get(f"/workspace/collections/{pair['other'].slug}/records/new")
    assert 'name="library"' not in elsewhere.get_data(as_text=True)

    response = _new_form(browser, pair, "CB-JZ-1", "JL-CB")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    record = _record("CB-JZ-1")
    assert record.library_id == pair["partner"].id
    assert {c.library_id for c in record.contributors} == {pair["helper"].id}
    assert record.created_by_id == helper.id
    revision = record.revisions[0]
    assert revision.acting_for_library_id == pair["partner"].id

    history = browser.get(f"/workspace/records/{record.public_id}/history?lang=zh").get_data(
        as_text=True
    )
    assert "王晓梅" in history and "吉林省图书馆" in history and "长白县图书馆" in history
    assert "王晓梅（吉林省图书馆）代 长白县图书馆" in history

    # An edit by the helper says so too; the partner's own staff edit as themselves.
    assert (
        submit_form(
            browser,
            f"/workspace/records/{record.public_id}/edit",
            {**ICH, "local_id": "CB-JZ-1", "title": "长白山满族剪纸（补）"},
        ).status_code
        == 302
    )
    own = login(pair["partner_user"], separate=True)
    assert (
        submit_form(
            own,
            f"/workspace/records/{record.public_id}/edit",
            {**ICH, "local_id": "CB-JZ-1", "title": "长白满族剪纸"},
        ).status_code
        == 302
    )
    db.session.expire_all()
    revisions = sorted(_record("CB-JZ-1").revisions, key=lambda r: r.number)
    assert [r.acting_for_library_id for r in revisions] == [
        pair["partner"].id,
        pair["partner"].id,
        None,
    ]
    # Choosing one's own library (or nothing) makes an ordinary record of one's own.
    assert _new_form(browser, pair, "SL-1", "JL-SL").status_code == 302
    mine = _record("SL-1")
    assert mine.library_id == pair["helper"].id and not mine.contributors
    assert mine.revisions[0].acting_for_library_id is None


def test_the_form_refuses_a_partner_outside_the_grant_and_writes_nothing(
    login, alliance_admin, pair, make_library
):
    make_library("JL-YB", "延边州图书馆")
    browser = login(pair["helper_user"])
    no_grant = _new_form(browser, pair, "CB-X-1", "JL-CB")
    assert no_grant.status_code == 403
    assert "no paired support in force for JL-CB" in no_grant.get_data(as_text=True)

    grant = _in_force(alliance_admin, pair)
    outside = _new_form(browser, pair, "CB-X-2", "JL-CB", collection=pair["other"])
    assert outside.status_code == 403
    assert "no paired support in force for JL-CB" in outside.get_data(as_text=True)
    other_library = _new_form(browser, pair, "CB-X-3", "JL-YB")
    assert other_library.status_code == 403
    unknown = _new_form(browser, pair, "CB-X-4", "NOPE")
    assert unknown.status_code == 422
    assert "no member library has the code NOPE" in unknown.get_data(as_text=True)

    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _new_form(browser, pair, "CB-X-5", "JL-CB").status_code == 403
    again = _in_force(alliance_admin, pair)
    support.revoke_support(alliance_admin, again.id)
    zh = submit_form(
        browser,
        f"/workspace/collections/{pair['granted'].slug}/records/new?lang=zh",
        {**ICH, "local_id": "CB-X-6", "library": "JL-CB"},
    )
    assert zh.status_code == 403 and "没有对 JL-CB 生效的结对扶持授权" in zh.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Record.id))) == 0
    assert db.session.scalar(select(func.count(RecordRevision.id))) == 0


def test_the_helper_makes_a_record_for_the_partner_through_the_api(client, alliance_admin, pair):
    helper = pair["helper_user"]
    refused = _api_create(client, helper, pair, "CB-API-1", "JL-CB")
    assert refused.status_code == 403
    assert refused.get_json()["errors"]["library"][0]["zh"].startswith("本馆在此专题库没有对 JL-CB")
    _in_force(alliance_admin, pair)
    outside = _api_create(client, helper, pair, "CB-API-2", "JL-CB", collection=pair["other"])
    assert outside.status_code == 403 and "library" in outside.get_json()["errors"]
    unknown = _api_create(client, helper, pair, "CB-API-3", "NOPE")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"]["library"][0]["en"] == "no member library has the code NOPE"
    assert _api_create(client, helper, pair, "CB-API-4", "").status_code == 422
    assert db.session.scalar(select(func.count(Record.id))) == 0

    created = _api_create(client, helper, pair, "CB-API-5", "JL-CB")
    assert created.status_code == 201, created.get_json()
    record = _record("CB-API-5")
    assert record.library_id == pair["partner"].id
    assert [c.library_id for c in record.contributors] == [pair["helper"].id]
    assert record.revisions[0].acting_for_library_id == pair["partner"].id
    # The partner's own local identifiers are the ones that must not clash.
    clash = _api_create(client, helper, pair, "CB-API-5", "JL-CB")
    assert clash.status_code == 409
    # Without ``library`` the record is the token's library's own, as before.
    own = _api_create(client, helper, pair, "CB-API-5", None)
    assert own.status_code == 201
    assert _record_of(pair["helper"], "CB-API-5").revisions[0].acting_for_library_id is None


def _record_of(library, local_id: str) -> Record:
    return db.session.scalar(
        select(Record).where(Record.library_id == library.id, Record.local_id == local_id)
    )


def test_the_helpers_workspace_lists_the_partners_records_in_the_granted_collections(
    login, alliance_admin, pair, make_record
):
    make_record(pair["granted"], pair["partner_user"], status=RecordStatus.DRAFT, title="农乐舞甲")
    make_record(pair["other"], pair["partner_user"], status=RecordStatus.DRAFT, title="红松乙")
    make_record(pair["granted"], pair["helper_user"], status=RecordStatus.DRAFT, title="本馆丙")
    browser = login(pair["helper_user"])

    def listed() -> set[str]:
        html = browser.get("/workspace/").get_data(as_text=True)
        return {title for title in ("农乐舞甲", "红松乙", "本馆丙") if title in html}

    assert listed() == {"本馆丙"}
    grant = _in_force(alliance_admin, pair)
    assert listed() == {"本馆丙", "农乐舞甲"}
    support.revoke_support(alliance_admin, grant.id)
    assert listed() == {"本馆丙"}
