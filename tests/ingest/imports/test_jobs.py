"""Import jobs on the task queue: a killed job resumes where its last batch ended, a cancelled
one keeps what it wrote, a failed one can be retried, and no job is ever left "running"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from ingest.imports import (
    ImportRejected,
    cancel_import,
    find_job,
    job_folder,
    prune_import_files,
    retry_import,
    run_import,
    run_import_task,
    start_import,
    start_import_again,
)
from ingest.imports import run as run_module
from ingest.imports.writer import Writer
from repository.errors import Conflict
from repository.extensions import db
from repository.images import accepting, file_store
from repository.images.derivatives import load_derivative_set
from repository.images.tiles import load_tile_set
from repository.models import Asset, IngestJob, JobState, Record, RecordRevision
from repository.models.base import utcnow
from repository.tasks import recover_jobs
from tests.ingest.imports.conftest import (
    HEADERS,
    csv_bytes,
    jpeg,
    problems,
    record_count,
    revision_count,
    zip_bytes,
)


class Killed(BaseException):
    """What a worker killed mid-way leaves: not an error its task could catch and report."""


def many_rows(count: int, *, images_every: int = 3) -> list[list[str]]:
    rows = [HEADERS]
    for number in range(1, count + 1):
        image = f"p{number}.jpg" if number % images_every == 0 else ""
        rows.append(
            [f"R-{number:03d}", f"红松 {number}", "Pinus koraiensis", "植物", "", "", image]
        )
    return rows


def archive_for(count: int, images_every: int = 3) -> bytes:
    return zip_bytes(
        {f"p{n}.jpg": jpeg((64, 48), "olive") for n in range(images_every, count + 1, images_every)}
    )


def each_row_once(count: int, *, images_every: int = 3) -> None:
    """Every row is one record with exactly its first revision and the images it names."""
    found = db.session.scalars(select(Record)).all()
    assert sorted(record.local_id for record in found) == [
        f"R-{n:03d}" for n in range(1, count + 1)
    ]
    for record in found:
        assert [revision.action for revision in record.revisions] == ["create"]
        number = int(record.local_id.split("-")[1])
        assert len(record.assets) == (1 if number % images_every == 0 else 0)


def killed_after(batches: int):
    """A progress hook that kills the run once it has committed this many batches."""
    seen = []

    def hook(job: IngestJob) -> None:
        seen.append(job.processed_rows)
        if len(seen) == batches:
            raise Killed

    return hook


def lease_runs_out(job: IngestJob) -> None:
    job.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(run_module, "BATCH_ROWS", 4)


@pytest.fixture
def started(write, contributor, collection):
    """An import of ``count`` rows started (queued, not run): every ``images_every``-th row
    names an image, sent in a ZIP beside the table (by default no row names one)."""

    def start(count: int, *, images_every: int = 99, table_name: str = "t.csv") -> IngestJob:
        images = archive_for(count, images_every) if images_every <= count else None
        return start_import(
            contributor,
            collection,
            write(table_name, csv_bytes(many_rows(count, images_every=images_every))),
            write("p.zip", images) if images else None,
            dry_run=False,
        )

    return start


def test_a_job_killed_mid_way_is_taken_up_again_and_ends_with_every_row_once(
    started, small_batches
):
    job = started(14, images_every=3)
    with pytest.raises(Killed):
        run_import(job, killed_after(2))
    db.session.expire_all()
    assert job.state is JobState.RUNNING and job.lease_holder  # as a dead worker leaves it
    assert job.processed_rows == 8 and record_count() == 8  # two whole batches
    recover_jobs()  # the lease has not run out: nothing to take up
    db.session.expire_all()
    assert job.state is JobState.RUNNING and record_count() == 8

    lease_runs_out(job)
    recover_jobs()  # back to queued and enqueued; the (immediate) queue runs it here
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.attempts == 2
    assert job.lease_holder is None and job.lease_expires_at is None
    each_row_once(14)
    assert revision_count() == 14
    assert job.counts["created"] == 14 and job.processed_rows == job.total_rows == 14
    created = [entry["local_id"] for entry in job.report if entry["outcome"] == "created"]
    assert created == [f"R-{n:03d}" for n in range(1, 15)]  # each row once, in order
    assert all(asset.derivatives_ready for asset in db.session.scalars(select(Asset)))


def test_a_dry_run_or_abort_import_killed_while_checking_checks_on_from_there(
    write, contributor, collection, small_batches
):
    rows = many_rows(10, images_every=99)
    rows[9][3] = "矿物"  # row 10 fails: the abort import writes nothing
    table = write("t.csv", csv_bytes(rows))
    job = start_import(contributor, collection, table, None, dry_run=False, on_error="abort")
    with pytest.raises(Killed):
        run_import(job, killed_after(1))
    db.session.expire_all()
    assert job.state is JobState.VALIDATING and job.processed_rows == 4
    lease_runs_out(job)
    recover_jobs()
    db.session.expire_all()
    assert job.state is JobState.FAILED and "nothing was imported" in job.error
    assert [entry["row"] for entry in problems(job)] == [10]
    assert job.counts == {"created": 0, "updated": 0, "unchanged": 0, "failed": 1}
    assert record_count() == 0


def test_cancelling_a_running_job_keeps_its_written_batches_and_a_retry_finishes_it(
    started, small_batches
):
    job = started(10)
    asked = []

    def cancel_after_the_first_batch(running: IngestJob) -> None:
        if not asked:
            asked.append(cancel_import(find_job(running.public_id)))

    run_import(job, cancel_after_the_first_batch)
    assert job.state is JobState.CANCELLED and job.finished_at is not None
    assert job.lease_holder is None and job.processed_rows == 4
    assert record_count() == 4 and job.counts["created"] == 4
    listed = [entry["local_id"] for entry in job.report if entry["outcome"] == "created"]
    assert listed == ["R-001", "R-002", "R-003", "R-004"]
    with pytest.raises(Conflict):
        cancel_import(job)

    retry_import(job)  # queued and enqueued; the (immediate) queue runs it here
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 10
    assert (record_count(), revision_count()) == (10, 10)
    created = [entry["local_id"] for entry in job.report if entry["outcome"] == "created"]
    assert created == [f"R-{n:03d}" for n in range(1, 11)]
    with pytest.raises(Conflict):
        retry_import(job)


def test_a_queued_job_cancelled_never_runs(started):
    job = started(3)
    cancel_import(job)
    assert job.state is JobState.CANCELLED
    run_import_task(job.public_id)
    recover_jobs()
    db.session.expire_all()
    assert job.state is JobState.CANCELLED and job.attempts == 0 and record_count() == 0


def test_a_task_that_raises_fails_its_job_with_the_error_and_a_retry_finishes_it(
    started, small_batches, monkeypatch
):
    job = started(9, images_every=3)
    original = Writer._write

    def broken(self, user, collection, item, existing):
        if item.local_id == "R-006":
            raise RuntimeError("disk on fire")
        return original(self, user, collection, item, existing)

    monkeypatch.setattr(Writer, "_write", broken)
    run_import_task(job.public_id)
    db.session.expire_all()
    assert job.state is JobState.FAILED and job.finished_at is not None
    assert "stopped unexpectedly after 4 rows" in job.error and "disk on fire" in job.error
    assert "中止" in job.error_message.localized("zh_Hans_CN")
    assert job.lease_holder is None and job.lease_expires_at is None
    assert record_count() == 4  # the first batch; the second was rolled back whole
    assert [e["local_id"] for e in job.report if e["outcome"] == "created"] == [
        f"R-{n:03d}" for n in range(1, 5)
    ]

    monkeypatch.setattr(Writer, "_write", original)
    retry_import(job)
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.error == ""
    each_row_once(9)
    assert revision_count() == 9 and job.counts["created"] == 9 and job.counts["images"] == 3


def test_a_job_that_lost_its_database_is_resumed_by_recovery_not_failed(
    started, small_batches, monkeypatch
):
    job = started(9, images_every=3)
    original = Writer._write
    lost = []

    def database_restarting(self, user, collection, item, existing):
        if item.local_id == "R-006" and not lost:
            lost.append(item.local_id)
            raise OperationalError("INSERT …", {}, Exception("server closed the connection"))
        return original(self, user, collection, item, existing)

    monkeypatch.setattr(Writer, "_write", database_restarting)
    run_import_task(job.public_id)
    db.session.expire_all()
    assert job.state is JobState.RUNNING and job.error == ""  # not failed: left to recovery
    assert record_count() == 4

    lease_runs_out(job)
    recover_jobs()  # re-enqueues it; the test app runs the task inline
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.attempts == 2
    each_row_once(9)


def test_a_job_whose_workers_keep_dying_is_given_up_with_a_message(
    started, app, small_batches, monkeypatch
):
    job = started(20)
    with pytest.raises(Killed):
        run_import(job, killed_after(1))
    original = run_module.ImportRun.__init__

    def dies_after_a_batch(self, job, lease, progress=None):
        original(self, job, lease, killed_after(1))

    monkeypatch.setattr(run_module.ImportRun, "__init__", dies_after_a_batch)
    for _ in range(app.config["JOB_MAX_ATTEMPTS"] - 1):
        lease_runs_out(job)
        with pytest.raises(Killed):  # taken up again, and killed again
            recover_jobs()
    lease_runs_out(job)
    recover_jobs()
    db.session.expire_all()
    assert job.state is JobState.FAILED and "given up" in job.error
    assert job.lease_holder is None and job.attempts == app.config["JOB_MAX_ATTEMPTS"]
    assert record_count() == job.processed_rows == 12  # whole batches only, each once


def test_a_job_whose_file_was_deleted_fails_naming_the_file(started, small_batches):
    job = started(10, table_name="长白山.csv")
    with pytest.raises(Killed):
        run_import(job, killed_after(1))
    (job_folder(job.public_id) / "table.csv").unlink()  # someone cleaned the disk
    lease_runs_out(job)
    recover_jobs()
    db.session.expire_all()
    assert job.state is JobState.FAILED and job.lease_holder is None
    assert "长白山.csv" in job.error and "no longer there" in job.error
    assert record_count() == 4
    whole_file, *written = job.report  # the file's problem first, the written rows still listed
    assert (whole_file["row"], whole_file["outcome"]) == (0, "failed")
    assert [e["outcome"] for e in written] == ["created"] * 4


def test_a_job_enqueued_twice_runs_once(started):
    job = started(3)
    run_import_task(job.public_id)
    run_import_task(job.public_id)
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.attempts == 1
    assert (record_count(), revision_count()) == (3, 3)


@pytest.fixture
def one_photograph(write, contributor, collection):
    """Start an import of one row naming a photograph large enough to be cut into tiles."""

    def start(**options) -> IngestJob:
        rows = [HEADERS, ["T-1", "长白松", "P", "植物", "", "", "big.jpg"]]
        table = write("t.csv", csv_bytes(rows))
        archive = write("p.zip", zip_bytes({"big.jpg": jpeg((2600, 1800), "darkgreen")}))
        return start_import(contributor, collection, table, archive, dry_run=False, **options)

    return start


def test_an_imported_photograph_is_ready_at_every_zoom_when_its_row_is_written(one_photograph):
    job = one_photograph()
    run_import(job)  # the import alone: no other task runs here
    [asset] = db.session.scalars(select(Asset)).all()
    assert asset.derivatives_ready
    tiles = load_tile_set(file_store(), asset.sha256)
    assert tiles is not None and tiles.level(1) is not None
    assert load_derivative_set(file_store(), asset.sha256).thumbnail(200).is_file()


def test_a_photograph_whose_files_cannot_be_built_at_once_is_imported_for_its_task_to_build(
    one_photograph, monkeypatch
):
    def unexpected(*args, **kwargs):
        raise RuntimeError("an unexpected colour mode")

    monkeypatch.setattr(accepting, "build_image_files", unexpected)
    job = run_import(one_photograph())  # its task runs at once here, with the usual build
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 1
    [asset] = db.session.scalars(select(Asset)).all()
    assert asset.derivatives_ready and load_tile_set(file_store(), asset.sha256) is not None


def test_derivatives_a_crash_skipped_are_built_when_the_job_resumes(one_photograph, monkeypatch):
    # An ``abort`` import verifies every image in its first pass and stores them in its second:
    # their pyramids and tiles are then built by tasks, enqueued after each batch commits.
    job = one_photograph(on_error="abort")
    original = run_module.enqueue_pending_derivatives

    def killed_after_the_commit(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(run_module, "enqueue_pending_derivatives", killed_after_the_commit)
    with pytest.raises(Killed):
        run_import(job)
    [asset] = db.session.scalars(select(Asset)).all()
    assert not asset.derivatives_ready
    monkeypatch.setattr(run_module, "enqueue_pending_derivatives", original)
    lease_runs_out(job)
    recover_jobs()
    db.session.refresh(asset)
    assert asset.derivatives_ready
    tiles = load_tile_set(file_store(), asset.sha256)
    assert tiles is not None and tiles.level(1) is not None  # IIIF tiles exist before anyone asks
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 1 and record_count() == 1


def test_files_of_long_finished_jobs_are_deleted_and_their_reports_kept(
    write, contributor, collection, app
):
    table = write("t.csv", csv_bytes(many_rows(3)))
    images = write("p.zip", archive_for(3))
    old_dry_run = run_import(start_import(contributor, collection, table, images, dry_run=True))
    recent = run_import(start_import(contributor, collection, table, images, dry_run=True))
    waiting = start_import(contributor, collection, table, images, dry_run=False)
    old_dry_run.finished_at -= timedelta(days=15)
    db.session.commit()
    assert job_folder(old_dry_run.public_id).is_dir()

    assert prune_import_files() == 1  # IMPORT_KEEP_DAYS is 14
    assert not job_folder(old_dry_run.public_id).exists()
    assert job_folder(recent.public_id).is_dir() and job_folder(waiting.public_id).is_dir()
    assert find_job(old_dry_run.public_id).counts["created"] == 3  # the report stays
    with pytest.raises(ImportRejected, match="no longer kept"):
        start_import_again(contributor, old_dry_run)

    # From the command line, with another window: the recent dry run goes too, never a
    # job that has not run yet.
    result = app.test_cli_runner().invoke(args=["import-prune", "--days", "0"])
    assert result.exit_code == 0, result.output
    assert "1 finished import job" in result.output
    assert not job_folder(recent.public_id).exists() and job_folder(waiting.public_id).is_dir()
    assert run_import(waiting).counts["created"] == 3
    assert db.session.scalar(select(func.count(RecordRevision.id))) == 3


def test_a_run_that_stalled_past_its_lease_writes_nothing_once_its_job_is_taken_up(
    write, contributor, collection, small_batches
):
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(many_rows(12, images_every=99))),
        None,
        dry_run=False,
    )

    def taken_up_after_the_first_batch(job: IngestJob) -> None:
        if job.processed_rows == 4:  # recovery gave the job to a run elsewhere meanwhile
            db.session.execute(
                update(IngestJob)
                .where(IngestJob.id == job.id)
                .values(lease_holder="elsewhere:1", attempts=IngestJob.attempts + 1)
            )
            db.session.commit()

    run_import(job, taken_up_after_the_first_batch)
    db.session.expire_all()
    assert record_count() == job.processed_rows == 4  # the batch in hand was not written
    assert job.state is JobState.RUNNING and job.lease_holder == "elsewhere:1"
    assert job.error == ""  # the job is the other run's to finish, not failed by this one
