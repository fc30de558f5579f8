"""``huiku import``, ``huiku import-template`` and ``huiku import-prune``: batch import from
the command line.

The command acts as a user of the importing library, as the web does: the one named by
``--as``, otherwise the library's first active administrator, else its first contributor,
else its first reviewer. Its records, revisions and jobs carry that user's name.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ingest.imports.jobs import prune_import_files
from ingest.imports.report import (
    OUTCOME_WORDS,
    entries_to_show,
    iter_entries,
    report_as_csv,
    report_as_xlsx,
)
from ingest.imports.services import start_import
from ingest.imports.tasks import queue_import, run_import
from ingest.imports.templates import template_csv, template_xlsx
from repository.errors import HuikuError, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import IngestJob, JobState, Library, User, UserRole
from repository.services import accounts, collections

# Entries printed in full below this many; above it only problems and notes (see --report).
PRINT_ALL_BELOW = 200
_ROLE_PREFERENCE = (UserRole.ADMIN, UserRole.CONTRIBUTOR, UserRole.REVIEWER)


@click.command("import")
@click.argument("collection_slug", metavar="COLLECTION")
@click.argument(
    "table", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--library", "library_code", required=True, help="code of the importing library")
@click.option(
    "--images",
    type=click.Path(exists=True, path_type=Path),
    help="a ZIP archive or a folder with the images the rows name",
)
@click.option("--dry-run", is_flag=True, help="check every row and image; write nothing")
@click.option("--publish", is_flag=True, help="publish the records (reviewers and admins)")
@click.option(
    "--on-error",
    type=click.Choice(["skip", "abort"]),
    default="skip",
    show_default=True,
    help="skip: import the valid rows; abort: import nothing if any row fails",
)
@click.option("--encoding", help="CSV encoding (default: detect UTF-8 or GB18030/GBK)")
@click.option("--as", "as_email", metavar="EMAIL", help="the user to act as (of that library)")
@click.option(
    "--background",
    is_flag=True,
    help="only queue the job for a worker (`huiku worker`) and print its id",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also write the whole report to this .csv or .xlsx file",
)
@with_appcontext
def import_command(
    collection_slug: str,
    table: Path,
    library_code: str,
    images: Path | None,
    dry_run: bool,
    publish: bool,
    on_error: str,
    encoding: str | None,
    as_email: str | None,
    background: bool,
    report_path: Path | None,
) -> None:
    """Import the records in FILE (CSV or XLSX) into COLLECTION for a member library.

    The job runs in this process (a worker takes it up if this process is killed), unless
    ``--background`` queues it for a worker. Exits with status 1 when any row failed (also in
    a dry run) or the file was refused.
    """
    try:
        library = accounts.get_library(library_code)
        collection = collections.get_collection(collection_slug)
        user = acting_user(library, as_email)
        job = start_import(
            user,
            collection,
            table,
            images,
            dry_run=dry_run,
            publish=publish,
            on_error=on_error,
            encoding=encoding,
        )
    except HuikuError as error:
        raise click.ClickException(_both(error.message)) from None
    what = "Checking" if dry_run else "Importing"
    click.echo(f"{what} {table.name} as {user.email} ({library.code}), job {job.public_id}")
    if background:
        queue_import(job)
        click.echo(f"Queued for a worker: job {job.public_id} (state: {job.state.value}).")
        return
    with _ProgressBars() as bars:
        run_import(job, bars)
    _print_report(job)
    if report_path is not None:
        data = report_as_xlsx(job) if report_path.suffix.lower() == ".xlsx" else report_as_csv(job)
        report_path.write_bytes(data)
        click.echo(f"Report written to {report_path}")
    failed = job.state is not JobState.SUCCEEDED or (job.counts or {}).get("failed", 0) > 0
    if failed:
        raise SystemExit(1)


@click.command("import-template")
@click.argument("collection_slug", metavar="COLLECTION")
@click.argument("output", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def template_command(collection_slug: str, output: Path) -> None:
    """Write COLLECTION's import template to PATH (.xlsx for a workbook, else CSV)."""
    try:
        collection = collections.get_collection(collection_slug)
    except HuikuError as error:
        raise click.ClickException(_both(error.message)) from None
    is_xlsx = output.suffix.lower() == ".xlsx"
    output.write_bytes(template_xlsx(collection) if is_xlsx else template_csv(collection))
    click.echo(f"Template for {collection.slug} ({collection.profile_name}) written to {output}")


