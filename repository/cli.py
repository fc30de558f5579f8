"""The ``huiku`` command: Flask's CLI (run, shell, db …) plus the administrators' commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from repository.errors import HuikuError
from repository.models import UserRole
from repository.services import accounts, collections


def main() -> None:
    from repository.app import create_app

    FlaskGroup(
        create_app=lambda: create_app(),
        add_version_option=False,
        load_dotenv=False,
        help="Huiku (汇库): the shared special-collections repository of a library alliance.",
    ).main(prog_name="huiku")


def _fail_on_service_error(function):
    """Service errors become a one-line message and exit status 1, not a traceback."""

    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except HuikuError as error:
            raise click.ClickException(f"{error.message} / {error.message.zh}") from None

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


library_cli = click.Group("library", help="Member libraries.")
user_cli = click.Group("user", help="User accounts.")
collection_cli = click.Group("collection", help="Themed collections.")


@library_cli.command("create")
@click.argument("code")
@click.option("--name-zh", required=True, help="Chinese name, e.g. 吉林省图书馆")
@click.option("--name-en", default="", help="English name")
@click.option("--region", default="", help="City or region")
@with_appcontext
@_fail_on_service_error
def create_library(code: str, name_zh: str, name_en: str, region: str) -> None:
    """Add a member library with CODE (e.g. JL-SL)."""
    library = accounts.create_library(code, name_zh, name_en, region)
    click.echo(f"library {library.code} created: {library.name_zh}")


@user_cli.command("create")
@click.argument("email")
@click.option("--library", "library_code", required=True, help="the member library's code")
@click.option("--role", type=click.Choice([role.value for role in UserRole]), required=True)
@click.option("--password", help="asked for when not given")
@click.option("--name", default="")
@click.option("--reviews", multiple=True, help="slug of a collection this reviewer reviews")
@click.option("--alliance-admin", is_flag=True, help="with --role admin: administers every library")
@with_appcontext
@_fail_on_service_error
def create_user(
    email: str,
    library_code: str,
    role: str,
    password: str | None,
    name: str,
    reviews: tuple[str],
    alliance_admin: bool,
) -> None:
    """Add a user of a member library."""
    library = accounts.get_library(library_code)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    reviewed = [collections.get_collection(slug) for slug in reviews]
    user = accounts.create_user(
        email, library, role, password, name=name, reviews=reviewed, alliance_admin=alliance_admin
    )
    kind = "alliance admin" if user.is_alliance_admin else user.role.value
    click.echo(f"user {user.email} ({kind}) created in {library.code}")


@collection_cli.command("create")
@click.argument("slug")
@click.option("--profile", required=True, help="generic, ich or natural_history")
@click.option("--title-zh", required=True)
@click.option("--title-en", default="")
@click.option("--description-zh", default="")
@click.option("--description-en", default="")
@click.option("--library", "library_code", help="coordinating library's code")
@click.option("--rights", default="", help="default rights URI or statement")
@with_appcontext
@_fail_on_service_error
def create_collection(
    slug: str,
    profile: str,
    title_zh: str,
    title_en: str,
    description_zh: str,
    description_en: str,
    library_code: str | None,
    rights: str,
) -> None:
    """Add a themed collection with SLUG described by a profile."""
    library = accounts.get_library(library_code) if library_code else None
    collection = collections.create_collection(
        slug,
        profile,
        title_zh,
        title_en,
        description_zh=description_zh,
        description_en=description_en,
        coordinating_library=library,
        default_rights=rights,
    )
    click.echo(f"collection {collection.slug} created with profile {collection.profile_name}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--consumer/--no-consumer",
    default=None,
    help="run one task consumer beside gunicorn (default: only when the queue is embedded)",
)
@with_appcontext
def serve(host: str, port: int, workers: int, consumer: bool | None) -> None:
    """Serve this instance with gunicorn (what a deployment runs, too)."""
    from repository import tasks
    from repository.server import serve_with_gunicorn

    if consumer is None:
        consumer = not tasks.uses_redis(current_app)
    serve_with_gunicorn(host=host, port=port, workers=workers, consumer=consumer)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=int, help="worker processes")
@click.option(
    "--threads",
    is_flag=True,
    help="run the workers as threads of this one process (image work releases the GIL)",
)
@with_appcontext
def worker(workers: int, threads: bool) -> None:
    """Run background tasks (imports, derivatives, the search outbox …) until stopped."""
    from repository import tasks

    app = current_app._get_current_object()
    kind = "threads" if threads else "processes"
    click.echo(f"huiku worker: {workers} {kind} on {tasks.queue_description(app)}")
    tasks.run_consumer(app, workers=workers, worker_type="thread" if threads else "process")


def register_commands(app: Flask) -> None:
    for command in (library_cli, user_cli, collection_cli, serve, worker):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
