"""OAI-PMH endpoints that misbehave, served by a real HTTP server on 127.0.0.1.

Each fault ends the run with a message naming the address, or is handled record by record; in
every case what was harvested before is intact and another source still harvests.
"""

from __future__ import annotations

from sqlalchemy import func, select

from repository.extensions import db
from repository.models.harvest import HarvestedRecord, HarvestSource
from repository.models.jobs import JobState
from tests.harvest.faulty import Answer, dc_record, identify, list_records, oai_error
from tests.harvest.running import run_now


def _titles(source: HarvestSource) -> dict[str, str]:
    rows = db.session.execute(
        select(HarvestedRecord.identifier, HarvestedRecord.title).where(
            HarvestedRecord.source_id == source.id, HarvestedRecord.deleted.is_(False)
        )
    )
    return dict(rows.all())


def _two_pages(faulty, second: Answer, path: str = "/oai") -> None:
    """Page 1 has records a and b and the token t1; t1 gives ``second``."""

    def answer(query: dict[str, str]) -> Answer:
        if query.get("verb") == "Identify":
            return identify()
        if query.get("resumptionToken") == "t1":
            return second
        return list_records([dc_record("a", title="Alpha"), dc_record("b", title="Beta")], "t1")

    faulty.route(path, answer)


def _healthy(faulty, path: str = "/good") -> None:
    faulty.route(
        path,
        lambda q: identify() if q.get("verb") == "Identify" else list_records([dc_record("g")]),
    )


def _assert_other_source_harvests(faulty, make_source, library) -> None:
    _healthy(faulty)
    other = make_source(f"{faulty.url}/good", library=library)
    run = run_now(other)
    assert run.state is JobState.SUCCEEDED
    assert _titles(other) == {"g": "A title"}


def test_malformed_xml_fails_the_run_naming_the_address_and_keeps_page_one(faulty, make_source):
    _two_pages(faulty, Answer("<OAI-PMH><ListRecords><record><header>oops</ListRecords>"))
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.FAILED
    assert "not well-formed XML" in run.message
    assert f"{faulty.url}/oai?verb=ListRecords&resumptionToken=t1" in run.message
    assert _titles(source) == {"a": "Alpha", "b": "Beta"}
    assert run.created == 2 and run.pages == 1 and run.resume_from == "t1"
    assert source.cursor == ""  # a failed run does not move the cursor
    _assert_other_source_harvests(faulty, make_source, source.library)


def test_an_html_error_page_fails_the_run_saying_what_came_back(faulty, make_source):
    page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"
    _two_pages(faulty, Answer(page, content_type="text/html"))
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.FAILED
    assert "an HTML page came back instead of OAI-PMH XML" in run.message
    assert "502 Bad Gateway" in run.message
    assert _titles(source) == {"a": "Alpha", "b": "Beta"}


def test_an_endpoint_timing_out_mid_list_fails_the_run_and_keeps_page_one(faulty, make_source):
    _two_pages(faulty, Answer(list_records([dc_record("c")]).body, delay=3.5))
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.FAILED
    assert "no answer in time" in run.message and "resumptionToken=t1" in run.message
    assert _titles(source) == {"a": "Alpha", "b": "Beta"}
    _assert_other_source_harvests(faulty, make_source, source.library)


def test_an_expired_token_restarts_the_listing_without_duplicates(faulty, make_source):
    refused = []

    def second(query: dict[str, str]) -> Answer:
        if not refused:
            refused.append(True)
            return oai_error("badResumptionToken", "The token has expired")
        return list_records([dc_record("c", title="Gamma")])

    def answer(query: dict[str, str]) -> Answer:
        if query.get("verb") == "Identify":
            return identify()
        if query.get("resumptionToken") == "t1":
            return second(query)
        return list_records([dc_record("a", title="Alpha"), dc_record("b", title="Beta")], "t1")

    faulty.route("/oai", answer)
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.SUCCEEDED, run.message
    assert _titles(source) == {"a": "Alpha", "b": "Beta", "c": "Gamma"}
    assert (run.created, run.updated) == (3, 0)
    assert any("started again" in error["message"] for error in run.error_list)
    count = db.session.scalar(select(func.count()).where(HarvestedRecord.source_id == source.id))
    assert count == 3


