"""Bringing material in: the record form, images and their derivatives, batch import, the demo."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ingest import views
    from ingest.demo.command import demo

    app.register_blueprint(views.blueprint)
    app.cli.add_command(demo)

    from ingest import api_imports, api_tokens, batch_views, schemas
    from ingest.api import describe_records
    from repository.openapi import register_api

    app.register_blueprint(api_imports.blueprint)  # the JSON API's, import routes included
    app.register_blueprint(api_tokens.blueprint)
    app.register_blueprint(batch_views.blueprint)
    register_api(app, schemas.register_components)
    register_api(app, describe_records)
    register_api(app, schemas.describe_imports)

    from ingest import duplicate_views

    duplicate_views.init_app(app)

    from ingest.batch import tasks as import_tasks
    from ingest.batch.cli import import_command, prune_command, template_command

    import_tasks.register()
    app.cli.add_command(import_command)
    app.cli.add_command(template_command)
    app.cli.add_command(prune_command)
