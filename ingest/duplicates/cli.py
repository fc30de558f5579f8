"""``huiku duplicates scan``: key and flag records saved before duplicate detection existed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ingest.duplicates.scan import scan_duplicates, scan_records
from repository.errors import HuikuError

duplicates_cli = click.Group("duplicates", help="Possible duplicates across member libraries.")


@duplicates_cli.command("scan")
@click.option("--collection", "slug", help="only this collection (its slug)")
@click.option("--queue", is_flag=True, help="leave the scan to a `huiku worker` (a task)")
@with_appcontext
def scan_command(slug: str | None, queue: bool) -> None:
    """Store match keys for every record and flag pairs; safe to run again at any time."""
    if queue:
        scan_duplicates(slug)
        click.echo("duplicate scan queued for the workers")
        return
    try:
        scanned, waiting = scan_records(
            slug, progress=lambda n: click.echo(f"\r  {n} records scanned", nl=False, err=True)
        )
    except HuikuError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo("", err=True)
    click.echo(f"scanned {scanned} records; {waiting} open pairs of possible duplicates")
