"""One run of an import job, from wherever its last committed batch left it to its end.

1. The table is read through once for its shape: the row count (and the row limit), and the
   rows that share a ``local_id``, which all fail. A file that cannot be read to its end is
   refused here, before anything is written.
2. Rows are taken in batches of ``BATCH_ROWS`` (fewer when they name ``BATCH_IMAGES``
   images). Each row is checked (the collection profile, its images), looked up by
   (library, ``local_id``) and, in an import, written through the records service. A batch is
   one transaction holding its records, revisions, duplicate flags, its lines of the report
   and the job's progress (the rows done, the counts). A run after a crash starts after the
   last committed batch.
3. A dry run only checks; ``on_error="abort"`` checks every row first (state ``validating``)
   and writes only when none failed.

Between batches the job's lease is renewed and a cancel request is looked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from ingest.imports.files import JobFiles
from ingest.imports.image_source import ImageChecker, ImageProblem
from ingest.imports.limits import Limits, limits
from ingest.imports.problems import (
    CANNOT_CONTRIBUTE,
    CANNOT_PUBLISH,
    ImportRejected,
    Problem,
    TableUnreadable,
)
from ingest.imports.reader import SourceRow, open_table
from ingest.imports.report import (
    add_entries,
    clear_entries,
    problem_entry,
    record_ids_written,
)
from ingest.imports.rows import Columns, check_row, local_id_of, map_columns
from ingest.imports.writer import (
    CheckedItem,
    Writer,
    Written,
    existing_records,
    outcome_entries,
    predicted_entry,
)
from ingest.services import enqueue_pending_derivatives
from repository import permissions
from repository.errors import HuikuError
from repository.extensions import db
from repository.images.storage import FileTooLarge
from repository.messages import Message
from repository.models import Asset, Collection, IngestJob, JobState, Record, User
from repository.models.base import utcnow
from repository.tasks import Lease
from repository.transactions import unit_of_work

log = logging.getLogger(__name__)

BATCH_ROWS = 500  # rows in one transaction
BATCH_IMAGES = 10  # images in one transaction
CHECK, WRITE = "check", "write"
# What one row can cause; anything else (a lost connection, a full disk) stops the job, which
# can then be retried, rather than failing every row of the batch with the same message.
_ROW_ERRORS = (IntegrityError, DataError, HuikuError, ImageProblem, FileTooLarge)

Progress = Callable[[IngestJob], None]


class _Stop(Exception):
    """The job cannot go on: its file, options or permissions are wrong. It ends failed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(str(problems[0].message))
        self.problems = problems


def first_state(job: IngestJob) -> JobState:
    """The state a job runs in: ``validating`` while rows are only checked."""
    cursor = (job.files or {}).get("cursor") or {}
    return JobState.RUNNING if _phase(job, cursor) == WRITE else JobState.VALIDATING


def _phase(job: IngestJob, cursor: dict[str, Any]) -> str:
    if "phase" in cursor:
        return cursor["phase"]
    checks_first = job.dry_run or (job.options or {}).get("on_error") == "abort"
    return CHECK if checks_first else WRITE