def acting_user(library: Library, email: str | None) -> User:
    """The user an import runs as: ``email`` (of that library), or the library's first
    active administrator, contributor or reviewer, in that order."""
    if email:
        user = accounts.find_user(email)
        if user is None or user.library_id != library.id:
            raise NotFound(
                Message("{email} is not a user of library {code}").format(
                    email=email, code=library.code
                )
            )
        return user
    members = db.session.scalars(
        select(User).where(User.library_id == library.id, User.active).order_by(User.id)
    ).all()
    for role in _ROLE_PREFERENCE:
        for member in members:
            if member.role is role:
                return member
    raise NotFound(
        Message("library {code} has no active users; create one with `huiku user create`").format(
            code=library.code
        )
    )


class _ProgressBars:
    """One bar while rows are checked, another while they are written."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.phase: JobState | None = None
        self.shown = 0

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def __call__(self, job: IngestJob) -> None:
        done, total = job.processed_rows, job.total_rows
        if job.state is not self.phase:
            self._close()
            label = "Checking rows  " if job.state is JobState.VALIDATING else "Importing rows "
            self.bar = click.progressbar(length=max(total, 1), label=label)
            self.bar.__enter__()
            self.phase, self.shown = job.state, 0
        self.bar.length = max(total, done, 1)
        self.bar.update(done - self.shown)
        self.shown = done

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _print_report(job: IngestJob) -> None:
    counts = job.counts or {}
    if job.error:
        click.echo(f"\n{job.error}", err=True)
    words = []
    for outcome, word in OUTCOME_WORDS.items():
        words.append(f"{word.zh} {word} {counts.get(outcome, 0)}")
    extras = [
        ("images", "图片 images"),
        ("recordings", "音视频 recordings"),
        ("published", "发布 published"),
        ("possible_duplicates", "疑似重复 possible duplicates"),
    ]
    words += [f"{label} {counts[key]}" for key, label in extras if counts.get(key)]
    prefix = "预检 Dry run" if job.dry_run else "导入 Import"
    click.echo(f"\n{prefix}: " + " · ".join(words))
    entries, total = entries_to_show(job, PRINT_ALL_BELOW)
    if total > PRINT_ALL_BELOW:
        entries = [entry for entry in iter_entries(job) if entry["level"] in ("error", "note")]
    if not entries:
        return
    rows = [["行 Row", "单元格 Cell", "列 Column", "值 Value", "结果 Outcome", "说明 Message"]]
    for entry in entries:
        message = f"{entry['message_zh']} / {entry['message_en']}"
        if entry.get("fix_zh"):
            message += f" → {entry['fix_zh']} / {entry['fix_en']}"
        rows.append(
            [
                str(entry["row"] or ""),
                entry.get("cell", ""),
                entry.get("column", ""),
                entry.get("value", ""),
                _outcome_word(entry["outcome"]),
                message,
            ]
        )
    click.echo(_table(rows))


def _outcome_word(outcome: str) -> str:
    word = OUTCOME_WORDS.get(outcome)
    return f"{word.zh} {word}" if word else outcome


def _table(rows: list[list[str]], widths: tuple[int, ...] = (6, 11, 14, 18, 14)) -> str:
    """Aligned columns for a terminal, counting a Chinese character as two; the last column
    is not cut."""
    lines = []
    for row in rows:
        cells = [_fit(cell, width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def _fit(text: str, width: int) -> str:
    """``text`` padded to ``width`` columns, or cut with an ellipsis when it is wider."""
    if _width(text) > width:
        while _width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - _width(text))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _both(message: Message) -> str:
    return f"{message} / {message.zh}" if isinstance(message, Message) else str(message)


@click.command("import-prune")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="keep the files of jobs finished fewer days ago (default: IMPORT_KEEP_DAYS, 14)",
)
@with_appcontext
def prune_command(days: int | None) -> None:
    """Delete the uploaded files of import jobs that finished days ago (reports stay)."""
    pruned = prune_import_files(days)
    click.echo(
        f"Deleted the files of {pruned} finished import job(s). 已删除 {pruned} 个任务的文件。"
    )
