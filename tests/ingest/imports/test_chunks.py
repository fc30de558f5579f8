"""A large file in chunks: every row once and the report in file order, whichever chunk ran
first; a chunk whose worker died is taken up from its last batch; cancel stops every chunk;
a retry reruns only the chunks that did not finish; an ``abort`` import still writes nothing
when any row of any chunk fails. The chunk tasks run inline here (the test queue is immediate)
or one by one as the test says; test_chunk_workers.py runs them on real worker processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ingest.imports import cancel_import, find_job, retry_import, run_import, start_import
from ingest.imports import run as run_module
from ingest.imports import tasks as tasks_module
from ingest.imports.chunks import settle_job
from ingest.imports.tasks import run_chunk
from ingest.imports.writer import Writer
from repository.extensions import db
from repository.models import IngestJob, JobState
from repository.models.base import utcnow
from repository.models.jobs import ImportChunk
from repository.models.notifications import Notification
from repository.tasks import recover_jobs
from tests.ingest.imports.conftest import csv_bytes, problems, record_count, revision_count
from tests.ingest.imports.test_jobs import Killed, archive_for, each_row_once, many_rows

ROWS = 14  # four chunks of 4, 4, 4 and 2 rows; batches of 2 rows


@pytest.fixture(autouse=True)
def chunks_of_four(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 4)
    monkeypatch.setattr(run_module, "BATCH_ROWS", 2)


@pytest.fixture
def held(monkeypatch) -> list[str]:
    """Chunk tasks the job's run enqueues are held back, for the test to run one by one."""
    queued: list[str] = []
    monkeypatch.setattr(tasks_module, "queue_chunks", queued.extend)
    return queued


def chunks(job: IngestJob) -> list[ImportChunk]:
    db.session.expire_all()
    query = select(ImportChunk).where(ImportChunk.job_id == job.id).order_by(ImportChunk.number)
    return list(db.session.scalars(query))


def created_in_report(job: IngestJob) -> list[str]:
    return [entry["local_id"] for entry in job.report if entry["outcome"] == "created"]


def every_id(count: int = ROWS) -> list[str]:
    return [f"R-{n:03d}" for n in range(1, count + 1)]


def started(write, contributor, collection, rows=None, *, images=True, **options) -> IngestJob:
    table = write("t.csv", csv_bytes(rows or many_rows(ROWS)))
    archive = write("p.zip", archive_for(ROWS)) if images else None
    options.setdefault("dry_run", False)
    return start_import(contributor, collection, table, archive, **options)


def test_a_large_file_goes_in_chunks_and_every_row_in_once_in_file_order(
    write, contributor, collection
):
    job = run_import(started(write, contributor, collection))
    assert job.state is JobState.SUCCEEDED and job.error == ""
    assert job.chunk_count == 4 and job.lease_holder is None
    ranges = [(c.first_row, c.last_row, c.rows, c.state) for c in chunks(job)]
    assert ranges == [
        (2, 5, 4, JobState.SUCCEEDED),
        (6, 9, 4, JobState.SUCCEEDED),
        (10, 13, 4, JobState.SUCCEEDED),
        (14, 15, 2, JobState.SUCCEEDED),
    ]
    each_row_once(ROWS)
    assert revision_count() == ROWS
    assert created_in_report(job) == every_id()
    assert [entry["row"] for entry in job.report] == list(range(2, ROWS + 2))
    assert job.counts == {"created": 14, "updated": 0, "unchanged": 0, "failed": 0, "images": 4}
    assert job.processed_rows == job.total_rows == ROWS
    assert "cursor" not in job.files and "repeated" not in job.files

    again = run_import(started(write, contributor, collection))  # idempotent by local id
    assert again.state is JobState.SUCCEEDED and again.counts["unchanged"] == ROWS
    assert record_count() == ROWS and revision_count() == ROWS


