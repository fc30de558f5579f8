"""Checking an import's rows in worker processes while the job writes.

Checking a row (the profile's validation, the sort key, the match keys, its images) costs about
as much as writing it. A small pool of checker processes checks batches of rows a few batches
ahead while the job writes the batches already checked: on two cores an import then takes little
more than its writing. A streaming import without images has the workers read their batches
from the table themselves; otherwise the job reads the table and hands them the raw rows.
Workers are started once per server process, from a ``forkserver`` (never forked from this
process, whose other threads may hold locks), run at a lower CPU priority than the server, and
are reused by every job.

``checked_table`` yields a ``TableRead``, then lists of ``RowChecked`` in row order, then
``TableDone``, or ``CheckFailed`` when the file or the image archive cannot be used at all.
``check_batch`` and ``check_segment`` are what a worker runs.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.batch.image_source import (
    CheckedImage,
    FolderImages,
    ImageChecker,
    ImageProblem,
    ImageSource,
    NoImages,
    ZipImages,
)
from ingest.batch.limits import Limits
from ingest.batch.problems import ImportRejected, Problem, TableUnreadable
from ingest.batch.reader import SourceRow, open_table
from ingest.batch.report import created_line
from ingest.batch.rows import CheckedRow, Columns, check_row, clean_cell, map_columns
from ingest.batch.writer import new_record_values
from ingest.duplicates.keys import MatchKeys, match_keys
from repository.messages import Message
from repository.models.base import new_public_id
from repository.profiles import get_profile
from repository.profiles.validation import normalize_text

AHEAD = 3  # batches handed to the workers before the first checked one is taken back


@dataclass(frozen=True)
class CheckOrder:
    """Everything checking needs, as plain values a worker process can take."""

    folder: Path  # the job's folder
    table: str  # file name of the table in it
    encoding: str | None
    images: dict[str, Any] | None  # the job's ``files["images"]``
    profile_name: str
    default_rights: str
    bounds: Limits
    keep_images: bool  # keep unpacked images for the write (an import, not a dry run)
    read_ahead: bool  # read the whole table once before the first row (see ``TableRead``)
    prepare: bool  # compute what writing a new record needs (sort key, match keys, id)
    batch_rows: int
    batch_images: int
    workers: int = 1  # checker processes; 0 checks in this process


@dataclass
class TableRead:
    """The table's columns; with ``read_ahead``, also its exact row count and repeated ids.

    Reading ahead means a file that breaks down at row 9,000 (a stray quote, another encoding,
    too many rows) is refused before row 2 is written, and rows sharing a ``local_id`` are
    known before the first of them would be written.
    """

    columns: Columns
    encoding: str
    rows: int  # exact after reading ahead, else the reader's estimate
    repeated: dict[str, list[int]] | None  # local id → its rows; None without reading ahead
    local_ids: list[str] | None  # every local id of the table; None without reading ahead


@dataclass
class RowChecked:
    """One checked row: its problems, or what writing it needs."""

    row: CheckedRow
    images: list[CheckedImage] = field(default_factory=list)  # the verified ones, in order
    image_shas: list[str] | None = None  # None when the row names no images
    metadata_json: str | None = None  # the valid row's metadata as the database stores it
    # When prepared for writing:
    new_record: tuple | None = None  # ``writer.new_record_values`` of the record it would create
    keys: MatchKeys | None = None  # duplicate match keys
    created_line: bytes | None = None  # its report line if it creates that record

    def to_wire(self) -> tuple:
        """Plain values for the pipe: the metadata as its JSON text (one string, not a tree of
        objects, is what makes a batch cheap to send and to receive)."""
        row, keys = self.row, self.keys
        return (
            row.number,
            row.local_id,
            self.metadata_json,
            row.image_names,
            row.problems,
            self.images,
            self.image_shas,
            self.new_record,
            (tuple(keys.names), keys.taxon, tuple(keys.places)) if keys else None,
            self.created_line,
        )

    @classmethod
    def from_wire(cls, wire: tuple) -> RowChecked:
        """The row as the job receives it: its metadata stays JSON text (``metadata_json``)
        until something asks for it, which for a new record nothing does."""
        number, local_id, encoded, names, problems, images, shas, new, keys, line = wire
        return cls(
            CheckedRow(number, local_id, {}, names, problems),
            images,
            shas,
            encoded,
            new,
            MatchKeys(frozenset(keys[0]), keys[1], frozenset(keys[2])) if keys else None,
            line,
        )


@dataclass
class TableDone:
    rows: int
    repeated: dict[str, list[int]]


@dataclass
class CheckFailed:
    """The table or the image archive cannot be used at all; nothing is to be written."""

    problems: list[Problem]


CheckItem = TableRead | list[RowChecked] | TableDone | CheckFailed


class CheckerStopped(RuntimeError):
    """The checker process ended without finishing (killed, or a fault in the checking code)."""


def image_checker(order: CheckOrder, *, keep_files: bool) -> ImageChecker:
    """The job's image checker; ImportRejected when its archive changed since it was queued."""
    info = order.images
    source: ImageSource
    if info is None:
        source = NoImages()
    elif info["kind"] == "zip":
        source = ZipImages(order.folder / info["stored"], info["name"], order.bounds.images_zip)
    else:
        source = FolderImages(order.folder / info["stored"], info["name"])
    return ImageChecker(
        source,
        order.folder / "unpacked",
        max_bytes=order.bounds.max_bytes,
        max_pixels=order.bounds.max_pixels,
        keep_files=keep_files,
    )


