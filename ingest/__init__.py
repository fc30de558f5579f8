"""Bringing material in: the record form, images and their derivatives, batch import."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from repository import media

    media.init_app(app)  # recordings come in with records: their checks, tasks and files
    from ingest import views

    app.register_blueprint(views.blueprint)

    from ingest import api_tokens, openapi
    from ingest.api import describe_records
    from ingest.imports import api as imports_api
    from ingest.imports import schemas as imports_schemas
    from ingest.imports import views as imports_views
    from repository.openapi import register_api

    app.register_blueprint(imports_api.blueprint)  # the JSON API's, import routes included
    app.register_blueprint(api_tokens.blueprint)
    app.register_blueprint(imports_views.blueprint)
    register_api(app, openapi.register_components)
    register_api(app, imports_schemas.register_components)
    register_api(app, describe_records)
    register_api(app, imports_schemas.describe_imports)

    from ingest.duplicates import views as duplicates_views

    duplicates_views.init_app(app)

    from ingest.imports import tasks as import_tasks
    from ingest.imports.cli import import_command, prune_command, template_command

    import_tasks.register()
    app.cli.add_command(import_command)
    app.cli.add_command(template_command)
    app.cli.add_command(prune_command)
