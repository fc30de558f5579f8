"""The application factory."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from flask import Flask

from repository import compression, config, http_guards, security
from repository.extensions import csrf, db, migrate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Packages plug themselves in through this entry-point group (see pyproject.toml); the core
#: names none of them.
PLUG_IN_GROUP = "huiku.packages"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, then each package plugs itself in."""
    app = Flask(
        "repository",
        instance_path=config.instance_path_from_environment(),
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
        static_folder=str(TEMPLATES / "static"),
    )
    config.load_config(app, overrides)
    app.json.ensure_ascii = False  # Chinese stays readable in the JSON API

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    http_guards.init_app(app)
    security.init_app(app)  # proxies, rate limits, security headers
    compression.init_app(app)  # gzip (brotli if installed) for text responses

    from repository import accounts, admin, i18n, openapi, public, tasks, workflow
    from repository.cli import register_commands

    tasks.init_app(app)

    i18n.init_app(app)
    accounts.init_app(app)
    admin.init_app(app)
    workflow.init_app(app)
    public.init_app(app)
    openapi.init_app(app)
    register_commands(app)

    for plug_in in sorted(entry_points(group=PLUG_IN_GROUP), key=lambda point: point.name):
        plug_in.load()(app)  # each package registers its own blueprints, commands and tasks
    _prepare_mappers()
    return app


def _prepare_mappers() -> None:
    """Configure the ORM mappers and their loader strategies before serving.

    Done lazily, the first requests of a multi-threaded worker race to do it, and one of them
    can fail half-way (seen as ``AttributeError: strategy`` on the first concurrent requests).
    """
    from sqlalchemy import select
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    for mapper in db.Model.registry.mappers:
        str(select(mapper.class_))
