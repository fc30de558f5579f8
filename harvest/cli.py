"""``huiku harvest …``: list sources, check one, run a harvest in the foreground."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from repository.extensions import db
from repository.models.harvest import HarvestSource
from repository.models.jobs import JobState

harvest_cli = AppGroup("harvest", help="Harvest other repositories into the one-stop search.")


def _source(slug: str) -> HarvestSource:
    source = db.session.scalar(select(HarvestSource).where(HarvestSource.slug == slug))
    if source is None:
        raise click.ClickException(f"no harvest source {slug!r} (see `huiku harvest list`)")
    return source


@harvest_cli.command("list")
def list_sources() -> None:
    """Every source: kind, state of its check, cursor and next scheduled run."""
    sources = db.session.scalars(select(HarvestSource).order_by(HarvestSource.slug)).all()
    if not sources:
        click.echo("No harvest sources.")
    for source in sources:
        state = "enabled" if source.enabled else "disabled"
        next_run = source.next_run_at.isoformat() if source.next_run_at else "-"
        click.echo(
            f"{source.slug}\t{source.kind.value}\t{state}\tcheck {source.check_state.value}\t"
            f"cursor {source.cursor or '-'}\tnext {next_run}\t{source.base_url}"
        )


@harvest_cli.command("check")
@click.argument("slug")
def check(slug: str) -> None:
    """Ask the source who it is, here and now, and keep the answer on the source."""
    from harvest.runs import check_source

    source = check_source(_source(slug).id)
    assert source is not None
    click.echo(f"{source.check_state.value}: {source.check_message}")
    if source.check_state.value != "ok":
        raise SystemExit(1)


@harvest_cli.command("run")
@click.argument("slug")
@click.option("--full", is_flag=True, help="harvest everything, not only what changed")
def run(slug: str, full: bool) -> None:
    """Harvest the source in the foreground (one run at a time per source)."""
    from harvest.runs import request_run, run_harvest
    from repository.transactions import unit_of_work

    source = _source(slug)
    with unit_of_work():
        queued = request_run(source, full=full, enqueue=False)
    if queued.state is not JobState.QUEUED:
        raise click.ClickException(f"run {queued.public_id} of {slug} is already under way")
    done = run_harvest(queued.public_id)
    assert done is not None
    click.echo(
        f"{done.state.value}: {done.pages} pages, {done.created} new, {done.updated} updated, "
        f"{done.deleted} deleted, {done.failed} failed"
    )
    for error in done.error_list:
        click.echo(f"  {error['where']}: {error['message']}")
    if done.message:
        click.echo(done.message)
    if done.state is not JobState.SUCCEEDED:
        raise SystemExit(1)
