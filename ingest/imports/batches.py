"""Checking and writing the batches of an import's run (``ingest.imports.run``).

A batch is checked row by row (the profile, its images, local ids used twice), then either
predicted (a dry run, or an ``abort`` import's first pass) or written in one transaction with
its lines of the report and the progress of the job or chunk, so that a crash leaves all of a
batch or none of it. A batch that fails as a whole is written again row by row, each row in a
transaction of its own, so one bad row costs only itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from ingest.imports.chunks import zero_counts
from ingest.imports.image_source import ImageChecker, ImageProblem
from ingest.imports.problems import Problem
from ingest.imports.reader import SourceRow
from ingest.imports.report import add_entries, problem_entry
from ingest.imports.rows import Columns, check_row
from ingest.imports.shape import repeated_problem
from ingest.imports.writer import (
    CheckedItem,
    Writer,
    Written,
    existing_records,
    outcome_entries,
    predicted_entry,
)
from repository.errors import HuikuError
from repository.extensions import db
from repository.images.storage_errors import FileTooLarge
from repository.messages import Message
from repository.models import Collection, IngestJob, Record, User
from repository.models.jobs import ImportChunk
from repository.profiles import Profile
from repository.tasks import Lease
from repository.transactions import plan_for_this_batch, unit_of_work

# What one row can cause; anything else (a lost connection, a full disk) stops the job, which
# can then be retried, rather than failing every row of the batch with the same message.
_ROW_ERRORS = (IntegrityError, DataError, HuikuError, ImageProblem, FileTooLarge)


@dataclass
class RowBatches:
    """The batches of one run: of a job, or of one of its chunks (``chunk``)."""

    job: IngestJob
    chunk: ImportChunk | None
    lease: Lease
    collection: Collection
    profile: Profile  # the collection's, as the run read it
    user: User | None
    columns: Columns
    images: ImageChecker
    repeated: dict[str, list[int]]  # local ids used on more than one row: their rows
    publish: bool
    max_bytes: int
    keep_alive: Callable[[], None]  # renews the lease during long work (images)

    def check(self, source: SourceRow, *, build: bool = False) -> CheckedItem:
        """Validate a row with the profile and verify its images; problems as report entries.

        With ``build`` (a batch about to be written), the images of a row with no other
        problem are stored with their files built as they are verified."""
        profile, default_rights = self.profile, self.collection.default_rights or ""
        row = check_row(profile, self.columns, source.number, source.cells, default_rights)
        problems = list(row.problems)
        images = None
        if row.image_names:
            images = []
            for name in row.image_names:
                try:
                    images.append(self.images.check(name, build=build and not problems))
                except ImageProblem as problem:
                    problems.append(self._image_problem(row.number, name, problem))
                self.keep_alive()
        if row.local_id in self.repeated:
            problems.append(
                repeated_problem(self.columns, profile, self.repeated, row.local_id, row.number)
            )
        entries = [problem_entry(problem, local_id=row.local_id) for problem in problems]
        return CheckedItem(row.number, row.local_id, row.metadata, images, entries)

    def predict(self, items: list[CheckedItem], verified: int) -> None:
        """A dry run's batch (or an ``abort`` import's check): what writing it would do;
        ``verified``: the images first verified in the batch."""
        plan_for_this_batch()
        writer = self._writer()
        existing = existing_records(self.job.library_id, (i.local_id for i in items if i.ok))
        entries: list[dict[str, Any]] = []
        counts = self._counts()
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

    def write(self, items: list[CheckedItem]) -> list[Record]:
        """An import's batch in one transaction; if it fails, each row in one of its own.
        Returns the records whose new images or recordings need their derivatives built."""
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
        self.images.release_unused()
        return [
            result.record
            for result in results
            if result is not None and (result.new_images or result.new_recordings)
        ]

    def _write_items(self, items: list[CheckedItem]) -> list[Written]:
        """Write the rows and commit the batch's progress with them (the caller's transaction)."""
        plan_for_this_batch()
        writer = self._writer()
        existing = existing_records(self.job.library_id, (i.local_id for i in items if i.ok))
        results = writer.write_all([item for item in items if item.ok], existing)
        pairs = writer.flag_duplicates(results)
        by_row = {result.item.number: result for result in results}
        entries: list[dict[str, Any]] = []
        counts = self._counts()
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
            _add(counts, "recordings", result.new_recordings)
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
        counts = self._counts()
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

    def _commit_progress(
        self,
        last_row: int,
        rows: int,
        entries: list[dict[str, Any]],
        counts: dict[str, int],
        *,
        commit: bool = True,
    ) -> None:
        """The batch's report entries and its progress into the job row, or the chunk's
        (committed with the batch's records: a crash leaves all or none of them)."""
        job = self.job
        add_entries(job, entries)
        if self.chunk is not None:
            self.chunk.cursor_row = last_row
            self.chunk.counts = counts
            self.chunk.processed_rows = (self.chunk.processed_rows or 0) + rows
        else:
            cursor = {**job.files["cursor"], "row": last_row}
            job.files = {**job.files, "cursor": cursor}
            job.counts = counts
            job.processed_rows = (job.processed_rows or 0) + rows
        self.lease.renew(force=True)
        if commit:
            db.session.commit()

    def _counts(self) -> dict[str, int]:
        """The counts so far of what this run keeps: the job's, or its chunk's."""
        return dict((self.chunk or self.job).counts or zero_counts())

    def _writer(self) -> Writer:
        return Writer(
            self.collection,
            self.user,
            publish=self.publish,
            max_bytes=self.max_bytes,
        )


def _problems_of(item: CheckedItem, result: Written | None) -> list[dict[str, Any]]:
    """The report entries of a row's problems: its checks', or its outcome's (a record under
    review, a local id of another collection)."""
    if result is not None and result.problem is not None:
        return [*item.problems, problem_entry(result.problem, local_id=item.local_id)]
    return item.problems


def _add(counts: dict[str, int], key: str, value: int) -> None:
    if value:
        counts[key] = counts.get(key, 0) + value


_NOT_SAVED = Message(
    "The row could not be saved: {error}. Import it again; the rows before it are saved."
)
