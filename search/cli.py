"""``huiku search …``: rebuild the index, report on it, apply the outbox."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from search.backends import SearchUnavailable
from search.engine import backend_kind, search_backend, start_check
from search.indexing import index_report, reindex
from search.outbox import drain_outbox

search_cli = click.Group("search", help="The search index (derived from the database).")


def _unavailable(error: SearchUnavailable) -> click.ClickException:
    return click.ClickException(f"{error.message} / {error.message.zh} ({error.detail})")


@search_cli.command("reindex")
@click.option("--queue", is_flag=True, help="leave the work to a `huiku worker` (a task)")
@with_appcontext
def reindex_command(queue: bool) -> None:
    """Rebuild the index from the database into a new index, then switch to it at once."""
    if queue:
        from search.tasks import rebuild_index

        rebuild_index()
        click.echo("reindexing queued for the workers")
        return
    backend = search_backend()

    def progress(done: int) -> None:
        click.echo(f"\r  {done} records indexed", nl=False, err=True)

    try:
        count = reindex(backend, progress=progress)
    except SearchUnavailable as error:
        raise _unavailable(error) from None
    click.echo("", err=True)
    click.echo(
        f"reindexed {count} public records (harvested ones included) into {backend.status().name}"
    )


@search_cli.command("status")
@click.option("--check-ids", is_flag=True, help="also list records missing from the index")
@with_appcontext
def status_command(check_ids: bool) -> None:
    """Compare the index with the database; exit status 1 when they differ."""
    backend = search_backend()
    check = start_check()  # its problem, if any, was logged; a failure below names it too
    try:
        report = index_report(backend, backend_kind(backend), compare_ids=check_ids)
    except SearchUnavailable as error:
        raise _unavailable(error) from None
    lines = [
        ("backend", report.backend),
        *([("start-up check", "ok" if check.ok else check.problem)] if check else []),
        ("index", report.index),
        ("documents in the index", report.indexed),
        ("public records in the database (harvested ones included)", report.published),
        ("outbox rows pending", report.outbox.pending),
        ("outbox rows that failed at least once", report.outbox.failing),
    ]
    if report.outbox.oldest:
        lines.append(("oldest pending change", report.outbox.oldest.isoformat(timespec="seconds")))
    if report.outbox.last_error:
        lines.append(("last error", report.outbox.last_error[:200]))
    if check_ids:
        lines.append(("missing from the index", " ".join(report.missing[:20]) or "none"))
        lines.append(("in the index but not public", " ".join(report.extra[:20]) or "none"))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        click.echo(f"{label:<{width}}  {value}")
    click.echo("in sync" if report.in_sync else "NOT in sync: run `huiku search sync` or reindex")
    sys.exit(0 if report.in_sync else 1)


@search_cli.command("sync")
@with_appcontext
def sync_command() -> None:
    """Apply every pending outbox row now; exit status 1 if the engine refused them."""
    outcome = drain_outbox(search_backend(), refresh=True)
    click.echo(f"applied {outcome.applied} outbox rows")
    if outcome.failed:
        raise click.ClickException(f"{outcome.failed} rows wait for the engine: {outcome.error}")
