"""One run of an import job, from wherever it stands to its end: the check pass, then the
write pass (see ``ingest.batch.jobs`` for the whole story)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from ingest.batch.image_source import (
    FolderImages,
    ImageChecker,
    ImageProblem,
    ImageSource,
    NoImages,
    ZipImages,
)
from ingest.batch.limits import job_folder, limits
from ingest.batch.problems import (
    CANNOT_CONTRIBUTE,
    CANNOT_PUBLISH,
    ImportRejected,
    Problem,
    TableUnreadable,
)
from ingest.batch.reader import open_table
from ingest.batch.report import (
    Line,
    ReportFile,
    count_outcomes,
    final_lines,
    line_of,
    outcome_entry,
    problem_entry,
    store_report,
)
from ingest.batch.rows import CheckedRow, Columns, check_row, map_columns
from ingest.batch.writer import BatchWriter, PlannedRow, Written, existing_records, plan
from ingest.duplicates import flag_new_records, flag_possible_duplicates
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

BATCH_ROWS = 500
BATCH_IMAGES = 10
LOOKUP_ROWS = 250  # rows whose local ids are looked up together in the check pass
PROGRESS_SECONDS = 1.0  # the check pass commits its progress at most this often
ANALYZE_AFTER_ROWS = 1_000  # records written by a job after which table statistics are renewed
FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})
# What one row can cause; anything else (a lost connection, a full disk) stops the job, which
# can then be resumed, rather than failing every row of the batch with the same message.
_ROW_ERRORS = (IntegrityError, DataError, HuikuError, ImageProblem, FileTooLarge)

Progress = Callable[[int, int], None]


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
        self.source: ImageSource | None = None
        self.checker: ImageChecker | None = None
        self.columns: Columns | None = None

    # The whole run ----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            problem = self._permission_problem()
            if problem is not None:
                self._fail([problem], problem.message)
                return
            state = self.job.files or {}
            if not state.get("checked"):
                self._check_pass()
                if self.job.state in FINAL_STATES:
                    return
            self._write_pass()
            self._finish()
        finally:
            if self.source is not None:
                self.source.close()

    def _permission_problem(self) -> Problem | None:
        user = self.user
        if user is None or not permissions.can_contribute(user, self.collection):
            return Problem(CANNOT_CONTRIBUTE.format(slug=self.collection.slug))
        if self.options.get("publish") and not permissions.can_review(user, self.collection):
            return Problem(CANNOT_PUBLISH.format(slug=self.collection.slug))
        return None

    def _image_checker(self, *, keep_files: bool) -> ImageChecker:
        if self.checker is None:
            info = (self.job.files or {}).get("images")
            if info is None:
                self.source = NoImages()
            elif info["kind"] == "zip":
                self.source = ZipImages(
                    self.folder / info["stored"], info["name"], self.bounds.images_zip
                )
            else:
                self.source = FolderImages(self.folder / info["stored"], info["name"])
            self.checker = ImageChecker(
                self.source,
                self.folder / "unpacked",
                max_bytes=self.bounds.max_bytes,
                max_pixels=self.bounds.max_pixels,
                keep_files=keep_files,
            )
        return self.checker

    # Pass 1: check every row ------------------------------------------------------------------

    def _check_pass(self) -> None:
        job = self.job
        with unit_of_work():
            job.state = JobState.VALIDATING
            job.started_at = job.started_at or utcnow()
            job.finished_at = None
            job.error = ""
            job.processed_rows = 0
            job.files = {**(job.files or {}), "resumable": False, "checked": False}
        self.report.truncate(0)
        try:
            checker = self._image_checker(keep_files=not job.dry_run)
        except ImportRejected as error:  # the archive changed since it was queued
            self._fail([Problem(error.message)], error.message)
            return
        table_info = job.files["table"]
        try:
            with (
                open_table(
                    self.folder / table_info["stored"], encoding=self.options.get("encoding")
                ) as table,
                self.spool.open("w", encoding="utf-8") as spool,
            ):
                self.columns = map_columns(self.profile, table.headers)
                with unit_of_work():
                    job.total_rows = table.estimated_rows
                    job.files = {
                        **job.files,
                        "table": {**table_info, "encoding": table.encoding},
                    }
                counted = self._check_rows(table.rows, checker, spool)
        except TableUnreadable as error:
            self._fail(error.problems, error.problems[0].message)
            return
        if counted == 0:
            problem = Problem(_NO_ROWS, row=2)
            self._fail([problem], problem.message)
            return
        self._after_check(counted)

    def _check_rows(self, rows: Iterator, checker: ImageChecker, spool) -> int:
        job = self.job
        columns = self.columns
        assert columns is not None
        default_rights = self.collection.default_rights or ""
        first_row_of: dict[str, int] = {}
        repeated: dict[str, list[int]] = {}
        pending: list[tuple[CheckedRow, list[str] | None]] = []
        counted = 0
        last_commit = time.monotonic()
        for source_row in rows:
            counted += 1
            if counted > self.bounds.max_rows:
                message = _TOO_MANY_ROWS.format(limit=self.bounds.max_rows)
                raise TableUnreadable([Problem(message, row=source_row.number)])
            checked = check_row(
                self.profile, columns, source_row.number, source_row.cells, default_rights
            )
            shas = self._check_images(checked, checker)
            if checked.local_id:
                if checked.local_id in first_row_of:
                    repeated.setdefault(checked.local_id, [first_row_of[checked.local_id]])
                    repeated[checked.local_id].append(checked.number)
                else:
                    first_row_of[checked.local_id] = checked.number
            pending.append((checked, shas))
            if len(pending) >= LOOKUP_ROWS:
                self._plan_chunk(pending, spool)
                pending = []
            self.progress(counted, max(counted, job.total_rows))
            if time.monotonic() - last_commit >= PROGRESS_SECONDS:
                with unit_of_work():
                    job.processed_rows = counted
                    job.total_rows = max(counted, job.total_rows)
                last_commit = time.monotonic()
        self._plan_chunk(pending, spool)
        self._report_repeated(repeated)
        return counted

    def _check_images(self, checked: CheckedRow, checker: ImageChecker) -> list[str] | None:
        """Verify the row's images; their digests, or None when the row names none."""
        if not checked.image_names:
            return None
        shas = []
        images_column = self.columns.header_for("images", self.profile) if self.columns else ""
        column = self.columns.by_field.get("images") if self.columns else None
        for name in checked.image_names:
            try:
                shas.append(checker.check(name).sha256)
            except ImageProblem as problem:
                checked.problems.append(
                    Problem(
                        problem.message,
                        row=checked.number,
                        column=images_column,
                        field="images",
                        value=name,
                        cell=f"{column.letter}{checked.number}" if column else "",
                        fix=problem.fix,
                    )
                )
        return shas

    def _plan_chunk(self, pending: list[tuple[CheckedRow, list[str] | None]], spool) -> None:
        """Look the chunk's local ids up at once, predict each outcome, spool the valid rows."""
        if not pending:
            return
        job = self.job
        header = self.columns.header_for("local_id", self.profile) if self.columns else ""
        found = existing_records(
            job.library_id, (checked.local_id for checked, _ in pending if checked.ok)
        )
        entries = []
        lines = []  # the spool, which only an import reads
        for checked, shas in pending:
            row = PlannedRow(
                checked.number, checked.local_id, checked.metadata, checked.image_names
            )
            if checked.ok:
                outcome, problem = plan(
                    self.collection, self.user, row, shas, found.get(row.local_id), header
                )
                if problem is not None:
                    checked.problems.append(problem)
            if not checked.ok:
                entries.extend(
                    problem_entry(p, local_id=checked.local_id) for p in checked.problems
                )
                lines.append(json.dumps({"row": checked.number, "failed": True}))
                continue
            if not job.dry_run:
                spooled = {
                    "row": row.number,
                    "local_id": row.local_id,
                    "metadata": row.metadata,
                    "images": row.image_names,
                }
                lines.append(json.dumps(spooled, ensure_ascii=False))
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
        header = self.columns.header_for("local_id", self.profile) if self.columns else ""
        column = self.columns.by_field.get("local_id") if self.columns else None
        entries = []
        for local_id, rows in repeated.items():
            for number in rows:
                others = ", ".join(str(r) for r in rows if r != number)
                problem = Problem(
                    _REPEATED_LOCAL_ID.format(id=local_id, others=others),
                    row=number,
                    column=header,
                    field="local_id",
                    value=local_id,
                    cell=f"{column.letter}{number}" if column else "",
                    fix=_REPEATED_LOCAL_ID_FIX,
                )
                entries.append(problem_entry(problem, local_id=local_id))
        self.report.append(entries, durable=False)
        self.job.files = {**self.job.files, "repeated_local_ids": sorted(repeated)}

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
            with unit_of_work():
                job.state = JobState.RUNNING
                job.error = ""
                job.finished_at = None
                job.files = {**job.files, "resumable": False}
        state = job.files
        self.report.truncate(state.get("report_bytes", 0))
        checker = self._image_checker(keep_files=True)
        header = self.profile.field("local_id").label_zh
        self.writer = BatchWriter(
            self.collection,
            self.user,
            publish=bool(self.options.get("publish")),
            check_image=checker.check,
            local_id_header=header,
            max_bytes=self.bounds.max_bytes,
        )
        self.repeated = set(state.get("repeated_local_ids", []))
        done_through = state.get("written_through_row", 0)
        for batch in self._batches(done_through):
            self._write_batch(batch)
        self._build_leftover_derivatives()

    def _batches(self, after_row: int) -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        images = 0
        with self.spool.open(encoding="utf-8") as spool:
            for line in spool:
                item = json.loads(line)
                if item["row"] <= after_row:
                    continue
                batch.append(item)
                images += len(item.get("images", ()))
                if len(batch) >= BATCH_ROWS or images >= BATCH_IMAGES:
                    yield batch
                    batch, images = [], 0
        if batch:
            yield batch

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        """One transaction for the batch; if it fails, each row in a transaction of its own."""
        rows = [
            PlannedRow(item["row"], item["local_id"], item["metadata"], item["images"])
            for item in batch
            if not item.get("failed") and item["local_id"] not in self.repeated
        ]
        job = self.job
        base = job.processed_rows
        position = {item["row"]: index for index, item in enumerate(batch, start=1)}

        def advance(row: PlannedRow) -> None:
            self.progress(base + position[row.number], job.total_rows)

        try:
            with unit_of_work():
                results = self.writer.write(rows, advance)
                self._flag_duplicates(results)
                self._record_progress(batch, results)
        except _ROW_ERRORS as error:
            db.session.rollback()
            self.report.truncate(job.files.get("report_bytes", 0))
            if len(batch) == 1:
                self._record_row_failure(batch, rows, error)
            else:
                for item in batch:
                    self._write_batch([item])
            return
        # Only records that got new images: looking at the others' images would cost a query each.
        build_pending_derivatives_for(
            [r.record for r in results if r.record is not None and r.new_images], iiif_tiles=True
        )

    def _record_progress(self, batch: list[dict[str, Any]], results: list[Written]) -> None:
        """Report entries and counters for the batch, committed together with its records."""
        job = self.job
        entries = []
        counts = dict(job.counts or {})
        for result in results:
            local_id = result.row.local_id
            if result.outcome == "failed":
                entries.extend(problem_entry(p, local_id=local_id) for p in result.problems)
            else:
                record_id = result.record_id
                message = _DONE[result.outcome].format(record=record_id)
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
            "written_through_row": batch[-1]["row"],
            "report_bytes": length,
        }

    def _record_row_failure(
        self, batch: list[dict[str, Any]], rows: list[PlannedRow], error: Exception
    ) -> None:
        job = self.job
        item = batch[0]
        message = (
            error.message if isinstance(error, HuikuError | ImageProblem | FileTooLarge) else None
        )
        if message is None:
            message = _NOT_SAVED.format(error=str(error).splitlines()[0][:200])
        problem = Problem(message, row=item["row"], value=item.get("local_id", ""))
        with unit_of_work():
            length = self.report.append(
                [problem_entry(problem, local_id=item.get("local_id", ""))], durable=True
            )
            counts = dict(job.counts or {})
            counts["failed"] = counts.get("failed", 0) + 1
            job.counts = counts
            job.processed_rows += 1
            job.files = {**job.files, "written_through_row": item["row"], "report_bytes": length}

    def _flag_duplicates(self, results: list[Written]) -> None:
        """Pair new and changed records with other libraries' records that look alike."""
        created = [
            (result.record_pk, result.row.metadata)
            for result in results
            if result.outcome == "created" and result.record_pk is not None
        ]
        flagged = flag_new_records(self.collection, self.job.library_id, created)
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
            if self.source is not None:
                self.source.close()
                self.source = None
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
_DONE = {
    "created": Message("record {record} created", "已新建记录 {record}"),
    "updated": Message("record {record} updated", "已更新记录 {record}"),
    "unchanged": Message("record {record} unchanged", "记录 {record} 无变化"),
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
_TOO_MANY_ROWS = Message(
    "The file has more than {limit} rows, the most one import takes; split it into several files.",
    "文件超过 {limit} 行，即单次导入的上限；请拆分为多个文件。",
)
_NOT_SAVED = Message(
    "The row could not be saved: {error}. Import it again; the rows before it are saved.",
    "此行未能保存：{error}。请重新导入；之前的行已保存。",
)
