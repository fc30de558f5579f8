"""Keeping the index in step with the database: the outbox, reindexing and the status report."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import IndexTask
from repository.services import records
from search.indexing import index_report, reindex
from search.outbox import drain_outbox
from search.query import SearchRequest


def found(backend, text: str) -> list[str]:
    return [hit.id for hit in backend.search(SearchRequest(text=text)).hits]


def pending_tasks() -> int:
    return db.session.scalar(select(func.count(IndexTask.id)))


class TestOutbox:
    def test_publishing_makes_a_record_findable_at_once(
        self, app_backend, make_collection, make_record
    ):
        record = make_record(make_collection(), title="東北紅豆杉")
        assert found(app_backend, "红豆杉") == [record.public_id]
        assert pending_tasks() == 0

    def test_drafts_and_submitted_records_are_not_indexed(
        self, app_backend, make_collection, make_record
    ):
        from repository.models import RecordStatus

        collection = make_collection()
        make_record(collection, status=RecordStatus.DRAFT, title="草稿人参")
        make_record(collection, status=RecordStatus.SUBMITTED, title="待审人参")
        assert found(app_backend, "人参") == []

    def test_an_edit_of_a_published_record_is_reindexed(
        self, app_backend, make_collection, make_record, make_user
    ):
        record = make_record(make_collection(), title="人参")
        editor = make_user("admin", library=record.library)
        records.update_record(editor, record, {**record.metadata_, "title": "园参"})
        assert found(app_backend, "园参") == [record.public_id]
        assert found(app_backend, "人参") == []

    def test_withdrawal_removes_the_record(self, app_backend, make_collection, make_record):
        from repository.models import RecordStatus

        make_record(make_collection(), status=RecordStatus.WITHDRAWN, title="梅花鹿")
        assert found(app_backend, "梅花鹿") == []
        assert app_backend.status().documents == 0

    def test_changes_that_waited_go_out_with_the_next_public_change_not_with_any_commit(
        self, app, engine_down, new_backend, make_collection, make_record
    ):
        """Commits that queue nothing (an import's batches of drafts) leave the engine alone;
        the next one that changes what the public sees also sends what had to wait."""
        from repository.models import RecordStatus
        from repository.transactions import unit_of_work

        from .conftest import searching_with

        collection = make_collection()
        waited = make_record(collection, title="松茸")  # the engine is down: its task waits
        with searching_with(app, new_backend()) as backend:
            for task in db.session.scalars(select(IndexTask)):
                task.next_attempt_at = None  # due again
            draft = make_record(collection, status=RecordStatus.DRAFT, title="草稿人参")
            with unit_of_work():
                draft.review_comment = "补充拍摄地点"
            assert pending_tasks() == 1 and found(backend, "松茸") == []
            later = make_record(collection, title="人参")
            assert found(backend, "松茸") == [waited.public_id]
            assert found(backend, "人参") == [later.public_id]
            assert pending_tasks() == 0

    def test_index_work_of_a_transaction_rolled_back_is_forgotten(
        self, app_backend, make_collection, make_record
    ):
        """So the next commit, which queued nothing, does not go to the engine for it."""
        from repository.services.records import queue_index_task
        from repository.transactions import INDEX_TASKS_QUEUED, unit_of_work

        record = make_record(make_collection(), title="松茸")
        with pytest.raises(RuntimeError), unit_of_work():
            queue_index_task(record, "update")
            assert db.session.info.get(INDEX_TASKS_QUEUED)
            raise RuntimeError("the save failed")
        assert INDEX_TASKS_QUEUED not in db.session.info
        assert pending_tasks() == 0

    def test_changes_wait_in_the_outbox_while_the_engine_is_down(
        self, app, engine_down, new_backend, make_collection, make_record
    ):
        record = make_record(make_collection(), title="松茸")  # saved despite the engine
        assert record.is_public
        tasks = db.session.scalars(select(IndexTask)).all()
        assert tasks and all(task.attempts >= 1 and task.last_error for task in tasks)
        assert all(task.next_attempt_at is not None for task in tasks)

        # The engine is back: the next pass applies what waited.
        backend = new_backend()
        for task in tasks:
            task.next_attempt_at = None
        outcome = drain_outbox(backend, refresh=True)
        assert outcome.applied == len(tasks) and not outcome.failed
        assert found(backend, "松茸") == [record.public_id]
        assert pending_tasks() == 0


class TestReindex:
    def test_rebuilds_from_the_database(
        self, app_backend, make_collection, make_record, new_backend
    ):
        collection = make_collection()
        kept = make_record(collection, title="人参")
        make_record(collection, title="松茸")
        fresh = new_backend()  # an empty index, as after losing the engine's data
        assert reindex(fresh) == 2
        assert found(fresh, "人参") == [kept.public_id]
        report = index_report(fresh, "test", compare_ids=True)
        assert (report.indexed, report.published, report.missing, report.extra) == (2, 2, (), ())
        assert report.in_sync

    def test_status_names_records_missing_from_the_index(
        self, app, app_backend, engine_down, make_collection, make_record
    ):
        from search.engine import use_backend

        record = make_record(make_collection(), title="人参")  # engine down: not indexed
        use_backend(app, app_backend)
        report = index_report(app_backend, "test", compare_ids=True)
        assert report.missing == (record.public_id,)
        assert report.outbox.pending >= 1 and report.outbox.failing >= 1
        assert not report.in_sync


class TestOutboxTask:
    @pytest.mark.parametrize("run", ["apply_outbox", "recover_jobs"])
    def test_a_pass_applies_what_waited_while_the_engine_was_down(
        self, app, engine_down, new_backend, make_collection, make_record, run
    ):
        """By the outbox task itself, or by the recovery pass every consumer runs."""
        from repository.tasks import recover_jobs
        from search.engine import use_backend
        from search.tasks import apply_outbox

        record = make_record(make_collection(), title="松茸")
        assert pending_tasks() == 1
        for task in db.session.scalars(select(IndexTask)):
            task.next_attempt_at = None  # due now
        db.session.commit()
        backend = new_backend()
        use_backend(app, backend)

        {"apply_outbox": apply_outbox, "recover_jobs": recover_jobs}[run]()  # run inline here

        assert pending_tasks() == 0
        # The worker does not force a refresh; the engine shows new documents within a second.
        for _ in range(30):
            if found(backend, "松茸"):
                break
            time.sleep(0.1)
        assert found(backend, "松茸") == [record.public_id]
        assert pending_tasks() == 0


def test_rebuilding_reads_the_same_documents_as_publishing(make_collection, make_record):
    from search.documents import build_document
    from search.indexing import published_documents

    collection = make_collection()
    with_images = make_record(collection, title="東北紅豆杉", images=2)
    plain = make_record(
        make_collection("ich"), title="满族说部", category="民间文学", level="国家级"
    )
    rebuilt = {document["id"]: document for document in published_documents(batch_size=1)}
    assert rebuilt == {record.public_id: build_document(record) for record in (with_images, plain)}
    assert rebuilt[with_images.public_id]["thumbnail"] == with_images.assets[0].public_id
