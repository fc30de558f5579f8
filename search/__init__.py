"""Indexing and faceted search over the published records.

The database is the source of truth; the index (Elasticsearch, or the embedded SQLite backend)
is derived from it, kept in step by the outbox and rebuilt at will by ``huiku search reindex``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from repository.openapi import register_api
    from search import exports, outbox, settings, synonyms, tasks, views  # noqa: F401 (tasks)
    from search.cli import search_cli
    from search.engine import check_at_start
    from search.schemas import describe_search

    settings.init_app(app)
    synonyms.check()  # a broken synonyms file stops start-up, naming its line
    outbox.connect(app)
    register_api(app, describe_search)
    app.register_blueprint(views.blueprint)
    exports.register(app)  # the results as a record source, for exports
    app.cli.add_command(search_cli)
    check_at_start(app)  # logs a refused credential or an unreachable node; never stops the app