class ImportRun:
    """One run of a claimed job; ``progress`` is told after every batch."""

    def __init__(self, job: IngestJob, lease: Lease, progress: Progress | None = None) -> None:
        self.job = job
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
        self.resumed = bool((job.files or {}).get("cursor"))

    # The whole run ----------------------------------------------------------------------------

    def run(self) -> None:
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

    def _run(self) -> None:
        self._check_permissions()
        missing = self.files.missing()
        if missing is not None:
            raise _Stop([Problem(_FILE_GONE.format(name=missing))])
        self.images = self.files.image_checker(self.bounds, keep_files=not self.job.dry_run)
        self._read_shape()
        cursor = self._cursor()
        if cursor["phase"] == CHECK:
            if not self._pass(write=False):
                return
            if self.job.dry_run:
                self._finish(JobState.SUCCEEDED)
                return
            failed = self.job.counts.get("failed", 0)
            if failed:
                self.job.counts = {**_zero_counts(), "failed": failed}
                self._finish(JobState.FAILED, error=_ABORTED.format(failed=failed))
                return
            self._start_writing()
        if self._pass(write=True):
            self._finish(JobState.SUCCEEDED)

    def _check_permissions(self) -> None:
        user, collection = self.user, self.collection
        if user is None or not permissions.can_contribute(user, collection):
            raise _Stop([Problem(CANNOT_CONTRIBUTE.format(slug=collection.slug))])
        if self.options.get("publish") and not permissions.can_review(user, collection):
            raise _Stop([Problem(CANNOT_PUBLISH.format(slug=collection.slug))])

    def _read_shape(self) -> None:
        """Read the table through once: its columns, its rows, the local ids used twice."""
        first_row: dict[str, int] = {}
        counted = 0
        with open_table(self.files.table, encoding=self.options.get("encoding")) as table:
            self.columns = map_columns(self.profile, table.headers)
            column = self.columns.by_field.get("local_id")
            for row in table.rows:
                counted += 1
                if counted > self.bounds.max_rows:
                    message = _TOO_MANY_ROWS.format(limit=self.bounds.max_rows)
                    raise _Stop([Problem(message, row=row.number)])
                if column is None or column.index >= len(row.cells):
                    continue
                local_id = local_id_of(row.cells[column.index])
                if local_id:
                    first = first_row.setdefault(local_id, row.number)
                    if first != row.number:
                        self.repeated.setdefault(local_id, [first]).append(row.number)
            encoding = table.encoding
        if counted == 0:
            raise _Stop([Problem(_NO_ROWS, row=2)])
        job = self.job
        job.total_rows = counted
        job.files = {**job.files, "table": {**job.files["table"], "encoding": encoding}}
        self.lease.renew()
        db.session.commit()

    def _cursor(self) -> dict[str, Any]:
        """Where the job stands: the phase and the last row done."""
        job = self.job
        cursor = (job.files or {}).get("cursor")
        if not cursor:
            cursor = {"phase": _phase(job, {}), "row": 0}
            job.files = {**job.files, "cursor": cursor}
            job.processed_rows = 0
            job.counts = _zero_counts()
            db.session.commit()
        return cursor

    def _start_writing(self) -> None:
        """An ``abort`` import whose rows all passed: write them now, from the first."""
        job = self.job
        job.files = {**job.files, "cursor": {"phase": WRITE, "row": 0}}
        clear_entries(job)
        job.processed_rows = 0
        job.counts = _zero_counts()
        job.state = JobState.RUNNING
        self.lease.renew()
        db.session.commit()

    # Batches ------------------------------------------------------------------------------------

    def _pass(self, *, write: bool) -> bool:
        """Check (and with ``write``, write) the rows after the cursor; False when cancelled."""
        cursor = self._cursor()
        with open_table(self.files.table, encoding=self.options.get("encoding")) as table:
            for batch in self._batches(table.rows, cursor["row"]):
                if self.lease.cancel_requested():
                    self._finish(JobState.CANCELLED)
                    return False
                verified = self.images.verified_count
                items = [self._checked(row) for row in batch]
                if write:
                    self._write(items)
                else:
                    self._predict(items, self.images.verified_count - verified)
                self.progress(self.job)
        if write:
            self._build_leftover_derivatives()
        return True

    def _batches(self, rows: Iterable[SourceRow], after: int) -> Iterator[list[SourceRow]]:
        images_column = self.columns.by_field.get("images") if self.columns else None
        batch: list[SourceRow] = []
        images = 0
        for row in rows:
            if row.number <= after:
                continue
            batch.append(row)
            if images_column is not None and images_column.index < len(row.cells):
                cell = row.cells[images_column.index]
                images += cell.count(";") + cell.count("；") + 1 if cell.strip() else 0
            if len(batch) >= BATCH_ROWS or images >= BATCH_IMAGES:
                yield batch
                batch, images = [], 0
        if batch:
            yield batch

    def _checked(self, source: SourceRow) -> CheckedItem:
        """Validate a row with the profile and verify its images; problems as report entries."""
        default_rights = self.collection.default_rights or ""
        row = check_row(self.profile, self.columns, source.number, source.cells, default_rights)
        problems = list(row.problems)
        images = None
        if row.image_names:
            images = []
            for name in row.image_names:
                try:
                    images.append(self.images.check(name))
                except ImageProblem as problem:
                    problems.append(self._image_problem(row.number, name, problem))
                self._keep_alive()
        if row.local_id in self.repeated:
            problems.append(self._repeated_problem(row.local_id, row.number))
        entries = [problem_entry(problem, local_id=row.local_id) for problem in problems]
        return CheckedItem(row.number, row.local_id, row.metadata, images, entries)

    def _predict(self, items: list[CheckedItem], verified: int) -> None:
        """A dry run's batch (or an ``abort`` import's check): what writing it would do;
        ``verified``: the images first verified in the batch."""
        writer = self._writer()
        existing = existing_records(self.job.library_id, (i.local_id for i in items if i.ok))
        entries: list[dict[str, Any]] = []
        counts = dict(self.job.counts)
        for item in items:
            result = writer.predict(item, existing.get(item.local_id)) if item.ok else None
            problems = _problems_of(item, result)
            if problems:
                entries.extend(problems)
                counts["failed"] += 1
            else:
                entries.append(predicted_entry(result))
                counts[result.outcome] += 1
        if self.job.dry_run:
            counts["images"] = counts.get("images", 0) + verified
        self._commit_progress(items[-1].number, len(items), entries, counts)

    def _write(self, items: list[CheckedItem]) -> None:
        """An import's batch in one transaction; if it fails, each row in one of its own."""
        try:
            with unit_of_work():
                results = self._write_items(items)
        except _ROW_ERRORS:
            db.session.rollback()
            results = []
            for item in items:  # looked up afresh: one may have been created meanwhile
                try:
                    with unit_of_work():
                        results += self._write_items([item])
                except _ROW_ERRORS as error:
                    db.session.rollback()
                    self._row_failed(item, error)
                    results.append(None)
        self._build_derivatives([r.record for r in results if r is not None and r.new_images])

    def _write_items(self, items: list[CheckedItem]) -> list[Written]:
        """Write the rows and commit the batch's progress with them (the caller's transaction)."""
        writer = self._writer()
        existing = existing_records(self.job.library_id, (i.local_id for i in items if i.ok))
        results = writer.write_all([item for item in items if item.ok], existing)
        pairs = writer.flag_duplicates(results)
        by_row = {result.item.number: result for result in results}
        entries: list[dict[str, Any]] = []
        counts = dict(self.job.counts)
        for item in items:
            result = by_row.get(item.number)
            problems = _problems_of(item, result)
            if problems:
                entries.extend(problems)
                counts["failed"] += 1
                continue
            entries.extend(outcome_entries(result))
            counts[result.outcome] += 1
            _add(counts, "images", result.new_images)
            _add(counts, "published", int(result.published))
        _add(counts, "possible_duplicates", pairs)
        self._commit_progress(items[-1].number, len(items), entries, counts, commit=False)
        return results

    def _row_failed(self, item: CheckedItem, error: Exception) -> None:
        message = error.message if isinstance(error, HuikuError | ImageProblem) else None
        if isinstance(error, FileTooLarge):
            message = error.message
        if message is None:
            message = _NOT_SAVED.format(error=str(error).splitlines()[0][:200])
        problem = Problem(message, row=item.number, value=item.local_id)
        entry = problem_entry(problem, local_id=item.local_id)
        counts = dict(self.job.counts)
        counts["failed"] += 1
        self._commit_progress(item.number, 1, [entry], counts)

    def _image_problem(self, number: int, name: str, problem: ImageProblem) -> Problem:
        column = self.columns.by_field.get("images")
        return Problem(
            problem.message,
            row=number,
            column=self.columns.header_for("images", self.profile),
            field="images",
            value=name,
            cell=f"{column.letter}{number}" if column else "",
            fix=problem.fix,
        )

    def _repeated_problem(self, local_id: str, number: int) -> Problem:
        column = self.columns.by_field.get("local_id")
        others = ", ".join(str(row) for row in self.repeated[local_id] if row != number)
        return Problem(
            _REPEATED_LOCAL_ID.format(id=local_id, others=others),
            row=number,
            column=self.columns.header_for("local_id", self.profile),
            field="local_id",
            value=local_id,
            cell=f"{column.letter}{number}" if column else "",
            fix=_REPEATED_LOCAL_ID_FIX,
        )

    def _commit_progress(
        self,
        last_row: int,
        rows: int,
        entries: list[dict[str, Any]],
        counts: dict[str, int],
        *,
        commit: bool = True,
    ) -> None:
        """The batch's report entries and its progress into the job row (committed with the
        batch's records: a crash leaves all or none of them)."""
        job = self.job
        add_entries(job, entries)
        cursor = {**job.files["cursor"], "row": last_row}
        job.files = {**job.files, "cursor": cursor}
        job.counts = counts
        job.processed_rows = (job.processed_rows or 0) + rows
        self.lease.renew(force=True)
        if commit:
            db.session.commit()

    def _keep_alive(self, *, commit: bool = True) -> None:
        """Renew the lease during long work (images); outside a batch's writes, commit it."""
        self.lease.renew()
        if commit and db.session.is_modified(self.job):
            db.session.commit()

    def _writer(self) -> Writer:
        return Writer(
            self.collection,
            self.user,
            publish=bool(self.options.get("publish")),
            max_bytes=self.bounds.max_bytes,
        )

    # Derivatives --------------------------------------------------------------------------------

    def _build_derivatives(self, saved: list[Record]) -> None:
        """Thumbnails, the pyramid and the IIIF tiles of the batch's new images: one task each,
        enqueued once the batch is committed (``repository.images.tasks``)."""
        if saved:
            enqueue_pending_derivatives(saved)
            self._keep_alive()

    def _build_leftover_derivatives(self) -> None:
        """After a crash: images of this job's records whose derivative tasks were not enqueued."""
        if not self.resumed or self.files.images is None:
            return
        ids = record_ids_written(self.job)
        pending = db.session.scalars(
            select(Record)
            .join(Asset, Asset.record_id == Record.id)
            .where(Record.public_id.in_(sorted(ids)), Asset.derivatives_ready.is_(False))
            .distinct()
        ).all()
        self._build_derivatives(list(pending))

    # Endings --------------------------------------------------------------------------------------

    def _fail(self, problems: list[Problem]) -> None:
        """The file or the job's options are wrong: nothing (more) is written."""
        db.session.rollback()
        cursor = (self.job.files or {}).get("cursor") or {}
        add_entries(self.job, [problem_entry(problem) for problem in problems])
        if not cursor.get("row"):
            self.job.counts = _zero_counts()
        self._finish(JobState.FAILED, error=problems[0].message, start_over=True)

    def _finish(
        self, state: JobState, *, error: Message | None = None, start_over: bool = False
    ) -> None:
        """End the job: its lease given up, the working files gone.

        A failed ``abort`` import lists only the problems. A cancelled job keeps its place, so
        that a retry continues after its last batch; any other starts from the first row again.
        """
        job = self.job
        if state is JobState.FAILED and not start_over:
            clear_entries(job, keep_failed=True)
        job.state = state
        job.error = f"{error} / {error.zh}" if error else ""
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


