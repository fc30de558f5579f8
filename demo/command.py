"""``huiku demo``: a ready-to-explore instance in one command."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="load the demo data only; do not start serving")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--limit", type=int, help="load only this many records (quicker, for trying out)")
@with_appcontext
def demo(no_serve: bool, host: str, port: int, limit: int | None) -> None:
    """Create the demo alliance (libraries, users, collections, published records) and serve it."""
    from demo.loader import DemoLoadFailed, demo_logins, load_demo
    from search.backends import SearchUnavailable
    from search.engine import search_backend
    from search.indexing import bring_up_to_date

    upgrade()
    with click.progressbar(length=limit or 1000, label="Loading demo records") as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - state["done"])
            state["done"] = done

        try:
            summary = load_demo(limit=limit, progress=progress)
        except DemoLoadFailed as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Demo records: {summary.created} created, {summary.existing} already present.")
    try:
        indexed = bring_up_to_date(search_backend())
        click.echo(f"Search index: {indexed} records.")
    except SearchUnavailable as error:
        click.echo(f"Search index not updated ({error.detail}); run `huiku search reindex`.")
    click.echo("Demo sign-ins (e-mail / password / role / library / collections reviewed):")
    for login in demo_logins():
        click.echo(
            f"  {login['email']:<36} {login['password']:<14} {login['role']:<12} "
            f"{login['library']:<10} {login['reviews']}".rstrip()
        )
    if not no_serve:
        from repository.server import serve_with_gunicorn

        click.echo(f"Serving Huiku on http://{host}:{port}/  (Ctrl+C to stop)")
        serve_with_gunicorn(host=host, port=port, workers=2, consumer=True)
