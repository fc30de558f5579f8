"""What a check or a run found is shown in the reader's language: a Chinese administrator reads
Chinese on the source and run pages, an English one English, and both read the address and what
came back; rows stored before messages were kept as msgid and parameters still show their text."""

from __future__ import annotations

import pytest

from harvest.runs import check_source
from repository.extensions import db
from repository.messages import Message
from repository.models import User
from repository.models.harvest import HarvestRun, SourceCheck
from repository.models.jobs import JobState
from repository.services import accounts
from tests.factories import PASSWORD
from tests.harvest.faulty import Answer, dc_record, identify, list_records
from tests.harvest.running import run_now

ZH, EN = "?lang=zh_Hans_CN", "?lang=en"


@pytest.fixture
def admin(make_library) -> User:
    home = make_library("ALLY", "联盟中心")
    return accounts.create_user(
        "chief@alliance.example.org", home, "admin", PASSWORD, alliance_admin=True
    )


def _page(browser, path: str, lang: str) -> str:
    response = browser.get(path + lang)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_failed_check_reads_in_the_readers_language(faulty, make_source, login, admin):
    faulty.route("/oai", Answer("<html><body>Maintenance</body></html>", 200, "text/html"))
    source = make_source(f"{faulty.url}/oai")
    check_source(source.id)
    db.session.expire_all()
    assert source.check_state is SourceCheck.FAILED
    browser = login(admin)
    path = f"/admin/sources/{source.slug}"
    chinese = _page(browser, path, ZH)
    assert f"{faulty.url}/oai?verb=Identify：返回的是 HTML 页面，而不是 OAI-PMH XML" in chinese
    assert "Maintenance" in chinese
    english = _page(browser, path, EN)
    assert "an HTML page came back instead of OAI-PMH XML" in english
    assert "Maintenance" in english and "返回的是" not in english


def test_a_passed_check_reads_in_the_readers_language(faulty, make_source, login, admin):
    faulty.route(
        "/oai",
        lambda q: identify() if q.get("verb") == "Identify" else list_records([dc_record("a")]),
    )
    source = make_source(f"{faulty.url}/oai")
    check_source(source.id)
    browser = login(admin)
    path = f"/admin/sources/{source.slug}"
    assert "正常：Crafted repository（时间粒度" in _page(browser, path, ZH)
    assert "the first page has 1 records" in _page(browser, path, EN)


def test_a_failed_run_and_its_errors_read_in_the_readers_language(
    faulty, make_source, login, admin
):
    def answer(query: dict) -> Answer:
        if query.get("resumptionToken") == "next":
            return Answer("<html>Server down</html>", 500, "text/html")
        return list_records([dc_record("a", title=None), dc_record("b")], "next")

    faulty.route("/oai", answer)
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.FAILED and run.created == 2
    assert "HTTP 500 instead of OAI-PMH" in run.message  # English for the CLI and the logs
    browser = login(admin)
    for path in (
        f"/admin/sources/{source.slug}",
        f"/admin/sources/{source.slug}/runs/{run.public_id}",
    ):
        chinese = _page(browser, path, ZH)
        assert "resumptionToken=next：返回 HTTP 500，而不是 OAI-PMH（" in chinese
        assert "Server down" in chinese
        assert "该记录没有题名，已以占位题名保存" in chinese
        english = _page(browser, path, EN)
        assert "HTTP 500 instead of OAI-PMH" in english and "Server down" in english
        assert "the record has no title; stored under a placeholder title" in english
        assert "没有题名" not in english


def test_a_stored_run_error_reads_in_both_languages(faulty, make_source):
    faulty.route(
        "/oai", lambda q: list_records([dc_record("x", title="One"), dc_record("x", title="Two")])
    )
    run = run_now(make_source(f"{faulty.url}/oai"))
    assert run.state is JobState.SUCCEEDED
    [error] = run.error_list
    assert error["where"] == "x"
    assert str(error["message"]).startswith("the identifier appears more than once")
    assert error["message"].localized("zh_Hans_CN") == "同一响应中该标识符出现多次，已保存最后一条"
    assert run.errors[0]["message"] == {
        "msgid": "the identifier appears more than once in one answer; the last one was stored"
    }


def test_rows_written_as_plain_text_still_show(make_source, login, admin):
    source = make_source("https://oai.example.org/oai")
    source.check_state = SourceCheck.FAILED
    source.check_message = "https://oai.example.org/oai: no answer in time (ReadTimeout)"
    run = HarvestRun(
        source=source,
        state=JobState.FAILED,
        message="Stopped on request. 已按要求停止。",
        errors=[{"where": "oai:old:1", "message": "an empty or over-long identifier; not stored"}],
    )
    db.session.add(run)
    db.session.commit()
    browser = login(admin)
    for lang in (ZH, EN):
        page = _page(browser, f"/admin/sources/{source.slug}", lang)
        assert "no answer in time (ReadTimeout)" in page
        assert "Stopped on request. 已按要求停止。" in page
        assert "an empty or over-long identifier; not stored" in page


def test_a_message_the_text_column_no_longer_matches_is_not_shown(make_source):
    """Code that writes only the text (or a row edited by hand) shows that text, not an older
    message left in the JSON column."""
    source = make_source("https://oai.example.org/oai")
    source.set_check_message(None)
    run = HarvestRun(source=source, state=JobState.FAILED)
    run.set_message(Message("Stopped on request."))
    assert run.message_text.localized("zh_Hans_CN") == "已按要求停止。"
    run.message = "incomplete"
    assert run.message_text.localized("zh_Hans_CN") == "incomplete"
