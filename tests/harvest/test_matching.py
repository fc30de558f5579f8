"""Harvested records that describe a contributed record are matched to it, both ways round."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from harvest.runs import request_run
from repository.extensions import db
from repository.models import IndexTask
from repository.models.harvest import HarvestedKey, HarvestedRecord, HarvestRun
from repository.services import records
from tests.harvest.faulty import Answer, dc_record, identify, list_records


@pytest.fixture(autouse=True)
def outbox_kept(app, monkeypatch):
    """Leave the search outbox unapplied, to see the rows harvesting writes with it."""
    monkeypatch.setitem(app.config, "SEARCH_APPLY_ON_COMMIT", False)


@pytest.fixture
def endpoint(faulty):
    """An endpoint whose records the test sets (``endpoint["records"]``)."""
    state: dict[str, list[str]] = {"records": []}

    def answer(query: dict[str, str]) -> Answer:
        if query.get("verb") == "Identify":
            return identify()
        return list_records(state["records"])

    faulty.route("/oai", answer)
    return state


def _harvest(source) -> HarvestRun:
    run = request_run(source, full=True)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(HarvestRun, run.id)


def _queued(public_id: str) -> list[str]:
    return list(
        db.session.scalars(
            select(IndexTask.action)
            .where(IndexTask.record_public_id == public_id)
            .order_by(IndexTask.id)
        )
    )


def _harvested(identifier: str) -> HarvestedRecord:
    return db.session.scalar(
        select(HarvestedRecord).where(HarvestedRecord.identifier == identifier)
    )


def test_a_harvested_record_matches_a_published_record_of_the_same_name(
    faulty, endpoint, make_source, make_collection, make_record
):
    contributed = make_record(make_collection("generic"), title="吉林通志")
    endpoint["records"] = [
        dc_record("x:1", title="吉林通誌", extra="<dc:coverage>吉林</dc:coverage>"),
        dc_record("x:2", title="长白山江岗志略"),
    ]
    source = make_source(f"{faulty.url}/oai")
    assert _harvest(source).created == 2

    same = _harvested("x:1")
    assert same.matched_record_id == contributed.id
    assert _harvested("x:2").matched_record_id is None
    assert _queued(same.public_id) == ["upsert"]
    assert "upsert" in _queued(contributed.public_id)  # its document now carries the origin
    keys = set(
        db.session.execute(
            select(HarvestedKey.kind, HarvestedKey.key).where(HarvestedKey.harvested_id == same.id)
        ).all()
    )
    assert keys == {("name", "吉林通志"), ("place", "吉林")}

    # Deleted at the source: the match ends, the contributed record is indexed again.
    db.session.execute(db.delete(IndexTask))
    endpoint["records"] = [dc_record("x:1", "2026-02-01T00:00:00Z", deleted=True)]
    assert _harvest(source).deleted == 1
    assert _harvested("x:1").matched_record_id is None
    assert _queued(same.public_id) == ["delete"]
    assert _queued(contributed.public_id) == ["upsert"]


def test_a_contributed_record_saved_later_matches_and_an_edit_unmatches(
    faulty, endpoint, make_source, make_collection, make_record, make_user
):
    endpoint["records"] = [dc_record("x:1", title="鸡林旧闻录")]
    source = make_source(f"{faulty.url}/oai")
    _harvest(source)
    assert _harvested("x:1").matched_record_id is None

    contributed = make_record(make_collection("generic"), title="鸡林旧闻录")
    db.session.expire_all()
    assert _harvested("x:1").matched_record_id == contributed.id

    admin = make_user("admin", library=contributed.library)
    records.update_record(admin, contributed, {**contributed.metadata_, "title": "吉林外记"})
    from ingest.duplicates import flag_possible_duplicates

    flag_possible_duplicates(contributed)  # what a save through the form or API does
    db.session.expire_all()
    assert _harvested("x:1").matched_record_id is None