def test_duplicate_identifiers_in_one_answer_store_the_last_once(faulty, make_source):
    faulty.route(
        "/oai",
        lambda q: (
            identify()
            if q.get("verb") == "Identify"
            else list_records([dc_record("a", title="First"), dc_record("a", title="Second")])
        ),
    )
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.SUCCEEDED
    assert _titles(source) == {"a": "Second"}
    assert run.created == 1
    assert any("more than once" in error["message"] for error in run.error_list)


def test_a_day_granularity_endpoint_is_sent_from_as_a_day(faulty, make_source):
    asked = []

    def answer(query: dict[str, str]) -> Answer:
        if query.get("verb") == "Identify":
            return identify("YYYY-MM-DD")
        asked.append(query.get("from"))
        if query.get("from") and len(query["from"]) != 10:
            return oai_error("badArgument", "from has the wrong granularity")
        return list_records([dc_record("a", "2026-03-04")])

    faulty.route("/oai", answer)
    source = make_source(f"{faulty.url}/oai", cursor="2026-03-01T10:11:12Z")
    run = run_now(source)
    assert run.state is JobState.SUCCEEDED, run.message
    assert asked == ["2026-03-01"]
    assert source.cursor == "2026-03-04"


def test_records_without_title_or_with_a_huge_description_are_stored_with_warnings(
    faulty, make_source, app, monkeypatch
):
    monkeypatch.setitem(app.config, "HARVEST_MAX_DESCRIPTION", 1000)
    faulty.route(
        "/oai",
        lambda q: (
            identify()
            if q.get("verb") == "Identify"
            else list_records(
                [
                    dc_record("oai:x:untitled", title=None, date="1931-05"),
                    dc_record("long", description="长" * 5000),
                ]
            )
        ),
    )
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.SUCCEEDED
    assert run.created == 2 and run.failed == 0
    untitled = db.session.scalar(
        select(HarvestedRecord).where(HarvestedRecord.identifier == "oai:x:untitled")
    )
    assert untitled.title == "[Untitled: oai:x:untitled]"
    assert (untitled.year_start, untitled.year_end) == (1931, 1931)
    assert untitled.original_url == "https://example.org/items/oai:x:untitled"
    long = db.session.scalar(select(HarvestedRecord).where(HarvestedRecord.identifier == "long"))
    assert len(long.metadata_["description"]) == 1001
    messages = {error["where"]: error["message"] for error in run.error_list}
    assert "no title" in messages["oai:x:untitled"]
    assert "cut to 1000" in messages["long"]


def test_a_redirect_to_another_host_is_refused(faulty, make_source):
    faulty.route(
        "/oai",
        Answer("", status=302, headers={"Location": "http://localhost:9/elsewhere"}),
    )
    source = make_source(f"{faulty.url}/oai", cursor="2026-01-01")
    run = run_now(source)
    assert run.state is JobState.FAILED
    assert "localhost is neither the source's host nor in HARVEST_ALLOWED_HOSTS" in run.message


def test_the_same_page_forever_is_stopped_by_the_loop_guard(faulty, make_source):
    faulty.route(
        "/oai",
        lambda q: (
            identify()
            if q.get("verb") == "Identify"
            else list_records([dc_record("a", title="Alpha")], "again")
        ),
    )
    source = make_source(f"{faulty.url}/oai")
    run = run_now(source)
    assert run.state is JobState.FAILED
    assert "the same resumption token again (again)" in run.message
    assert _titles(source) == {"a": "Alpha"}
    assert len(faulty.requests) < 5


def test_deleted_headers_mark_records_deleted(faulty, make_source):
    pages = {"n": 0}

    def answer(query: dict[str, str]) -> Answer:
        if query.get("verb") == "Identify":
            return identify()
        pages["n"] += 1
        if pages["n"] == 1:
            return list_records([dc_record("a"), dc_record("b")])
        return list_records([dc_record("a", "2026-02-01T00:00:00Z", deleted=True)])

    faulty.route("/oai", answer)
    source = make_source(f"{faulty.url}/oai")
    assert run_now(source).created == 2
    second = run_now(source)
    assert (second.created, second.updated, second.deleted) == (0, 0, 1)
    assert set(_titles(source)) == {"b"}
    assert source.cursor == "2026-02-01T00:00:00Z"


def test_a_redirect_within_the_source_host_is_followed(faulty, make_source):
    faulty.route("/old-oai", Answer("", status=301, headers={"Location": f"{faulty.url}/oai"}))
    _healthy(faulty, "/oai")
    source = make_source(f"{faulty.url}/old-oai")
    run = run_now(source)
    assert run.state is JobState.SUCCEEDED, run.message
    assert _titles(source) == {"g": "A title"}