def _problems_of(item: CheckedItem, result: Written | None) -> list[dict[str, Any]]:
    """The report entries of a row's problems: its checks', or its outcome's (a record under
    review, a local id of another collection)."""
    if result is not None and result.problem is not None:
        return [*item.problems, problem_entry(result.problem, local_id=item.local_id)]
    return item.problems


def _zero_counts() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}


def _add(counts: dict[str, int], key: str, value: int) -> None:
    if value:
        counts[key] = counts.get(key, 0) + value


def mark_interrupted(public_id: str, error: BaseException) -> None:
    """A run that stopped on an unexpected error: the job fails with the error, its rows written
    so far kept, and a retry continues after them."""
    job = db.session.scalar(select(IngestJob).where(IngestJob.public_id == public_id))
    if job is None or job.state in JobState.final():
        return
    message = _INTERRUPTED.format(rows=job.processed_rows, error=str(error)[:300] or repr(error))
    job.state = JobState.FAILED
    job.error = f"{message} / {message.zh}"
    job.finished_at = utcnow()
    job.lease_holder = None
    job.lease_expires_at = None
    db.session.commit()


_FILE_GONE = Message(
    "The file {name} of this import is no longer there (deleted from the server?); upload it "
    "again.",
    "此导入的文件 {name} 已不存在（可能已从服务器上删除）；请重新上传。",
)
_INTERRUPTED = Message(
    "The import stopped unexpectedly after {rows} rows ({error}). Rows already imported are "
    "kept; retry it to finish (it continues after them).",
    "导入在处理 {rows} 行后意外中止（{error}）。已导入的行均已保存；"
    "请重试以完成导入（将从中断处继续）。",
)
_TOO_MANY_ROWS = Message(
    "The file has more than {limit} rows, the most one import takes; split it into several files.",
    "文件超过 {limit} 行，即单次导入的上限；请拆分为多个文件。",
)
_REPEATED_LOCAL_ID = Message(
    "The local identifier {id} is also used in row(s) {others} of this file; none of these rows "
    "is imported.",
    "本馆标识 {id} 在本文件第 {others} 行也出现了；这些行均未导入。",
)
_REPEATED_LOCAL_ID_FIX = Message(
    "Give each record its own local_id, or delete the repeated row.",
    "请为每条记录使用不同的本馆标识，或删除重复的行。",
)
_ABORTED = Message(
    "{failed} row(s) have problems, so nothing was imported (on error: abort). Correct them and "
    "import again.",
    "有 {failed} 行存在问题，因此未导入任何记录（出错时：全部放弃）。请更正后重新导入。",
)
_NO_ROWS = Message(
    "The file has column headers but no rows to import.",
    "文件只有列名，没有可导入的行。",
)
_NOT_SAVED = Message(
    "The row could not be saved: {error}. Import it again; the rows before it are saved.",
    "此行未能保存：{error}。请重新导入；之前的行已保存。",
)
