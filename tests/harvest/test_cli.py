"""``huiku harvest list|check|run`` for operators."""

from __future__ import annotations

from sqlalchemy import select

from repository.extensions import db
from repository.models.harvest import HarvestedRecord
from tests.harvest.faulty import Answer, dc_record, identify, list_records


def test_list_check_and_run_in_the_foreground(app, faulty, make_source):
    faulty.route(
        "/oai",
        lambda q: identify() if q.get("verb") == "Identify" else list_records([dc_record("a")]),
    )
    faulty.route("/broken", Answer("<html>down</html>", 503, "text/html"))
    make_source(f"{faulty.url}/oai", slug="peer")
    make_source(f"{faulty.url}/broken", slug="broken")
    runner = app.test_cli_runner()

    listed = runner.invoke(args=["harvest", "list"])
    assert "peer\toai\tenabled\tcheck pending" in listed.output

    checked = runner.invoke(args=["harvest", "check", "peer"])
    assert checked.exit_code == 0 and "ok: OK: Crafted repository" in checked.output

    ran = runner.invoke(args=["harvest", "run", "peer", "--full"])
    assert ran.exit_code == 0, ran.output
    assert "succeeded: 1 pages, 1 new, 0 updated, 0 deleted, 0 failed" in ran.output
    assert db.session.scalar(select(HarvestedRecord.title)) == "A title"

    failed = runner.invoke(args=["harvest", "run", "broken"])
    assert failed.exit_code == 1 and "HTTP 503" in failed.output
    unknown = runner.invoke(args=["harvest", "run", "nowhere"])
    assert unknown.exit_code != 0 and "no harvest source 'nowhere'" in unknown.output
