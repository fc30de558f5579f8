"""Jobs survive crashes and restarts: whole rows or none, resumed without duplicates."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from iiif.image_tiles import load_tile_set
from ingest.batch import (
    find_job,
    jobs,
    resume_unfinished_imports,
    run_import,
    run_import_in_background,
    start_import,
)
from ingest.batch import run as run_module
from ingest.uploads import file_store
from repository.extensions import db
from repository.models import Asset, JobState, Record, RecordRevision
from repository.services import accounts, collections
from tests.ingest.batch.conftest import (
    HEADERS,
    csv_bytes,
    jpeg,
    problems,
    record_count,
    revision_count,
    zip_bytes,
)


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


def whole_records_only() -> None:
    """Every record has exactly its first revision and every image its row named."""
    for record in db.session.scalars(select(Record)):
        assert [r.action for r in record.revisions] == ["create"]
        number = int(record.local_id.split("-")[1])
        assert len(record.assets) == (1 if number % 3 == 0 else 0)


def test_a_crash_while_writing_keeps_whole_batches_and_the_rerun_finishes(
    write, contributor, collection, monkeypatch
):
    monkeypatch.setattr(run_module, "BATCH_ROWS", 4)
    rows = many_rows(14)
    rows[7][3] = "矿物"  # row 8 fails
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(rows)),
        write("p.zip", archive_for(14)),
        dry_run=False,
    )

    def power_cut(done: int, total: int) -> None:
        if job.state is JobState.RUNNING and done == 10:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        run_import(job, power_cut)
    db.session.expire_all()
    assert job.state is JobState.RUNNING
    assert job.files["written_through_row"] == 9 and job.processed_rows == 8
    assert record_count() == 7  # two batches of four rows, one of them the failed row
    whole_records_only()

    run_import(job)
    assert job.state is JobState.SUCCEEDED
    assert (record_count(), revision_count()) == (13, 13)
    whole_records_only()
    assert job.counts["created"] == 13 and job.counts["failed"] == 1
    assert [e["row"] for e in problems(job)] == [8]
    assert len([e for e in job.report if e["outcome"] == "created"]) == 13
    assert all(a.derivatives_ready for a in db.session.scalars(select(Asset)))


def test_a_crash_while_checking_starts_the_check_again(write, contributor, collection, monkeypatch):
    """With on_error=abort every row is checked before any is written."""
    monkeypatch.setattr(run_module, "BATCH_ROWS", 2)
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(many_rows(6, images_every=99))),
        None,
        dry_run=False,
        on_error="abort",
    )

    def crash(done: int, total: int) -> None:
        if job.state is JobState.VALIDATING and done == 4:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_import(job, crash)
    assert job.state is JobState.VALIDATING and record_count() == 0
    run_import(job)
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 6


def test_derivatives_a_crash_skipped_are_built_when_the_job_resumes(
    write, contributor, collection, monkeypatch
):
    big = jpeg((2600, 1800), "darkgreen")
    rows = [HEADERS, ["T-1", "长白松", "P", "植物", "", "", "big.jpg"]]
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(rows)),
        write("p.zip", zip_bytes({"big.jpg": big})),
        dry_run=False,
    )
    original = run_module.build_pending_derivatives_for

    def crash_after_commit(*args, **kwargs):
        raise RuntimeError("killed after the batch committed")

    monkeypatch.setattr(run_module, "build_pending_derivatives_for", crash_after_commit)
    with pytest.raises(RuntimeError):
        run_import(job)
    [asset] = db.session.scalars(select(Asset)).all()
    assert not asset.derivatives_ready
    monkeypatch.setattr(run_module, "build_pending_derivatives_for", original)
    run_import(job)
    db.session.refresh(asset)
    assert asset.derivatives_ready
    tiles = load_tile_set(file_store(), asset.sha256)
    assert tiles is not None and tiles.level(1) is not None  # IIIF tiles exist before anyone asks
    assert job.counts["created"] == 1 and record_count() == 1


def test_a_running_job_is_left_to_its_runner(write, contributor, collection, app):
    job = start_import(
        contributor,
        collection,
        write("t.csv", csv_bytes(many_rows(2))),
        None,
        dry_run=False,
    )
    with jobs._job_lock(job.public_id) as acquired:
        assert acquired
        assert run_import(job).state is JobState.QUEUED  # another process has it
        assert resume_unfinished_imports(app, background=False) == 0
    assert resume_unfinished_imports(app, background=False) == 1
    db.session.expire_all()
    assert job.state is JobState.SUCCEEDED and record_count() == 2


@pytest.fixture
def live_setup(live_server, tmp_path):
    """A library, a contributor and a collection on the live server's own database."""
    with live_server.context():
        suffix = str(time.monotonic_ns())[-6:]
        library = accounts.create_library(f"BG-{suffix}", "后台馆")
        user = accounts.create_user(
            f"bg{suffix}@example.org", library, "contributor", "pw-123456789"
        )
        collection = collections.create_collection(f"bg-{suffix}", "natural_history", "后台")
        return user.email, collection.slug


def _wait_for(live_server, public_id: str) -> JobState:
    for _ in range(200):
        with live_server.context():
            state = find_job(public_id).state
        if state in (JobState.SUCCEEDED, JobState.FAILED):
            return state
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_a_background_job_commits_progress_another_process_can_read(
    live_server, live_setup, write, monkeypatch
):
    email, slug = live_setup
    table = write("t.csv", csv_bytes(many_rows(9)))
    images = write("p.zip", archive_for(9))
    with live_server.context():
        user = accounts.find_user(email)
        job = start_import(user, collections.get_collection(slug), table, images, dry_run=False)
        public_id = job.public_id
    run_import_in_background(live_server.app, public_id).join(timeout=30)
    assert _wait_for(live_server, public_id) is JobState.SUCCEEDED
    with live_server.context():
        job = find_job(public_id)
        assert job.counts["created"] == 9 and job.processed_rows == job.total_rows == 9

    # A thread that dies marks its job interrupted; running it again finishes the work.
    with live_server.context():
        job = start_import(
            accounts.find_user(email),
            collections.get_collection(slug),
            write("u.csv", csv_bytes([HEADERS, *[[f"U{r[0]}", *r[1:]] for r in many_rows(9)[1:]]])),
            images,
            dry_run=False,
        )
        public_id = job.public_id
    original = run_module.BatchWriter.write
    monkeypatch.setattr(
        run_module.BatchWriter, "write", lambda *a: (_ for _ in ()).throw(MemoryError())
    )
    run_import_in_background(live_server.app, public_id).join(timeout=30)
    with live_server.context():
        job = find_job(public_id)
        assert job.state is JobState.FAILED and "stopped unexpectedly" in job.error
        assert job.files["resumable"]
    monkeypatch.setattr(run_module.BatchWriter, "write", original)
    with live_server.context():
        job = run_import(find_job(public_id))
        assert job.state is JobState.SUCCEEDED and job.counts["created"] == 9
        assert db.session.scalar(select(func.count(RecordRevision.id))) == 18


def test_files_of_long_finished_jobs_are_deleted_and_their_reports_kept(
    write, contributor, collection, app
):
    from datetime import timedelta

    from ingest.batch import ImportRejected, job_folder, prune_import_files, start_import_again

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