def test_a_file_of_photographs_is_shared_out_by_its_images(
    write, contributor, collection, app, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_IMAGES", 1)  # rows 3, 5, 7, … name one each
    table = write("t.csv", csv_bytes(many_rows(ROWS, images_every=2)))
    archive = write("p.zip", archive_for(ROWS, images_every=2))
    job = run_import(start_import(contributor, collection, table, archive, dry_run=False))
    assert job.state is JobState.SUCCEEDED
    assert [(c.first_row, c.last_row, c.rows) for c in chunks(job)] == [
        (2, 4, 3),
        (5, 6, 2),
        (7, 8, 2),
        (9, 10, 2),
        (11, 12, 2),
        (13, 14, 2),
        (15, 15, 1),
    ]
    each_row_once(ROWS, images_every=2)
    assert job.counts["images"] == 7 and created_in_report(job) == every_id()


def test_a_local_id_in_two_chunks_fails_both_rows(write, contributor, collection):
    rows = many_rows(ROWS, images_every=99)
    rows[12][0] = "R-001"  # row 13, in the third chunk, repeats row 2's local id
    job = run_import(started(write, contributor, collection, rows, images=False))
    assert job.state is JobState.SUCCEEDED and job.chunk_count == 4
    failed = problems(job)
    assert [(entry["row"], entry["field"]) for entry in failed] == [
        (2, "local_id"),
        (13, "local_id"),
    ]
    assert "also used in row(s) 13" in failed[0]["message_en"]
    assert "第 2 行也出现了" in failed[1]["message_zh"]
    assert job.counts["failed"] == 2 and job.counts["created"] == ROWS - 2
    assert record_count() == ROWS - 2


def test_a_dry_run_takes_the_same_chunks_and_writes_nothing(write, contributor, collection):
    job = run_import(started(write, contributor, collection, dry_run=True))
    assert job.state is JobState.SUCCEEDED and job.chunk_count == 4
    assert record_count() == 0
    assert job.counts == {"created": 14, "updated": 0, "unchanged": 0, "failed": 0, "images": 4}
    assert [entry["message_en"] for entry in job.report][:1] == ["would be created"]
    assert [entry["row"] for entry in job.report] == list(range(2, ROWS + 2))


def test_abort_checks_every_chunk_first_and_writes_nothing_when_a_row_fails(
    write, contributor, collection
):
    rows = many_rows(ROWS, images_every=99)
    rows[13][3] = "矿物"  # row 14, in the last chunk but one
    job = run_import(started(write, contributor, collection, rows, images=False, on_error="abort"))
    assert job.state is JobState.FAILED and "nothing was imported" in job.error
    assert "全部放弃" in job.error_message.localized("zh_Hans_CN")
    assert [entry["row"] for entry in problems(job)] == [14]
    assert [entry["outcome"] for entry in job.report] == ["failed"]
    assert job.counts == {"created": 0, "updated": 0, "unchanged": 0, "failed": 1}
    assert record_count() == 0

    valid = many_rows(ROWS, images_every=99)
    job = run_import(started(write, contributor, collection, valid, images=False, on_error="abort"))
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == ROWS
    assert created_in_report(job) == every_id() and record_count() == ROWS
    assert [chunk.state for chunk in chunks(job)] == [JobState.SUCCEEDED] * 4


def test_a_chunk_whose_worker_died_is_taken_up_after_its_last_batch(
    write, contributor, collection, held, login
):
    job = run_import(started(write, contributor, collection), help_with_chunks=False)
    assert job.state is JobState.RUNNING and job.chunk_count == 4 and len(held) == 4
    assert job.lease_holder is None and job.lease_expires_at is None  # its chunks hold leases
    first, second, *_ = chunks(job)
    assert run_chunk(first)
    batches = []

    def killed_after_a_batch(_job: IngestJob) -> None:
        batches.append(1)
        raise Killed

    with pytest.raises(Killed):
        run_chunk(second, killed_after_a_batch)
    db.session.rollback()
    second = chunks(job)[1]
    assert second.state is JobState.RUNNING and second.lease_holder
    assert (second.cursor_row, second.processed_rows) == (7, 2)

    # The job page adds up the chunks while they run.
    browser = login(contributor)
    status = browser.get(f"/imports/{job.public_id}/status.json").get_json()
    assert (status["state"], status["processed_rows"], status["total_rows"]) == ("running", 6, 14)
    assert status["counts"]["created"] == 6 and status["percent"] == 42

    recover_jobs()  # the lease has not run out: the chunk is left to its worker
    assert chunks(job)[1].state is JobState.RUNNING
    second.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    recover_jobs()  # taken up again; the waiting chunks enqueued; the inline queue runs them
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED
    assert [chunk.attempts for chunk in chunks(job)] == [1, 2, 1, 1]
    each_row_once(ROWS)
    assert created_in_report(job) == every_id()
    assert job.counts["created"] == ROWS and job.processed_rows == ROWS


def test_cancel_stops_every_chunk_and_a_retry_finishes_only_what_was_left(
    write, contributor, collection, held
):
    job = run_import(started(write, contributor, collection), help_with_chunks=False)
    first = chunks(job)[0]
    asked = []

    def cancel_after_the_first_batch(running: IngestJob) -> None:
        if not asked:
            asked.append(cancel_import(find_job(running.public_id)))

    run_chunk(first, cancel_after_the_first_batch)
    db.session.expire_all()
    assert job.state is JobState.CANCELLED and job.finished_at is not None
    assert [chunk.state for chunk in chunks(job)] == [JobState.CANCELLED] * 4
    assert record_count() == 2 and job.processed_rows == 2 and job.counts["created"] == 2
    assert created_in_report(job) == ["R-001", "R-002"]
    for public_id in held:  # the chunks' tasks, when a worker gets to them, do nothing
        chunk = db.session.scalar(select(ImportChunk).where(ImportChunk.public_id == public_id))
        assert not run_chunk(chunk)

    retry_import(job)  # every chunk was stopped: all four go on (inline), the first after row 3
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.cancel_requested is False
    each_row_once(ROWS)
    assert created_in_report(job) == every_id() and revision_count() == ROWS


def test_a_retry_reruns_only_the_chunk_that_failed(write, contributor, collection, monkeypatch):
    job = started(write, contributor, collection)
    original = Writer._write

    def broken(self, user, collection, item, existing):
        if item.local_id == "R-007":
            raise RuntimeError("disk on fire")
        return original(self, user, collection, item, existing)

    monkeypatch.setattr(Writer, "_write", broken)
    run_import(job)
    db.session.expire_all()
    assert job.state is JobState.FAILED and "disk on fire" in job.error
    assert "stopped unexpectedly" in job.error
    assert "中止" in job.error_message.localized("zh_Hans_CN")
    states = [chunk.state for chunk in chunks(job)]
    assert states == [JobState.SUCCEEDED, JobState.FAILED, JobState.SUCCEEDED, JobState.SUCCEEDED]
    assert record_count() == 12  # all but the failed chunk's second batch
    finished = {chunk.number: chunk.finished_at for chunk in chunks(job)}

    monkeypatch.setattr(Writer, "_write", original)
    retry_import(job)
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.error == ""
    after = chunks(job)
    assert [chunk.finished_at == finished[chunk.number] for chunk in after] == [
        True,
        False,
        True,
        True,
    ]
    each_row_once(ROWS)
    assert created_in_report(job) == every_id() and job.counts["created"] == ROWS


def test_the_job_ends_once_however_often_its_chunks_settle_it(write, contributor, collection):
    job = run_import(started(write, contributor, collection, images=False))
    ended = job.finished_at
    assert job.state is JobState.SUCCEEDED
    for _ in range(2):
        assert settle_job(job.id) == []
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.finished_at == ended
    assert not run_chunk(chunks(job)[0])  # a chunk's task that comes late does nothing
    assert len(job.report) == ROWS
    # Its owner is told once that it finished.
    told = db.session.scalars(
        select(Notification).where(Notification.user_id == contributor.id)
    ).all()
    assert [(n.kind, n.link) for n in told] == [("job", f"/imports/{job.public_id}")]
    assert "已完成" in told[0].text_zh and "done" in told[0].text_en


def test_the_command_line_runs_the_chunks_itself_and_shows_the_whole_jobs_progress(
    write, contributor, collection, held
):
    """No worker takes the chunks (their tasks are held back): ``huiku import`` runs them one
    after another in its own process, its progress bar fed with the job's sums."""
    seen = []
    rows = many_rows(ROWS, images_every=99)
    job = started(write, contributor, collection, rows, images=False)
    run_import(job, lambda running: seen.append((running.state.value, running.processed_rows)))
    assert job.state is JobState.SUCCEEDED and job.chunk_count == 4 and len(held) == 4
    assert seen == [("running", rows) for rows in range(2, ROWS + 1, 2)]
    each_row_once(ROWS, images_every=99)
    assert created_in_report(job) == every_id()


def test_the_first_pass_over_a_long_file_keeps_the_lease_alive(tmp_path, collection):
    """A file whose first pass outlasts the lease must not be taken up by another worker."""
    from ingest.imports.shape import read_shape
    from repository.profiles import get_profile

    table = tmp_path / "long.csv"
    table.write_bytes(csv_bytes(many_rows(450)))
    calls: list[int] = []
    shape = read_shape(
        table,
        None,
        get_profile(collection.profile_name),
        max_rows=1000,
        per_chunk=4,
        keep_alive=lambda: calls.append(1),
    )
    assert shape.rows == 450 and len(calls) == 2
