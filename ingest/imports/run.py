"""One run of an import job, from wherever its last committed batch left it to its end.

1. The table is read through once for its shape: the row count (and the row limit), and the
   rows that share a ``local_id``, which all fail. A file that cannot be read to its end is
   refused here, before anything is written.
2. Rows are taken in batches of ``BATCH_ROWS`` (fewer when they name ``BATCH_IMAGES``
   images). Each row is checked (the collection profile, its images: in an import each new
   image is stored with its derivatives and tiles as it is checked), looked up by
   (library, ``local_id``) and, in an import, written through the records service
   (``ingest.imports.batches``). A batch is one transaction holding its records, revisions,
   duplicate flags, its lines of the report and the job's progress (the rows done, the
   counts). A run after a crash starts after the last committed batch.
3. A dry run only checks; ``on_error="abort"`` checks every row first (state ``validating``)
   and writes only when none failed.

A file of more than ``IMPORT_CHUNK_ROWS`` rows (or ``IMPORT_CHUNK_IMAGES`` images) is split
after step 1 (``chunks``): the job's run ends there, and each chunk is a run of its own
(``ImportRun`` with ``chunk``) doing steps 2 and 3 for its range of rows, under its own lease,
while other workers run the others.

Between batches the lease (the job's, or the chunk's) is renewed and a cancel request is
looked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select

from ingest.imports import recordings
from ingest.imports.batches import RowBatches
from ingest.imports.chunks import (
    ABORTED,
    CHECK,
    WRITE,
    chunk_images,
    chunk_rows,
    job_phase,
    phase_state,
    settle_job,
    split_job,
    stop_chunks,
    with_chunk_progress,
    zero_counts,
)
from ingest.imports.files import JobFiles
from ingest.imports.image_source import ImageChecker
from ingest.imports.limits import Limits, limits
from ingest.imports.problems import (
    CANNOT_CONTRIBUTE,
    CANNOT_PUBLISH,
    ImportRejected,
    Problem,
    TableUnreadable,
)
from ingest.imports.reader import SourceRow, Table, open_table
from ingest.imports.report import (
    add_entries,
    clear_entries,
    problem_entry,
    record_ids_written,
)
from ingest.imports.rows import Columns, images_in, map_columns
from ingest.imports.shape import read_shape
from ingest.services import enqueue_pending_derivatives
from repository import permissions
from repository.extensions import db
from repository.media.tasks import enqueue_recording_derivatives
from repository.messages import Message
from repository.models import Asset, Collection, IngestJob, JobState, Record, User
from repository.models.base import utcnow
from repository.models.jobs import ImportChunk
from repository.tasks import Lease

log = logging.getLogger(__name__)

BATCH_ROWS = 500  # rows in one transaction
BATCH_IMAGES = 10  # images in one transaction

Progress = Callable[[IngestJob], None]


class _Stop(Exception):
    """The job cannot go on: its file, options or permissions are wrong. It ends failed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(problems[0].message))
        self.problems = problems


def first_state(job: IngestJob) -> JobState:
    """The state a job (or its chunk) runs in: ``validating`` while rows are only checked."""
    return phase_state(job)


