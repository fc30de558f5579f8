"""IIIF sources that misbehave, and the schedule of runs."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from harvest.runs import request_due_runs
from repository.extensions import db
from repository.models.base import utcnow
from repository.models.harvest import HarvestedRecord, HarvestRun, SourceKind
from repository.models.jobs import JobState
from tests.harvest.faulty import Answer
from tests.harvest.running import run_now


def _json(document: dict) -> Answer:
    return Answer(json.dumps(document), content_type="application/ld+json")


def _manifest(url: str, label: str) -> Answer:
    return _json(
        {
            "id": url,
            "type": "Manifest",
            "label": {"zh": [label], "en": [f"{label} (en)"]},
            "summary": {"zh": ["摘要"]},
            "metadata": [
                {"label": {"en": ["Creator"]}, "value": {"zh": ["作者甲"]}},
                {"label": {"zh": ["日期"]}, "value": {"none": ["1931"]}},
            ],
            "thumbnail": [{"id": f"{url}/thumb.jpg", "type": "Image"}],
            "homepage": [{"id": f"{url}/page", "type": "Text"}],
        }
    )


def test_nested_collections_with_a_cycle_are_walked_once_and_a_broken_manifest_fails_alone(
    faulty, make_source
):
    top, child = f"{faulty.url}/top", f"{faulty.url}/child"
    faulty.route(
        "/top",
        _json(
            {
                "id": top,
                "type": "Collection",
                "items": [
                    {"id": child, "type": "Collection"},
                    {"id": f"{faulty.url}/m/1", "type": "Manifest"},
                ],
            }
        ),
    )
    faulty.route(
        "/child",
        _json(
            {
                "id": child,
                "type": "Collection",
                "items": [
                    {"id": top, "type": "Collection"},  # back to the top: a cycle
                    {"id": f"{faulty.url}/m/2", "type": "Manifest"},
                    {"id": f"{faulty.url}/m/broken", "type": "Manifest"},
                ],
            }
        ),
    )
    faulty.route("/m/1", _manifest(f"{faulty.url}/m/1", "第一"))
    faulty.route("/m/2", _manifest(f"{faulty.url}/m/2", "第二"))
    faulty.route("/m/broken", Answer("<html><body>Oops</body></html>", 500, "text/html"))
    source = make_source(top, SourceKind.IIIF_COLLECTION)
    run = run_now(source, full=True)
    assert run.state is JobState.SUCCEEDED, run.message
    assert (run.created, run.failed) == (2, 1)
    assert faulty.requests.count("/top") == 1
    assert any("HTTP 500" in e["message"] for e in run.error_list if e["where"].endswith("broken"))
    first = db.session.scalar(
        select(HarvestedRecord).where(HarvestedRecord.identifier == f"{faulty.url}/m/1")
    )
    assert first.title == "第一"
    assert first.metadata_["alternative"] == ["第一 (en)"]
    assert first.metadata_["creator"] == ["作者甲"]
    assert first.metadata_["description"] == "摘要"
    assert (first.year_start, first.thumbnail_url) == (1931, f"{faulty.url}/m/1/thumb.jpg")
    assert first.original_url == f"{faulty.url}/m/1/page"


def test_a_stream_whose_pages_go_round_fails_with_what_it_stored_kept(faulty, make_source):
    stream = f"{faulty.url}/changes"
    faulty.route(
        "/changes",
        _json({"id": stream, "type": "OrderedCollection", "last": {"id": f"{faulty.url}/p/2"}}),
    )

    def page(number: int, prev: int) -> Answer:
        return _json(
            {
                "id": f"{faulty.url}/p/{number}",
                "type": "OrderedCollectionPage",
                "prev": {"id": f"{faulty.url}/p/{prev}"},
                "orderedItems": [],
            }
        )

    faulty.route("/p/2", page(2, 1))
    faulty.route("/p/1", page(1, 2))
    source = make_source(stream, SourceKind.IIIF_DISCOVERY)
    run = run_now(source, full=True)
    assert run.state is JobState.FAILED
    assert "a page already read" in run.message and f"{faulty.url}/p/2" in run.message


def test_due_sources_get_a_run_and_others_do_not(faulty, make_source):
    due = make_source(f"{faulty.url}/a", interval_hours=24, next_run_at=utcnow())
    later = make_source(
        f"{faulty.url}/b", interval_hours=24, next_run_at=utcnow() + timedelta(hours=3)
    )
    by_hand = make_source(f"{faulty.url}/c", interval_hours=0)
    disabled = make_source(f"{faulty.url}/d", interval_hours=1, enabled=False)
    started = request_due_runs()
    db.session.expire_all()
    runs = {run.public_id: run.source_id for run in db.session.scalars(select(HarvestRun))}
    assert [runs[p] for p in started] == [due.id]
    assert later.id not in runs.values() and by_hand.id not in runs.values()
    assert disabled.id not in runs.values()
    assert due.next_run_at > utcnow() + timedelta(hours=23)
