"""One run of an import job, from wherever it stands to its end (see ``ingest.batch.jobs``).

An import that skips bad rows streams: each batch of rows the checking process hands over is
written as it arrives. A dry run, and an import that must write nothing if any row fails, check
every row first (the check pass, spooling the valid rows) and only then write (the write pass).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from ingest.batch.checking import (
    CheckFailed,
    CheckItem,
    CheckOrder,
    RowChecked,
    TableDone,
    TableRead,
    checked_table,
    image_checker,
    pool_running,
)
from ingest.batch.image_source import ImageChecker, ImageProblem
from ingest.batch.limits import job_folder, limits
from ingest.batch.problems import (
    CANNOT_CONTRIBUTE,
    CANNOT_PUBLISH,
    Problem,
)
from ingest.batch.report import (
    DONE,
    Line,
    ReportFile,
    count_outcomes,
    final_lines,
    line_of,
    outcome_entry,
    problem_entry,
    store_report,
)
from ingest.batch.rows import Columns
from ingest.batch.writer import (
    BatchWriter,
    PlannedRow,
    Written,
    existing_local_ids,
    existing_records,
    plan,
)
from ingest.duplicates import flag_new_records, flag_possible_duplicates, match_keys
from ingest.services import build_pending_derivatives_for
from repository import permissions
from repository.bulk import refresh_statistics
from repository.errors import HuikuError
from repository.extensions import db
from repository.messages import Message
from repository.models import (
    Asset,
    Collection,
    DuplicateCandidate,
    DuplicateKey,
    IngestJob,
    JobState,
    Record,
    RecordRevision,
    RecordStatus,
    User,
)
from repository.models.base import utcnow
from repository.storage import FileTooLarge
from repository.transactions import unit_of_work

BATCH_ROWS = 1_000  # rows written in one transaction
CHECK_ROWS = 500  # rows a checker process checks at a time (fewer when batches are smaller)
POOL_AFTER_BYTES = 1_000_000  # a table (about 2,000 rows) worth starting the checkers for
BATCH_IMAGES = 10
PROGRESS_SECONDS = 1.0  # the check pass commits its progress at most this often
ANALYZE_AFTER_ROWS = 1_000  # records written by a job after which table statistics are renewed
FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})
# What one row can cause; anything else (a lost connection, a full disk) stops the job, which
# can then be resumed, rather than failing every row of the batch with the same message.
_ROW_ERRORS = (IntegrityError, DataError, HuikuError, ImageProblem, FileTooLarge)

Progress = Callable[[int, int], None]


@dataclass
class BatchItem:
    """One row of a batch to write: the row, or None when it is not to be written."""

    number: int
    row: PlannedRow | None
    entries: list[dict[str, Any]] = field(default_factory=list)  # its problems, for the report


class _Batches:
    """Rows gathered into batches of ``BATCH_ROWS``, fewer when they carry ``BATCH_IMAGES``."""

    def __init__(self) -> None:
        self.items: list[BatchItem] = []
        self.images = 0

    def add(self, item: BatchItem) -> list[BatchItem] | None:
        """Take a row; a full batch when this row completes one."""
        self.items.append(item)
        self.images += len(item.row.image_names) if item.row is not None else 0
        if len(self.items) < BATCH_ROWS and self.images < BATCH_IMAGES:
            return None
        full, self.items, self.images = self.items, [], 0
        return full


class JobRun:
    """One run of a job, from wherever it stands to its end."""

    def __init__(self, job: IngestJob, progress: Progress | None) -> None:
        self.job = job
        self.progress = progress or (lambda done, total: None)
        self.folder = job_folder(job.public_id)
        self.collection = db.session.get(Collection, job.collection_id)
        self.user = db.session.get(User, job.user_id) if job.user_id is not None else None
        self.profile = self.collection.profile
        self.bounds = limits()
        self.options = dict(job.options or {})
        self.report = ReportFile(self.folder / "report.jsonl")
        self.spool = self.folder / "rows.jsonl"
        self.checker: ImageChecker | None = None
        self.columns: Columns | None = None
        self.repeated: set[str] = set()
        self.existing_ids: set[str] | None = None  # when streaming, looked up before writing

    # The whole run ----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            problem = self._permission_problem()
            if problem is not None:
                self._fail([problem], problem.message)
                return
            if self._streams():
                self._stream_pass()
            else:
                if not (self.job.files or {}).get("checked"):
                    self._check_pass()
                    if self.job.state in FINAL_STATES:
                        return
                self._write_pass()
            if self.job.state not in FINAL_STATES:
                self._finish()
        finally:
            if self.checker is not None:
                self.checker.source.close()

    def _under_way(self, state: JobState, *, from_start: bool, **markers: Any) -> None:
        """Mark the job running in ``state`` (no longer failed or resumable); ``markers`` are
        set in its files. ``from_start``: its progress counts from nothing again."""
        job = self.job
        with unit_of_work():
            job.state = state
            job.started_at = job.started_at or utcnow()
            job.finished_at = None
            job.error = ""
            if from_start:
                job.processed_rows = 0
            job.files = {**(job.files or {}), "resumable": False, **markers}

    def _streams(self) -> bool:
        """Rows are written as they are checked unless nothing may be written before all are
        (or the rows were already checked and spooled: that job carries on writing them)."""
        if self.job.dry_run or self.options.get("on_error") == "abort":
            return False
        return not (self.job.files or {}).get("checked")

    def _permission_problem(self) -> Problem | None:
        user = self.user
        if user is None or not permissions.can_contribute(user, self.collection):
            return Problem(CANNOT_CONTRIBUTE.format(slug=self.collection.slug))
        if self.options.get("publish") and not permissions.can_review(user, self.collection):
            return Problem(CANNOT_PUBLISH.format(slug=self.collection.slug))
        return None

    def _image_checker(self) -> ImageChecker:
        """This process's checker, which the write asks for each image's stored copy."""
        if self.checker is None:
            self.checker = image_checker(self._order(read_ahead=False), keep_files=True)
        return self.checker

    def _order(self, *, read_ahead: bool) -> CheckOrder:
        files = self.job.files
        return CheckOrder(
            folder=self.folder,
            table=files["table"]["stored"],
            encoding=self.options.get("encoding"),
            images=files.get("images"),
            profile_name=self.collection.profile_name,
            default_rights=self.collection.default_rights or "",
            bounds=self.bounds,
            keep_images=not self.job.dry_run,
            read_ahead=read_ahead,
            prepare=read_ahead,
            batch_rows=min(CHECK_ROWS, BATCH_ROWS),
            batch_images=BATCH_IMAGES,
            workers=self._checker_workers(),
        )

    def _checker_workers(self) -> int:
        """The configured checker processes, unless starting them would cost more than they
        save: for a small table without images, when this process has not started them yet."""
        workers = int(current_app.config["IMPORT_CHECK_WORKERS"])
        files = self.job.files
        worth_it = files.get("images") or files["table"].get("bytes", 0) >= POOL_AFTER_BYTES
        return workers if pool_running() or worth_it else 0

    def _checked(self, *, read_ahead: bool) -> Iterator[CheckItem]:
        return checked_table(self._order(read_ahead=read_ahead))

    def _table_read(self, item: TableRead) -> None:
        self.columns = item.columns
        job = self.job
        with unit_of_work():
            job.total_rows = item.rows
            job.files = {**job.files, "table": {**job.files["table"], "encoding": item.encoding}}

    def _take_images(self, checked: RowChecked) -> None:
        checker = self._image_checker()
        for image in checked.images:
            checker.remember(image)

    # Streaming: write each batch as it is checked ---------------------------------------------

    def _stream_pass(self) -> None:
        job = self.job
        state = job.files or {}
        self._under_way(
            JobState.RUNNING, streaming=True, from_start=not state.get("written_through_row")
        )
        self.report.truncate(state.get("report_bytes", 0))
        done_through = state.get("written_through_row", 0)
        batches = _Batches()
        counted = 0
        for item in self._checked(read_ahead=True):
            if isinstance(item, CheckFailed):
                self._fail(item.problems, item.problems[0].message)
                return
            if isinstance(item, TableRead):
                self._table_read(item)
                self.repeated = set(item.repeated or ())
                self.repeated_rows = item.repeated or {}
                self.existing_ids = existing_local_ids(job.library_id, item.local_ids or ())
                self.writer = self._batch_writer()  # the images were found sound by now
            elif isinstance(item, TableDone):
                counted = item.rows
            else:
                for checked in item:
                    if checked.row.number > done_through:
                        full = batches.add(self._batch_item(checked))
                        if full:
                            self._write_batch(full)
        if batches.items:
            self._write_batch(batches.items)
        if counted == 0:
            problem = Problem(_NO_ROWS, row=2)
            self._fail([problem], problem.message)
            return
        self._build_leftover_derivatives()

    def _batch_item(self, checked: RowChecked) -> BatchItem:
        self._take_images(checked)
        row = checked.row
        entries = [problem_entry(p, local_id=row.local_id) for p in row.problems]
        if row.local_id in self.repeated:
            rows = self.repeated_rows[row.local_id]
            problem = self._repeated_problem(row.local_id, row.number, rows)
            entries.append(problem_entry(problem, local_id=row.local_id))
        if entries:
            return BatchItem(row.number, None, entries)
        planned = PlannedRow(
            row.number,
            row.local_id,
            None,
            row.image_names,
            metadata_json=checked.metadata_json,
            new_record=checked.new_record,
            keys=checked.keys,
            created_line=checked.created_line,
        )
        return BatchItem(row.number, planned)

    # Pass 1: check every row ------------------------------------------------------------------

    def _check_pass(self) -> None:
        job = self.job
        self._under_way(JobState.VALIDATING, checked=False, from_start=True)
        self.report.truncate(0)
        counted = 0
        repeated: dict[str, list[int]] = {}
        last_commit = time.monotonic()
        with self.spool.open("w", encoding="utf-8") as spool:
            for item in self._checked(read_ahead=False):
                if isinstance(item, CheckFailed):
                    self._fail(item.problems, item.problems[0].message)
                    return
                if isinstance(item, TableRead):
                    self._table_read(item)
                elif isinstance(item, TableDone):
                    counted, repeated = item.rows, item.repeated
                else:
                    self._plan_chunk(item, spool)
                    done = item[-1].row.number - 1
                    self.progress(done, max(done, job.total_rows))
                    if time.monotonic() - last_commit >= PROGRESS_SECONDS:
                        with unit_of_work():
                            job.processed_rows = done
                            job.total_rows = max(done, job.total_rows)
                        last_commit = time.monotonic()
        if counted == 0:
            problem = Problem(_NO_ROWS, row=2)
            self._fail([problem], problem.message)
            return
        self._report_repeated(repeated)
        self._after_check(counted)

    def _plan_chunk(self, pending: list[RowChecked], spool) -> None:
        """Look the chunk's local ids up at once, predict each outcome, spool the valid rows."""
        job = self.job
        header = self.columns.header_for("local_id", self.profile) if self.columns else ""
        found = existing_records(
            job.library_id, (item.row.local_id for item in pending if item.row.ok)
        )
        entries = []
        lines = []  # the spool, which only an import reads
        for item in pending:
            self._take_images(item)
            checked = item.row
            row = PlannedRow(
                checked.number,
                checked.local_id,
                None,
                checked.image_names,
                metadata_json=item.metadata_json,
            )
            if checked.ok:
                outcome, problem = plan(
                    self.collection,
                    self.user,
                    row,
                    item.image_shas,
                    found.get(row.local_id),
                    header,
                )
                if problem is not None:
                    checked.problems.append(problem)
            if not checked.ok:
                entries.extend(
                    problem_entry(p, local_id=checked.local_id) for p in checked.problems
                )
                lines.append(json.dumps({"row": checked.number, "failed": True}))
                continue
            if not job.dry_run:  # the metadata goes in as the JSON text it already is
                spooled = {"row": row.number, "local_id": row.local_id, "images": row.image_names}
                lines.append(
                    json.dumps(spooled, ensure_ascii=False)[:-1]
                    + f', "metadata": {row.metadata_json}}}'
                )
            else:
                existing = found.get(row.local_id)
                entries.append(
                    outcome_entry(
                        row.number,
                        outcome,
                        row.local_id,
                        _PREDICTED[outcome].format(record=existing.public_id if existing else ""),
                        record_id=existing.public_id if existing else None,
                    )
                )
        if lines:
            spool.write("\n".join(lines) + "\n")
        self.report.append(entries, durable=False)

    def _report_repeated(self, repeated: dict[str, list[int]]) -> None:
        entries = [
            problem_entry(self._repeated_problem(local_id, number, rows), local_id=local_id)
            for local_id, rows in repeated.items()
            for number in rows
        ]
        self.report.append(entries, durable=False)
        self.job.files = {**self.job.files, "repeated_local_ids": sorted(repeated)}

    def _repeated_problem(self, local_id: str, number: int, rows: list[int]) -> Problem:
        column = self.columns.by_field.get("local_id") if self.columns else None
        return Problem(
            _REPEATED_LOCAL_ID.format(
                id=local_id, others=", ".join(str(r) for r in rows if r != number)
            ),
            row=number,
            column=self.columns.header_for("local_id", self.profile) if self.columns else "",
            field="local_id",
            value=local_id,
            cell=f"{column.letter}{number}" if column else "",
            fix=_REPEATED_LOCAL_ID_FIX,
        )

    def _after_check(self, counted: int) -> None:
        job = self.job
        lines = final_lines(self.report.lines())
        counts = count_outcomes(lines)
        failures = [line for line in lines if line.outcome == "failed"]
        with unit_of_work():
            job.total_rows = counted
            job.processed_rows = 0 if not job.dry_run else counted
            job.counts = counts
        if job.dry_run:
            counts["images"] = self.checker.verified_count if self.checker else 0
            self._complete(lines, counts)
            return
        if counts["failed"] and self.options.get("on_error") == "abort":
            message = _ABORTED.format(failed=counts["failed"])
            self._complete(
                failures,
                {"created": 0, "updated": 0, "unchanged": 0, "failed": counts["failed"]},
                state=JobState.FAILED,
                error=message,
            )
            return
        # Both files must be on disk before the job row says the check is done.
        _sync(self.spool)
        length = self.report.sync()
        with unit_of_work():
            job.state = JobState.RUNNING
            # The page shows the problems while the rest is written.
            store_report(job, self.report.json_array(failures))
            job.counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": counts["failed"]}
            job.files = {
                **job.files,
                "checked": True,
                "written_through_row": 0,
                "report_bytes": length,
            }

    # Pass 2: write the valid rows -------------------------------------------------------------

    def _write_pass(self) -> None:
        job = self.job
        if job.state is not JobState.RUNNING:  # resuming a job that was marked interrupted
            self._under_way(JobState.RUNNING, from_start=False)
        state = job.files
        self.report.truncate(state.get("report_bytes", 0))
        self.writer = self._batch_writer()
        self.repeated = set(state.get("repeated_local_ids", []))
        done_through = state.get("written_through_row", 0)
        for batch in self._batches(done_through):
            self._write_batch(batch)
        self._build_leftover_derivatives()

    def _batch_writer(self) -> BatchWriter:
        return BatchWriter(
            self.collection,
            self.user,
            publish=bool(self.options.get("publish")),
            check_image=self._image_checker().check,
            local_id_header=self.profile.field("local_id").label_zh,
            max_bytes=self.bounds.max_bytes,
        )

    def _batches(self, after_row: int) -> Iterator[list[BatchItem]]:
        """The spooled rows after ``after_row``, in batches (their problems are reported)."""
        batches = _Batches()
        with self.spool.open(encoding="utf-8") as spool:
            for line in spool:
                item = json.loads(line)
                if item["row"] <= after_row:
                    continue
                row = None
                if not item.get("failed") and item["local_id"] not in self.repeated:
                    row = PlannedRow(
                        item["row"], item["local_id"], item["metadata"], item["images"]
                    )
                full = batches.add(BatchItem(item["row"], row))
                if full:
                    yield full
        if batches.items:
            yield batches.items

    def _write_batch(self, batch: list[BatchItem], *, alone: bool = False) -> None:
        """One transaction for the batch; if it fails, each row in a transaction of its own."""
        rows = [item.row for item in batch if item.row is not None]
        job = self.job
        base, total = job.processed_rows, job.total_rows
        position = {item.number: index for index, item in enumerate(batch, start=1)}

        def advance(row: PlannedRow) -> None:
            self.progress(base + position[row.number], total)

        try:
            with unit_of_work():
                existing_ids = None if alone else self.existing_ids
                results = self.writer.write(rows, advance, existing_ids=existing_ids)
                self._flag_duplicates(results)
                self._record_progress(batch, results)
        except _ROW_ERRORS as error:
            db.session.rollback()
            self.report.truncate(job.files.get("report_bytes", 0))
            if alone:
                self._record_row_failure(batch[0], error)
            else:  # each row again, looked up afresh: one may have been created meanwhile
                for item in batch:
                    self._write_batch([item], alone=True)
            return
        # Only records that got new images: looking at the others' images would cost a query each.
        build_pending_derivatives_for(
            [r.record for r in results if r.record is not None and r.new_images], iiif_tiles=True
        )

    def _record_progress(self, batch: list[BatchItem], results: list[Written]) -> None:
        """Report entries and counters for the batch, committed together with its records."""
        job = self.job
        entries = [entry for item in batch for entry in item.entries]
        counts = dict(job.counts or {})
        counts["failed"] = counts.get("failed", 0) + sum(1 for item in batch if item.entries)
        for result in results:
            local_id = result.row.local_id
            if result.outcome == "failed":
                entries.extend(problem_entry(p, local_id=local_id) for p in result.problems)
            elif result.outcome == "created" and not result.published and result.row.created_line:
                entries.append(result.row.created_line)  # made while checking
                entries.extend(result.notes)
            else:
                record_id = result.record_id
                message = DONE[result.outcome].format(record=record_id)
                if result.published:
                    message = _AND_PUBLISHED.format(done=message)
                    counts["published"] = counts.get("published", 0) + 1
                entries.append(
                    outcome_entry(
                        result.row.number, result.outcome, local_id, message, record_id=record_id
                    )
                )
                entries.extend(result.notes)
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
            counts["images"] = counts.get("images", 0) + result.new_images
        length = self.report.append(entries, durable=True)
        job.counts = counts
        job.processed_rows += len(batch)
        job.files = {
            **job.files,
            "written_through_row": batch[-1].number,
            "report_bytes": length,
        }

    def _record_row_failure(self, item: BatchItem, error: Exception) -> None:
        job = self.job
        message = (
            error.message if isinstance(error, HuikuError | ImageProblem | FileTooLarge) else None
        )
        if message is None:
            message = _NOT_SAVED.format(error=str(error).splitlines()[0][:200])
        local_id = item.row.local_id if item.row is not None else ""
        problem = Problem(message, row=item.number, value=local_id)
        with unit_of_work():
            length = self.report.append([problem_entry(problem, local_id=local_id)], durable=True)
            counts = dict(job.counts or {})
            counts["failed"] = counts.get("failed", 0) + 1
            job.counts = counts
            job.processed_rows += 1
            job.files = {**job.files, "written_through_row": item.number, "report_bytes": length}

    def _flag_duplicates(self, results: list[Written]) -> None:
        """Pair new and changed records with other libraries' records that look alike."""
        created = [
            (result.record_pk, result.row.keys or match_keys(self.profile, result.row.metadata))
            for result in results
            if result.outcome == "created" and result.record_pk is not None
        ]
        flagged = flag_new_records(self.writer.collection_id, self.writer.library_id, created)
        for result in results:
            if result.outcome == "updated" and result.record is not None:
                flagged[result.record.id] = flag_possible_duplicates(result.record)
        counts = dict(self.job.counts or {})
        for result in results:
            candidates = flagged.get(result.record_pk) if result.record_pk is not None else None
            if not candidates:
                continue
            counts["possible_duplicates"] = counts.get("possible_duplicates", 0) + len(candidates)
            others = _named_others(candidates, result.record_pk)
            result.notes = [
                outcome_entry(
                    result.row.number,
                    result.outcome,
                    result.row.local_id,
                    _POSSIBLE_DUPLICATES.format(count=len(candidates), others=others),
                    record_id=result.record_id,
                    level="note",
                )
            ]
        self.job.counts = counts

    def _build_leftover_derivatives(self) -> None:
        """Images of this job's records whose derivatives a crash interrupted."""
        if not (self.job.files or {}).get("images"):
            return
        ids = [
            line.record_id
            for line in self.report.lines()
            if line.record_id and line.outcome in ("created", "updated")
        ]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            pending = db.session.scalars(
                select(Record)
                .join(Asset, Asset.record_id == Record.id)
                .where(Record.public_id.in_(chunk), Asset.derivatives_ready.is_(False))
                .distinct()
            ).all()
            build_pending_derivatives_for(pending, iiif_tiles=True)

    # Endings ----------------------------------------------------------------------------------

    def _finish(self) -> None:
        lines = final_lines(self.report.lines())
        counts = dict(self.job.counts or {})
        counts.update(count_outcomes(lines))
        if counts.get("created", 0) + counts.get("updated", 0) >= ANALYZE_AFTER_ROWS:
            with unit_of_work():
                refresh_statistics(
                    Record.__table__,
                    RecordRevision.__table__,
                    Asset.__table__,
                    DuplicateKey.__table__,
                )
        self._complete(lines, counts)

    def _fail(self, problems: list[Problem], message: Message) -> None:
        self._complete(
            [line_of(problem_entry(problem), order) for order, problem in enumerate(problems)],
            {"created": 0, "updated": 0, "unchanged": 0, "failed": 0},
            state=JobState.FAILED,
            error=message,
        )

    def _complete(
        self,
        lines: list[Line],
        counts: dict[str, int],
        *,
        state: JobState = JobState.SUCCEEDED,
        error: Message | None = None,
    ) -> None:
        job = self.job
        images, dry_run = (job.files or {}).get("images"), job.dry_run
        text = self.report.json_array(lines)
        del lines
        with unit_of_work():
            store_report(job, text)
            job.counts = counts
            job.state = state
            job.error = f"{error} / {error.zh}" if error else ""
            job.finished_at = utcnow()
            if state is JobState.SUCCEEDED:
                job.processed_rows = job.total_rows
            job.files = {**(job.files or {}), "resumable": False}
        # The job is not touched again here: reloading it would read the whole report back.
        self._clean_up(images, dry_run)

    def _clean_up(self, info: dict[str, Any] | None, dry_run: bool) -> None:
        """Drop the working files; a dry run keeps the uploads for the import that follows."""
        self.spool.unlink(missing_ok=True)
        shutil.rmtree(self.folder / "unpacked", ignore_errors=True)
        if info and not dry_run:
            if self.checker is not None:
                self.checker.source.close()
                self.checker = None
            target = self.folder / info["stored"]
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _named_others(candidates: list[DuplicateCandidate], record_pk: int) -> Message:
    """The other records of the pairs, by public id when public; the rest only counted.

    A record another library has submitted is not public yet: its reviewers see it, the
    importing contributor learns only that it exists.
    """
    others = [
        candidate.record_high if candidate.record_low_id == record_pk else candidate.record_low
        for candidate in candidates
    ]
    named = ", ".join(other.public_id for other in others if other.status is RecordStatus.PUBLISHED)
    waiting = sum(other.status is not RecordStatus.PUBLISHED for other in others)
    if not waiting:
        return Message(named, named)
    unpublished = _AWAITING_REVIEW.format(count=waiting)
    return _LISTED_AND_WAITING.format(named=named, waiting=unpublished) if named else unpublished


_PREDICTED = {
    "created": Message("would be created", "将新建"),
    "updated": Message("would update record {record}", "将更新记录 {record}"),
    "unchanged": Message("record {record} would stay unchanged", "记录 {record} 将保持不变"),
}
_AND_PUBLISHED = Message("{done} and published", "{done}并已发布")
_POSSIBLE_DUPLICATES = Message(
    "Possibly describes the same thing as {count} record(s) of other libraries ({others}); "
    "a reviewer will compare them.",
    "可能与其他馆的 {count} 条记录（{others}）描述的是同一对象；审核员将进行比对。",
)
_AWAITING_REVIEW = Message("{count} awaiting review", "{count} 条待审核")
_LISTED_AND_WAITING = Message("{named}; {waiting}", "{named}；{waiting}")
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