def checked_table(order: CheckOrder) -> Iterator[CheckItem]:
    """Read the job's table and have every row checked, in batches; see the module docstring."""
    try:
        image_checker(order, keep_files=False).source.close()  # the archive is still sound
    except ImportRejected as error:
        yield CheckFailed([Problem(error.message)])
        return
    try:
        yield from _checked_batches(order)
    except TableUnreadable as error:
        yield CheckFailed(error.problems)


def _checked_batches(order: CheckOrder) -> Iterator[CheckItem]:
    profile = get_profile(order.profile_name)
    path = order.folder / order.table
    checking = _Checking(order)
    with open_table(path, encoding=order.encoding) as table:
        checking.columns = columns = map_columns(profile, table.headers)
        if order.read_ahead and order.workers > 0 and order.images is None:
            try:
                yield from _checked_segments(checking, columns, table.encoding)
            finally:
                checking.close()
            return

        def opened() -> TableRead:
            ahead = checking.read_ahead_result() if order.read_ahead else None
            return TableRead(
                columns,
                table.encoding,
                ahead.rows if ahead is not None else table.estimated_rows,
                ahead.repeated if ahead else None,
                list(ahead.local_ids) if ahead else None,
            )

        # Without reading ahead, repeated local ids are found on the way (after reading ahead,
        # they are already known, and every id need not be held a second time).
        local_ids = LocalIds() if not order.read_ahead else None
        announced = False
        counted = 0
        try:
            for batch in _batches(table.rows, order, columns):
                counted += len(batch)
                _within_limit(counted, order.bounds, batch[-1].number)
                checking.submit(batch)
                if checking.pending < AHEAD:
                    continue
                if not announced:  # the workers have their first batches meanwhile
                    yield opened()
                    announced = True
                yield _noted(checking.next(), local_ids)
            if not announced:
                yield opened()
            while checking.pending:
                yield _noted(checking.next(), local_ids)
        finally:
            checking.close()
    repeated = local_ids.repeated if local_ids else checking.read_ahead_result().repeated
    yield TableDone(counted, repeated)


