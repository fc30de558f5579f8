"""Rows are checked by worker processes while the job writes, with the same outcome as in the
job's own process; a checker that dies stops the job, and running it again finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.batch import checking, run_import, start_import
from ingest.batch import run as run_module
from ingest.batch.limits import job_folder
from repository.extensions import db
from repository.models import Asset, JobState, Record
from tests.ingest.batch.conftest import (
    HEADERS,
    csv_bytes,
    jpeg,
    record_count,
    revision_count,
    zip_bytes,
)


@pytest.fixture
def checker_processes(app, monkeypatch):
    """Jobs check their rows in one worker process, however small their table."""
    monkeypatch.setitem(app.config, "IMPORT_CHECK_WORKERS", 1)
    monkeypatch.setattr(run_module, "POOL_AFTER_BYTES", 0)


def awkward_rows() -> list[list[str]]:
    """Good rows, a bad value, a repeated local id, an image and a missing image."""
    rows = [HEADERS]
    for number in range(1, 13):
        rows.append([f"K-{number:02d}", f"红松 {number}", "Pinus koraiensis", "植物", "", "", ""])
    rows[3][3] = "矿物"
    rows[5][0] = rows[6][0]
    rows[7][6] = "photo.jpg"
    rows[8][6] = "absent.jpg"
    return rows


def comparable(job) -> list[tuple]:
    """The report with the new records' ids, which differ from job to job, blanked out."""
    return [
        (
            entry["row"],
            entry["outcome"],
            entry["column"],
            entry["message_en"].replace(entry.get("record_id") or "\0", "…"),
        )
        for entry in job.report
    ]


def imported_both_ways(app, monkeypatch, users, collection, table, images, *, dry_run=False):
    """The same files imported with the configured checkers, then checked in the job's own
    process by a user of another library (so the rows are new again)."""
    first, second = users
    in_workers = run_import(start_import(first, collection, table, images, dry_run=dry_run))
    monkeypatch.setitem(app.config, "IMPORT_CHECK_WORKERS", 0)
    in_process = run_import(start_import(second, collection, table, images, dry_run=dry_run))
    return in_workers, in_process


@pytest.mark.parametrize("dry_run", [True, False])
def test_worker_processes_and_the_jobs_own_process_check_alike(
    app, write, contributor, make_user, collection, checker_processes, monkeypatch, dry_run
):
    monkeypatch.setattr(run_module, "BATCH_ROWS", 5)
    table = write("t.csv", csv_bytes(awkward_rows()))
    images = write("p.zip", zip_bytes({"photo.jpg": jpeg()}))
    users = (contributor, make_user("contributor"))
    in_workers, in_process = imported_both_ways(
        app, monkeypatch, users, collection, table, images, dry_run=dry_run
    )

    assert in_workers.state is in_process.state is JobState.SUCCEEDED
    assert in_workers.counts == in_process.counts
    assert in_workers.counts["failed"] == 4 and in_workers.counts["created"] == 8
    assert comparable(in_workers) == comparable(in_process)
    assert record_count() == (0 if dry_run else 16)


def metadata_rows(count: int) -> list[list[str]]:
    """Rows without images (which workers read from the table themselves): a blank row, a bad
    value and a repeated local id among them."""
    rows = [HEADERS]
    for number in range(1, count + 1):
        rows.append([f"M-{number:03d}", f"红松 {number}", "Pinus koraiensis", "植物", "", "", ""])
    rows[4] = [""] * len(HEADERS)
    rows[9][3] = "矿物"
    rows[17][0] = rows[23][0]
    return rows


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_that_read_the_rows_themselves_check_as_the_jobs_own_process_does(
    app, write, contributor, make_user, collection, checker_processes, monkeypatch, workers
):
    monkeypatch.setitem(app.config, "IMPORT_CHECK_WORKERS", workers)
    monkeypatch.setattr(run_module, "BATCH_ROWS", 4)  # many batches, handed out by position
    monkeypatch.setattr(run_module, "CHECK_ROWS", 4)
    table = write("t.csv", csv_bytes(metadata_rows(30)))
    users = (contributor, make_user("contributor"))
    in_workers, in_process = imported_both_ways(app, monkeypatch, users, collection, table, None)

    assert in_workers.state is in_process.state is JobState.SUCCEEDED
    assert in_workers.counts == in_process.counts
    assert in_workers.counts["created"] == 26 and in_workers.counts["failed"] == 3
    assert comparable(in_workers) == comparable(in_process)
    assert in_workers.total_rows == 29  # the blank row is not counted


