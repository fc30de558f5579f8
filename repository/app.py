"""The application factory."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from flask import Flask

from repository import config, http_guards
from repository.extensions import csrf, db, migrate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


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

    from repository import accounts, i18n, openapi, public, tasks, workflow
    from repository.cli import register_commands

    tasks.init_app(app)

    i18n.init_app(app)
    accounts.init_app(app)
    workflow.init_app(app)
    public.init_app(app)
    openapi.init_app(app)
    register_commands(app)

    import iiif
    import ingest
    import search

    for package in (ingest, iiif, search):
        package.init_app(app)
    _prepare_mappers()
    # What exists now (modules, mappers, the pinyin and script-conversion dictionaries, some
    # 270,000 objects) lives as long as the process. Moved out of the garbage collector's
    # sight, it no longer makes every full collection walk it: during a 10,000-row import
    # that was an eighth of the time.
    gc.freeze()
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