def _checked_segments(checking: _Checking, columns: Columns, encoding: str) -> Iterator[CheckItem]:
    """Rows without images, checked by workers that read them from the table themselves.

    The first batches go out at once, by position in the table; this process reads the table
    ahead meanwhile, and then hands out exactly the batches left. It never holds a row itself:
    reading and sending every row through a pipe would cost it about a tenth of the import.
    """
    size = checking.order.batch_rows
    for index in range(AHEAD):
        checking.submit_segment(index * size, (index + 1) * size)
    ahead = checking.read_ahead_result()
    yield TableRead(columns, encoding, ahead.rows, ahead.repeated, list(ahead.local_ids))
    for index in range(AHEAD, -(-ahead.rows // size)):
        checking.submit_segment(index * size, (index + 1) * size)
        yield checking.next()
    while checking.pending:
        checked = checking.next()
        if checked:  # the first batches may lie beyond a short table's end
            yield checked
    yield TableDone(ahead.rows, ahead.repeated)


def _batches(rows: Iterable[SourceRow], order: CheckOrder, columns: Columns) -> Iterator[list]:
    """Rows in batches of ``batch_rows``, fewer when they name ``batch_images`` images."""
    images_column = columns.by_field.get("images")
    batch: list[SourceRow] = []
    images = 0
    for row in rows:
        batch.append(row)
        if images_column is not None and images_column.index < len(row.cells):
            cell = row.cells[images_column.index]
            images += (cell.count(";") + cell.count("；") + 1) if cell.strip() else 0
        if len(batch) >= order.batch_rows or images >= order.batch_images:
            yield batch
            batch, images = [], 0
    if batch:
        yield batch


def _noted(checked: list[RowChecked], local_ids: LocalIds | None) -> list[RowChecked]:
    if local_ids is not None:
        for item in checked:
            local_ids.add(item.row.local_id, item.row.number)
    return checked


class _Checking:
    """Work on its way through the workers, taken back in the order it was given."""

    def __init__(self, order: CheckOrder) -> None:
        self.order = order
        self.columns: Columns | None = None
        self.futures: deque[Future] = deque()
        self.local: deque[list[SourceRow]] = deque()  # checked here when there are no workers
        self.local_images: ImageChecker | None = None
        self.ahead: _ReadAhead | None = None
        self.pool: ProcessPoolExecutor | None = None  # the pool this job's work went to

    @property
    def pending(self) -> int:
        return len(self.futures) + len(self.local)

    def read_ahead_result(self) -> _ReadAhead:
        """The table read through, here: by the time this is first asked, the workers have
        their first batches, so the job's process reads while they check (reading ahead in a
        worker would put it before all the checking, which is what an import waits for)."""
        if self.ahead is None:
            self.ahead = _read_ahead(self.order, self.order.folder / self.order.table)
        return self.ahead

    def submit(self, batch: list[SourceRow]) -> None:
        if self.order.workers <= 0:
            self.local.append(batch)
        else:
            self.futures.append(self._submit(check_batch, self.order, self.columns, batch))

    def submit_segment(self, start: int, stop: int) -> None:
        """Rows ``start`` to ``stop`` of the table (blank rows not counted), read by a worker."""
        self.futures.append(self._submit(check_segment, self.order, self.columns, start, stop))

    def next(self) -> list[RowChecked]:
        if self.local:
            if self.local_images is None:
                self.local_images = image_checker(self.order, keep_files=self.order.keep_images)
            batch = self.local.popleft()
            wires = check_batch(self.order, self.columns, batch, self.local_images)
        else:
            wires = self._result(self.futures.popleft())
        return [RowChecked.from_wire(wire) for wire in wires]

    def close(self) -> None:
        """Cancel what the workers have not started; let go of the images."""
        for future in self.futures:
            future.cancel()
        self.futures.clear()
        self.local.clear()
        if self.local_images is not None:
            self.local_images.source.close()

    def _submit(self, function: Any, *args: Any) -> Future:
        """Hand work to the pool; a pool found broken (a worker died while idle, say) is
        replaced once, since nothing of this job was in it yet."""
        for attempt in (1, 2):
            pool = self.pool = _pool(self.order.workers)
            try:
                return pool.submit(function, *args)
            except (BrokenProcessPool, RuntimeError) as error:  # broken, or shut down
                _discard_pool(pool)
                if attempt == 2 or self.futures:
                    raise CheckerStopped(f"the row checkers stopped: {error}") from None
        raise AssertionError("unreachable")

    def _result(self, future: Future) -> Any:
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError) as error:
            _discard_pool(self.pool)
            raise CheckerStopped(f"the row checkers stopped: {error!r}") from None


@dataclass
class _ReadAhead:
    rows: int
    repeated: dict[str, list[int]]
    local_ids: Iterable[str]


def _read_ahead(order: CheckOrder, path: Path) -> _ReadAhead:
    """Read the table through for its shape alone: row count, limits and local ids."""
    profile = get_profile(order.profile_name)
    with open_table(path, encoding=order.encoding) as table:
        columns = map_columns(profile, table.headers)
        column = columns.by_field.get("local_id")
        local_ids = LocalIds()
        counted = 0
        for source_row in table.rows:
            counted += 1
            _within_limit(counted, order.bounds, source_row.number)
            if column is not None and column.index < len(source_row.cells):
                local_ids.add(local_id_of(source_row.cells[column.index]), source_row.number)
    return _ReadAhead(counted, local_ids.repeated, local_ids.first_row_of)


def local_id_of(cell: str) -> str:
    """A ``local_id`` cell as the row's check cleans it (identifiers fold full-width forms)."""
    return normalize_text(unicodedata.normalize("NFKC", clean_cell(cell)))


class LocalIds:
    """The rows of each local id seen so far, and the ids used by more than one row."""

    def __init__(self) -> None:
        self.first_row_of: dict[str, int] = {}
        self.repeated: dict[str, list[int]] = {}

    def add(self, local_id: str, number: int) -> None:
        if not local_id:
            return
        first = self.first_row_of.setdefault(local_id, number)
        if first != number:
            self.repeated.setdefault(local_id, [first]).append(number)


def _within_limit(counted: int, bounds: Limits, number: int) -> None:
    if counted > bounds.max_rows:
        message = _TOO_MANY_ROWS.format(limit=bounds.max_rows)
        raise TableUnreadable([Problem(message, row=number)])


# In the worker --------------------------------------------------------------------------------


def check_batch(
    order: CheckOrder,
    columns: Columns,
    rows: list[SourceRow],
    images: ImageChecker | None = None,
) -> list[tuple]:
    """Check a batch of rows against the profile and the images; ``RowChecked`` wire tuples.

    A worker keeps one image checker per job (``images`` is given in the job's own process).
    """
    if images is None:
        with _worker_jobs.lock:
            return check_batch(order, columns, rows, _worker_jobs.job(order).image_checker())
    profile = get_profile(order.profile_name)
    checker = images
    checked_rows = []
    for source_row in rows:
        checked = check_row(
            profile, columns, source_row.number, source_row.cells, order.default_rights
        )
        result = _check_images(checked, checker, columns, profile)
        if checked.ok:
            result.metadata_json = encoded = json.dumps(checked.metadata)
            if order.prepare:
                public_id = new_public_id()
                result.new_record = new_record_values(profile, checked.metadata, encoded, public_id)
                result.keys = match_keys(profile, checked.metadata)
                result.created_line = created_line(checked.number, checked.local_id, public_id)
        checked_rows.append(result.to_wire())
    return checked_rows


def check_segment(order: CheckOrder, columns: Columns, start: int, stop: int) -> list[tuple]:
    """``check_batch`` of rows ``start`` to ``stop``, read from the table here, in the worker."""
    with _worker_jobs.lock:
        job = _worker_jobs.job(order)
        return check_batch(order, columns, job.rows_between(start, stop), job.image_checker())


class _JobInWorker:
    """What a worker keeps of one job: the image checker, so that an archive is indexed once
    per job, not per batch, and the table where the worker stopped reading it."""

    def __init__(self, order: CheckOrder) -> None:
        self.order = order
        self.checker: ImageChecker | None = None
        self.table: ExitStack | None = None
        self.rows: Iterator[SourceRow] | None = None
        self.position = 0  # rows of the table read so far
        self.used = time.monotonic()

    def image_checker(self) -> ImageChecker:
        if self.checker is None:
            self.checker = image_checker(self.order, keep_files=self.order.keep_images)
        return self.checker

    def rows_between(self, start: int, stop: int) -> list[SourceRow]:
        """Rows ``start`` to ``stop`` of the table. A worker is handed a job's batches in table
        order, so it reads on from where it stopped (skipping, with two or more workers, the
        rows another worker checks)."""
        if self.rows is None or self.position > start:
            self.close_table()
            self.table = ExitStack()
            order = self.order
            table = self.table.enter_context(
                open_table(order.folder / order.table, encoding=order.encoding)
            )
            self.rows, self.position = table.rows, 0
        try:
            for _ in range(start - self.position):
                next(self.rows)
                self.position += 1
            batch = list(itertools.islice(self.rows, stop - start))
        except StopIteration:
            return []
        except BaseException:
            self.close_table()  # a reader that failed cannot go on
            raise
        self.position += len(batch)
        return batch

    def close_table(self) -> None:
        if self.table is not None:
            self.table.close()
        self.table = self.rows = None

    def close(self) -> None:
        if self.checker is not None:
            self.checker.source.close()
        self.close_table()
        self.checker = None


class _JobsInWorker:
    """The jobs a worker is checking for, several at once when imports run side by side (each
    keeps its own place in its table), each let go of when idle, so a finished job's files,
    deleted by then, do not stay open (and on disk) until the next job."""

    IDLE_SECONDS = 10.0
    MOST = 4  # jobs kept at once; the one unused the longest makes room

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[tuple, _JobInWorker] = {}

    def job(self, order: CheckOrder) -> _JobInWorker:
        """The worker's state for this job (the caller holds ``lock``)."""
        # What the state depends on: the job's files, how the table is read, whether
        # unpacked images are kept for the write.
        key = (order.folder, order.table, order.encoding, order.keep_images)
        job = self.jobs.pop(key, None)
        if job is None or job.order != order:
            if job is not None:
                job.close()
            elif len(self.jobs) >= self.MOST:
                self.jobs.pop(next(iter(self.jobs))).close()
            job = _JobInWorker(order)
        job.used = time.monotonic()
        self.jobs[key] = job  # the most recently used last
        return job

    def close_idle(self) -> None:
        with self.lock:
            now = time.monotonic()
            for key, job in list(self.jobs.items()):
                if now - job.used > self.IDLE_SECONDS:
                    del self.jobs[key]
                    job.close()


_worker_jobs = _JobsInWorker()


def _check_images(
    checked: CheckedRow, checker: ImageChecker, columns: Columns, profile: Any
) -> RowChecked:
    """Verify the row's images: a problem per bad one, the verified ones for the write."""
    result = RowChecked(checked)
    if not checked.image_names:
        return result
    header = columns.header_for("images", profile)
    column = columns.by_field.get("images")
    result.image_shas = []
    for name in checked.image_names:
        try:
            image = checker.check(name)
        except ImageProblem as problem:
            checked.problems.append(
                Problem(
                    problem.message,
                    row=checked.number,
                    column=header,
                    field="images",
                    value=name,
                    cell=f"{column.letter}{checked.number}" if column else "",
                    fix=problem.fix,
                )
            )
            continue
        result.images.append(image)
        result.image_shas.append(image.sha256)
    return result


# The pool ---------------------------------------------------------------------------------------

_pool_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_executor_workers = 0


def _pool(workers: int) -> ProcessPoolExecutor:
    """The process's checker pool, started on first use (later jobs find it warm)."""
    global _executor, _executor_workers
    with _pool_lock:
        if _executor is None or _executor_workers != workers:
            if _executor is not None:
                _executor.shutdown(wait=False, cancel_futures=True)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["ingest.batch.checking"])
            _executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            _executor_workers = workers
        return _executor