def test_a_table_that_breaks_down_where_a_worker_reads_it_writes_nothing(
    write, contributor, collection, checker_processes, monkeypatch
):
    monkeypatch.setattr(run_module, "BATCH_ROWS", 4)
    monkeypatch.setattr(run_module, "CHECK_ROWS", 4)
    text = csv_bytes(metadata_rows(30)).decode()
    lines = text.split("\r\n")
    lines[7] = lines[7].replace("红松 7", '"红松 7')  # a quote opened on row 8, never closed
    table = write("t.csv", "\r\n".join(lines).encode())
    job = run_import(start_import(contributor, collection, table, None, dry_run=False))
    assert job.state is JobState.FAILED
    assert "8" in job.error and record_count() == 0


def test_a_checker_that_dies_stops_the_job_and_running_it_again_finishes_it(
    write, contributor, collection, checker_processes, monkeypatch
):
    monkeypatch.setattr(run_module, "BATCH_ROWS", 2)
    rows = [HEADERS] + [
        [
            f"D-{n:02d}",
            f"红松 {n}",
            "Pinus koraiensis",
            "植物",
            "",
            "",
            "" if n % 5 else f"p{n}.jpg",
        ]
        for n in range(1, 41)
    ]
    images = zip_bytes({f"p{n}.jpg": jpeg((64, 48), "olive") for n in range(5, 41, 5)})
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(rows)),
        write("p.zip", images),
        dry_run=False,
    )

    def kill_the_checkers(done: int, total: int) -> None:
        if done == 4:
            for pid in list(checking._executor._processes):
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(checking.CheckerStopped):
        run_import(job, kill_the_checkers)
    db.session.expire_all()
    assert job.state is JobState.RUNNING
    written = record_count()
    assert 4 <= written < 40 and revision_count() == written
    assert job.files["written_through_row"] == written + 1

    run_import(job)
    assert job.state is JobState.SUCCEEDED
    assert job.counts["created"] == 40 and (record_count(), revision_count()) == (40, 40)
    assert len([e for e in job.report if e["outcome"] == "created"]) == 40
    with_images = db.session.scalars(select(Record).join(Asset)).all()
    assert sorted(r.local_id for r in with_images) == [f"D-{n:02d}" for n in range(5, 41, 5)]


SERVER = """
from ingest.batch import checking

if __name__ == "__main__":
    checking.start_checkers(1)
    print(*checking._executor._processes, flush=True)
    input()  # until killed
"""


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:\tZ") for line in status)
    except FileNotFoundError:
        return False


def test_checkers_leave_when_their_server_process_is_killed(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    root = Path(__file__).resolve().parents[3]
    with subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    ) as server:
        checkers = [int(pid) for pid in server.stdout.readline().split()]
        assert checkers and all(running(pid) for pid in checkers)
        server.kill()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in checkers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(running(pid) for pid in checkers)


def test_an_import_that_streams_reports_what_its_dry_run_reported(
    write, contributor, collection, checker_processes
):
    table = write("t.csv", csv_bytes(awkward_rows()))
    images = write("p.zip", zip_bytes({"photo.jpg": jpeg()}))
    checked_first = run_import(start_import(contributor, collection, table, images, dry_run=True))
    streamed = run_import(start_import(contributor, collection, table, images, dry_run=False))
    assert streamed.files.get("streaming") and not checked_first.files.get("streaming")
    assert [e for e in streamed.report if e["outcome"] == "failed"] == [
        e for e in checked_first.report if e["outcome"] == "failed"
    ]
    assert all(e["local_id"] for e in streamed.report if e["column"] == "local_id")


def test_a_checker_that_died_while_idle_is_replaced_for_the_next_import(
    write, contributor, collection, checker_processes
):
    checking.start_checkers(1)
    for pid in list(checking._executor._processes):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    rows = [HEADERS, ["I-1", "红松", "Pinus koraiensis", "植物", "", "", ""]]
    job = run_import(
        start_import(contributor, collection, write("t.csv", csv_bytes(rows)), None, dry_run=False)
    )
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 1


