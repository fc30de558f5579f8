"""``huiku duplicates scan``: key and flag records saved before duplicate detection existed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ingest.duplicates.flagging import flag_in_transaction
from repository.extensions import db
from repository.models import Collection, DuplicateCandidate, DuplicateState, Record
from repository.transactions import unit_of_work

duplicates_cli = click.Group("duplicates", help="Possible duplicates across member libraries.")

BATCH = 500


@duplicates_cli.command("scan")
@click.option("--collection", "slug", help="only this collection (its slug)")
@with_appcontext
def scan_command(slug: str | None) -> None:
    """Store match keys for every record and flag pairs; safe to run again at any time."""
    query = select(Record.id).order_by(Record.id)
    if slug:
        collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
        if collection is None:
            raise click.ClickException(f"no collection {slug}")
        query = query.where(Record.collection_id == collection.id)
    last_id, scanned = 0, 0
    while True:
        ids = list(db.session.scalars(query.where(Record.id > last_id).limit(BATCH)))
        if not ids:
            break
        with unit_of_work():
            for record in db.session.scalars(select(Record).where(Record.id.in_(ids))):
                flag_in_transaction(record)
        last_id, scanned = ids[-1], scanned + len(ids)
        click.echo(f"\r  {scanned} records scanned", nl=False, err=True)
    click.echo("", err=True)
    waiting = db.session.scalar(
        select(func.count(DuplicateCandidate.id)).where(
            DuplicateCandidate.state == DuplicateState.OPEN
        )
    )
    click.echo(f"scanned {scanned} records; {waiting} open pairs of possible duplicates")