#: How much lower than the server's the checkers' CPU priority is (``nice``): on a machine as
#: small as an alliance's, checking an import must never slow the pages readers are waiting
#: for, nor the import's own writing, which every checked row waits for.
WORKER_NICENESS = 10


def _start_worker(server: int) -> None:
    os.nice(WORKER_NICENESS)
    _leave_with_the_server(server)


def _leave_with_the_server(server: int, interval: float = 2.0) -> None:
    """In a worker: exit when the server process that started the pool is gone (and, on the
    way, let go of an idle job's images).

    A worker would otherwise outlive a server process that was killed (not stopped), holding
    its memory for good: neither it nor the forkserver it came from, which stays while any of
    its children does, is told.
    """

    def watch() -> None:
        while True:
            try:
                os.kill(server, 0)
            except ProcessLookupError:
                os._exit(0)
            _worker_jobs.close_idle()
            time.sleep(interval)

    threading.Thread(target=watch, name="leave-with-the-server", daemon=True).start()


def pool_running() -> bool:
    """Whether this process has started its checker pool (later jobs use it at no cost)."""
    return _executor is not None


def start_checkers(workers: int) -> None:
    """Start the checker pool now, so that the first import does not wait for it (a second or
    so: the worker loads the profiles, pinyin and script tables once)."""
    if workers > 0:
        _pool(workers).submit(get_profile, "generic").result()


def _discard_pool(broken: ProcessPoolExecutor | None) -> None:
    """Drop the pool that broke, not one another job has started since."""
    global _executor
    with _pool_lock:
        if _executor is None or _executor is not broken:
            return
        _executor.shutdown(wait=False, cancel_futures=True)
        _executor = None


_TOO_MANY_ROWS = Message(
    "The file has more than {limit} rows, the most one import takes; split it into several files.",
    "文件超过 {limit} 行，即单次导入的上限；请拆分为多个文件。",
)