def test_a_row_created_after_the_look_up_is_found_when_its_batch_is_redone(
    write, contributor, collection, checker_processes, monkeypatch
):
    """The file's local ids are looked up once, before the first batch; a record created
    since (by the web form, say) makes its row's insert fail, and the row is redone alone."""
    monkeypatch.setattr(run_module, "BATCH_ROWS", 1)
    rows = [HEADERS, ["L-1", "红松", "Pinus koraiensis", "植物", "", "", ""]]
    table = write("t.csv", csv_bytes(rows))
    first = run_import(start_import(contributor, collection, table, None, dry_run=False))
    assert first.counts["created"] == 1
    monkeypatch.setattr(run_module, "existing_local_ids", lambda library_id, local_ids: set())
    again = run_import(start_import(contributor, collection, table, None, dry_run=False))
    assert again.state is JobState.SUCCEEDED
    assert again.counts["unchanged"] == 1 and again.counts["failed"] == 0
    assert record_count() == 1


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_archive_that_became_unsafe_after_queueing_fails_the_job_cleanly(
    write, contributor, collection, dry_run
):
    rows = [HEADERS, ["Z-1", "红松", "Pinus koraiensis", "植物", "", "", "photo.jpg"]]
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(rows)),
        write("p.zip", zip_bytes({"photo.jpg": jpeg()})),
        dry_run=dry_run,
    )
    stored = job_folder(job.public_id) / job.files["images"]["stored"]
    stored.write_bytes(zip_bytes({"../photo.jpg": jpeg()}))
    run_import(job)
    assert job.state is JobState.FAILED and "photo.jpg" in job.error
    assert record_count() == 0


def test_rows_written_as_checked_are_reported_as_rows_written_after_checking_all(
    write, contributor, make_user, collection, checker_processes
):
    """A streaming import's report lines are made by the checker; a job that checks every row
    before writing (``abort``) makes them as it writes. Both say the same."""
    rows = [HEADERS] + [
        [f"S-{n:02d}", f"红松 {n}", "Pinus koraiensis", "植物", "", "", ""] for n in range(1, 8)
    ]
    table = write("t.csv", csv_bytes(rows))
    streamed = run_import(start_import(contributor, collection, table, None, dry_run=False))
    other = make_user("contributor")  # another library, so the rows are new again
    spooled = run_import(
        start_import(other, collection, table, None, dry_run=False, on_error="abort")
    )
    assert streamed.files.get("streaming") and not spooled.files.get("streaming")
    assert streamed.counts["created"] == spooled.counts["created"] == 7
    assert comparable(streamed) == comparable(spooled)
    assert [entry["record_id"] for entry in streamed.report] == [
        db.session.scalar(
            select(Record.public_id).where(
                Record.local_id == f"S-{n:02d}", Record.library_id == contributor.library_id
            )
        )
        for n in range(1, 8)
    ]


def test_checkers_run_at_a_lower_priority_than_the_server(checker_processes):
    """Checking an import must not slow the pages served, nor the import's own writing."""
    checking.start_checkers(1)
    server = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in list(checking._executor._processes):
        assert os.getpriority(os.PRIO_PROCESS, pid) >= min(server + checking.WORKER_NICENESS, 19)


def test_a_worker_checking_two_jobs_at_once_keeps_its_place_in_each(app, tmp_path):
    """Imports side by side share the workers; each job's table is read on, not from the top
    again whenever the other job's batch came in between."""
    from ingest.batch.limits import limits

    rows = [HEADERS] + [
        [f"P-{n:02d}", "红松", "Pinus koraiensis", "植物", "", "", ""] for n in range(12)
    ]

    def order(name: str) -> checking.CheckOrder:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "t.csv").write_bytes(csv_bytes(rows))
        return checking.CheckOrder(
            folder=folder,
            table="t.csv",
            encoding=None,
            images=None,
            profile_name="natural_history",
            default_rights="",
            bounds=limits(),
            keep_images=False,
            read_ahead=True,
            prepare=True,
            batch_rows=4,
            batch_images=10,
        )

    jobs = checking._JobsInWorker()
    first, second = order("first"), order("second")
    readers = {}
    for start in (0, 4, 8):
        for each in (first, second):
            job = jobs.job(each)
            read = job.rows_between(start, start + 4)
            assert [row.cells[0] for row in read] == [f"P-{n:02d}" for n in range(start, start + 4)]
            assert readers.setdefault(each, job.rows) is job.rows  # read on, never reopened
    assert jobs.job(first).rows_between(12, 16) == []

    for job in jobs.jobs.values():  # both idle for longer than a worker keeps a job
        job.used -= checking._JobsInWorker.IDLE_SECONDS + 1
    jobs.close_idle()
    assert jobs.jobs == {}