class ImportRun:
    """One run of a claimed job, or of one claimed chunk of it (``chunk``, whose ``lease`` it
    then is); ``progress`` is told after every batch. ``run`` returns the chunks to enqueue."""

    def __init__(
        self,
        job: IngestJob,
        lease: Lease,
        progress: Progress | None = None,
        chunk: ImportChunk | None = None,
    ) -> None:
        self.job = job
        self.chunk = chunk
        self.lease = lease
        self.progress = progress or (lambda job: None)
        self.files = JobFiles(job.public_id, job.files)
        self.bounds: Limits = limits()
        self.options = dict(job.options or {})
        self.collection = db.session.get(Collection, job.collection_id)
        self.user = db.session.get(User, job.user_id) if job.user_id is not None else None
        self.profile = self.collection.profile
        self.images: ImageChecker | None = None
        self.columns: Columns | None = None
        self.repeated: dict[str, list[int]] = {}
        self.ranges: list[tuple[int, int, int]] = []  # the chunks' rows, when split
        if chunk is None:
            self.resumed = bool((job.files or {}).get("cursor"))
        else:
            self.resumed = bool(chunk.cursor_row) or chunk.attempts > 1
        self.to_enqueue: list[str] = []

    # The whole run ----------------------------------------------------------------------------

    def run(self) -> list[str]:
        try:
            self._run()
        except (_Stop, TableUnreadable) as stop:
            self._fail(stop.problems)
        except ImportRejected as refused:
            self._fail([Problem(refused.message)])
        except FileNotFoundError:
            missing = self.files.missing()
            if missing is None:
                raise
            self._fail([Problem(_FILE_GONE.format(name=missing))])
        finally:
            if self.images is not None:
                self.images.source.close()
        return self.to_enqueue

    def _run(self) -> None:
        self._check_permissions()
        missing = self.files.missing()
        if missing is not None:
            raise _Stop([Problem(_FILE_GONE.format(name=missing))])
        self.images = self.files.image_checker(self.bounds, keep_files=not self.job.dry_run)
        if self.chunk is not None:
            self._run_chunk()
            return
        self._read_shape()
        if len(self.ranges) > 1 and not self.resumed:
            self._split()
            return
        cursor = self._cursor()
        if cursor["phase"] == CHECK:
            if not self._pass(write=False):
                return
            if self.job.dry_run:
                self._finish(JobState.SUCCEEDED)
                return
            failed = self.job.counts.get("failed", 0)
            if failed:
                self.job.counts = {**zero_counts(), "failed": failed}
                self._finish(JobState.FAILED, error=ABORTED.format(failed=failed))
                return
            self._start_writing()
        if self._pass(write=True):
            self._finish(JobState.SUCCEEDED)

    def _run_chunk(self) -> None:
        """A chunk's rows, in the job's phase; the last chunk to end settles the job."""
        self._read_repeated()
        if self._pass(write=job_phase(self.job) == WRITE):
            self._end_chunk(JobState.SUCCEEDED)

    def _check_permissions(self) -> None:
        user, collection = self.user, self.collection
        if user is None or not permissions.can_contribute(user, collection):
            raise _Stop([Problem(CANNOT_CONTRIBUTE.format(slug=collection.slug))])
        if self.options.get("publish") and not permissions.can_review(user, collection):
            raise _Stop([Problem(CANNOT_PUBLISH.format(slug=collection.slug))])

    def _read_shape(self) -> None:
        """The first pass over the table (``shape``), its findings kept in the job row."""
        shape = read_shape(
            self.files.table,
            self.options.get("encoding"),
            self.profile,
            max_rows=self.bounds.max_rows,
            per_chunk=chunk_rows(),
            images_per_chunk=chunk_images(),
            keep_alive=self._keep_alive,
        )
        self.columns, self.repeated, self.ranges = shape.columns, shape.repeated, shape.ranges
        job = self.job
        job.total_rows = shape.rows
        job.files = {**job.files, "table": {**job.files["table"], "encoding": shape.encoding}}
        self.lease.renew()
        db.session.commit()

    def _split(self) -> None:
        """Hand the rows to chunks, which workers run at once; this run ends here."""
        job = self.job
        self.lease.renew(force=True)  # still this run's job: it is not split twice
        cursor = {"phase": job_phase(job), "row": 0}
        job.files = {**job.files, "cursor": cursor, "repeated": self.repeated}
        chunks = split_job(job, self.ranges)
        db.session.commit()
        self.to_enqueue = [chunk.public_id for chunk in chunks]
        log.info("import %s split into %d chunks", job.public_id, len(chunks))

    def _read_repeated(self) -> None:
        """The local ids the first pass found used twice (kept in the job row, so no chunk
        reads the whole file for them); the columns are read with the chunk's rows."""
        self.repeated = dict(self.job.files.get("repeated") or {})

    def _open_table(self) -> AbstractContextManager[Table]:
        """The table; a chunk trusts the encoding the first pass found (no second scan)."""
        found = self.job.files["table"].get("encoding") if self.chunk is not None else None
        return open_table(self.files.table, encoding=self.options.get("encoding"), found=found)

    def _cursor(self) -> dict[str, Any]:
        """Where the job (or the chunk) stands: the phase and the last row done."""
        job = self.job
        if self.chunk is not None:
            return {"phase": job_phase(job), "row": self.chunk.cursor_row}
        cursor = (job.files or {}).get("cursor")
        if not cursor:
            cursor = {"phase": job_phase(job), "row": 0}
            job.files = {**job.files, "cursor": cursor}
            job.processed_rows = 0
            job.counts = zero_counts()
            db.session.commit()
        return cursor

    def _start_writing(self) -> None:
        """An ``abort`` import whose rows all passed: write them now, from the first."""
        job = self.job
        job.files = {**job.files, "cursor": {"phase": WRITE, "row": 0}}
        clear_entries(job)
        job.processed_rows = 0
        job.counts = zero_counts()
        job.state = JobState.RUNNING
        self.lease.renew()
        db.session.commit()

    # Batches ------------------------------------------------------------------------------------

    def _pass(self, *, write: bool) -> bool:
        """Check (and with ``write``, write) the rows after the cursor; False when cancelled."""
        cursor = self._cursor()
        with self._open_table() as table:
            if self.columns is None:
                self.columns = map_columns(self.profile, table.headers)
            rows = self._row_batches()
            for batch in self._batches(table.rows, cursor["row"]):
                if self.lease.cancel_requested():
                    self._finish(JobState.CANCELLED)
                    return False
                verified = self.images.verified_count
                items = [rows.check(row, build=write) for row in batch]
                if write:
                    self._build_derivatives(rows.write(items))
                else:
                    rows.predict(items, self.images.verified_count - verified)
                if self.chunk is not None:
                    with_chunk_progress(self.job)  # the whole job's, for a progress bar
                self.progress(self.job)
        if write:
            self._build_leftover_derivatives()
        return True

    def _row_batches(self) -> RowBatches:
        return RowBatches(
            self.job,
            self.chunk,
            self.lease,
            self.collection,
            self.profile,
            self.user,
            self.columns,
            self.images,
            self.repeated,
            publish=bool(self.options.get("publish")),
            max_bytes=self.bounds.max_bytes,
            keep_alive=self._keep_alive,
        )

    def _batches(self, rows: Iterable[SourceRow], after: int) -> Iterator[list[SourceRow]]:
        batch: list[SourceRow] = []
        images = 0
        if self.chunk is not None:
            after = max(after, self.chunk.first_row - 1)
        last = self.chunk.last_row if self.chunk is not None else None
        for row in rows:
            if row.number <= after:
                continue
            if last is not None and row.number > last:
                break
            batch.append(row)
            images += images_in(row.cells, self.columns)
            if len(batch) >= BATCH_ROWS or images >= BATCH_IMAGES:
                yield batch
                batch, images = [], 0
        if batch:
            yield batch

    def _keep_alive(self, *, commit: bool = True) -> None:
        """Renew the lease during long work (images); outside a batch's writes, commit it."""
        renewed = self.lease.renew()
        if commit and (renewed or db.session.is_modified(self.lease.job)):
            db.session.commit()

    # Derivatives --------------------------------------------------------------------------------

    def _build_derivatives(self, saved: list[Record]) -> None:
        """Thumbnails, the pyramid and the IIIF tiles of the batch's new images: one task each,
        enqueued once the batch is committed (``repository.images.tasks``)."""
        if saved:
            enqueue_pending_derivatives(saved)
            enqueue_recording_derivatives(saved)
            self._keep_alive()

    def _build_leftover_derivatives(self) -> None:
        """After a crash: images and recordings of this job's records whose derivative tasks
        were not enqueued."""
        if not self.resumed or self.files.images is None:
            return
        ids = record_ids_written(self.job)
        pending = db.session.scalars(
            select(Record)
            .join(Asset, Asset.record_id == Record.id)
            .where(Record.public_id.in_(sorted(ids)), Asset.derivatives_ready.is_(False))
            .distinct()
        ).all()
        sounds = recordings.records_with_unqueued_recordings(ids)
        self._build_derivatives(list({*pending, *sounds}))

    # Endings --------------------------------------------------------------------------------------

    def _fail(self, problems: list[Problem]) -> None:
        """The file or the job's options are wrong: nothing (more) is written. In a chunk, the
        other chunks stop too (after their batch in hand), and the job ends failed."""
        db.session.rollback()
        add_entries(self.job, [problem_entry(problem) for problem in problems])
        if self.chunk is not None:
            stop_chunks(self.job.id)
            self._end_chunk(JobState.FAILED, error=problems[0].message)
            return
        cursor = (self.job.files or {}).get("cursor") or {}
        if not cursor.get("row"):
            self.job.counts = zero_counts()
        self._finish(JobState.FAILED, error=problems[0].message, start_over=True)

    def _end_chunk(self, state: JobState, *, error: Message | None = None) -> None:
        """The chunk's end, committed; then the job's, if this was its last chunk."""
        chunk = self.chunk
        chunk.state = state
        chunk.set_error(error)
        chunk.finished_at = utcnow()
        chunk.lease_holder = None
        chunk.lease_expires_at = None
        db.session.commit()
        self.to_enqueue = settle_job(self.job.id)

    def _finish(
        self, state: JobState, *, error: Message | None = None, start_over: bool = False
    ) -> None:
        """End the job: its lease given up, the working files gone.

        A failed ``abort`` import lists only the problems. A cancelled job keeps its place, so
        that a retry continues after its last batch; any other starts from the first row again.
        """
        if self.chunk is not None:
            self._end_chunk(state, error=error)
            return
        job = self.job
        if state is JobState.FAILED and not start_over:
            clear_entries(job, keep_failed=True)
        job.state = state
        job.set_error(error)
        job.finished_at = utcnow()
        job.lease_holder = None
        job.lease_expires_at = None
        if state is JobState.SUCCEEDED:
            job.processed_rows = job.total_rows
        if state is not JobState.CANCELLED:
            job.files = {key: value for key, value in job.files.items() if key != "cursor"}
        db.session.commit()
        # A dry run keeps the images for the import that follows, a cancelled job for its retry.
        self.files.clean_up(keep_images=job.dry_run or state is JobState.CANCELLED)


_FILE_GONE = Message(
    "The file {name} of this import is no longer there (deleted from the server?); upload it again."
)
