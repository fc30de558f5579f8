"""The address guard, and a run taken up after its worker died."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from harvest.addresses import AddressRefused, check_url, is_public
from harvest.runs import request_run
from repository import tasks
from repository.extensions import db
from repository.models.base import utcnow
from repository.models.harvest import HarvestedRecord, HarvestRun, SourceCheck
from repository.models.jobs import JobState
from tests.harvest.faulty import Answer, dc_record, identify, list_records


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/oai",
        "http://192.168.0.10/oai",
        "http://127.0.0.1:8080/oai",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/oai",
        "http://localhost/oai",
    ],
)
def test_private_and_loopback_addresses_are_refused_unless_allowed(app, monkeypatch, url):
    monkeypatch.setitem(app.config, "HARVEST_ALLOW_PRIVATE_ADDRESSES", [])
    with pytest.raises(AddressRefused, match="private, loopback, link-local or reserved"):
        check_url(url)


def test_an_allowed_host_and_other_schemes(app, monkeypatch):
    monkeypatch.setitem(app.config, "HARVEST_ALLOW_PRIVATE_ADDRESSES", ["127.0.0.1"])
    check_url("http://127.0.0.1:8080/oai")
    with pytest.raises(AddressRefused):
        check_url("http://10.0.0.1/oai")
    with pytest.raises(AddressRefused, match="only http and https"):
        check_url("file:///etc/passwd")
    with pytest.raises(AddressRefused, match="HARVEST_ALLOWED_HOSTS"):
        check_url("http://127.0.0.1/oai", hosts={"example.org"})
    assert is_public("93.184.216.34") and not is_public("::ffff:10.0.0.1")


def test_a_source_on_a_refused_address_fails_its_check_with_the_reason(
    app, monkeypatch, make_source
):
    monkeypatch.setitem(app.config, "HARVEST_ALLOW_PRIVATE_ADDRESSES", [])
    from harvest.runs import request_check

    source = make_source("http://192.168.1.20/oai")
    request_check(source)
    db.session.commit()
    db.session.refresh(source)
    assert source.check_state is SourceCheck.FAILED
    assert "192.168.1.20" in source.check_message
    assert "HARVEST_ALLOW_PRIVATE_ADDRESSES" in source.check_message


def test_a_check_of_a_working_endpoint_says_what_it_found(faulty, make_source):
    from harvest.runs import request_check

    faulty.route(
        "/oai",
        lambda q: identify() if q.get("verb") == "Identify" else list_records([dc_record("a")]),
    )
    source = make_source(f"{faulty.url}/oai")
    request_check(source)
    db.session.commit()
    db.session.refresh(source)
    assert source.check_state is SourceCheck.OK
    assert "Crafted repository" in source.check_message
    assert source.checked_at is not None


def test_a_run_whose_lease_ran_out_is_taken_up_and_goes_on_from_resume_from(faulty, make_source):
    def answer(query: dict[str, str]) -> Answer:
        if query.get("verb") == "Identify":
            return identify()
        if query.get("resumptionToken") == "t1":
            return list_records([dc_record("c"), dc_record("d")])
        return list_records([dc_record("a"), dc_record("b")], "t1")

    faulty.route("/oai", answer)
    source = make_source(f"{faulty.url}/oai")
    # A worker stored page 1 (a, b), noted t1, and died: its run is under way, its lease gone.
    run = request_run(source, enqueue=False)
    db.session.flush()
    db.session.add_all(
        [
            HarvestedRecord(source_id=source.id, identifier=key, title=key.upper())
            for key in ("a", "b")
        ]
    )
    run.state = JobState.RUNNING
    run.attempts = 1
    run.started_at = utcnow() - timedelta(minutes=5)
    run.lease_holder = "dead-host:1"
    run.lease_expires_at = utcnow() - timedelta(minutes=1)
    run.resume_from = "t1"
    run.pages = 1
    run.created = 2
    db.session.commit()
    faulty.requests.clear()

    counts = tasks.recover_kind(tasks._kinds["harvest"], set())

    assert counts["requeued"] == 1
    db.session.expire_all()
    run = db.session.get(HarvestRun, run.id)
    assert run.state is JobState.SUCCEEDED, run.message
    assert (run.pages, run.created, run.updated) == (2, 4, 0)
    assert all("resumptionToken=t1" in path for path in faulty.requests)
    identifiers = db.session.scalars(
        select(HarvestedRecord.identifier).where(HarvestedRecord.source_id == source.id)
    ).all()
    assert sorted(identifiers) == ["a", "b", "c", "d"]
    assert db.session.scalar(select(func.count()).select_from(HarvestRun)) == 1


def test_asking_twice_gives_the_run_under_way(faulty, make_source):
    source = make_source(f"{faulty.url}/oai")
    first = request_run(source, enqueue=False)
    db.session.flush()
    assert request_run(source, full=True, enqueue=False) is first


@pytest.mark.parametrize("length_known", [True, False])
def test_an_answer_larger_than_the_cap_is_refused_unread(
    app, monkeypatch, faulty, make_source, length_known
):
    monkeypatch.setitem(app.config, "HARVEST_MAX_RESPONSE_BYTES", 10_000)
    body = list_records([dc_record(f"r{n}") for n in range(200)]).body
    faulty.route(
        "/oai",
        lambda q: (
            identify() if q.get("verb") == "Identify" else Answer(body, length_known=length_known)
        ),
    )
    source = make_source(f"{faulty.url}/oai")
    run = request_run(source, full=True)
    db.session.commit()
    db.session.refresh(run)
    assert run.state is JobState.FAILED
    assert "longer than 10000 bytes" in run.message or "more than 10000" in run.message
    assert run.created == 0
