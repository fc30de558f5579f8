"""OAI-PMH 2.0 at ``/oai`` (see docs/oai-pmh.md)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from interop.oai import views
    from repository.extensions import csrf

    # Items per ListRecords/ListIdentifiers page: each page costs a fixed ~15 ms (queries, the
    # request itself) besides its items, so short pages make a harvest mostly overhead.
    app.config.setdefault("OAI_PAGE_SIZE", 500)
    app.config.setdefault("OAI_TOKEN_LIFETIME", 24 * 3600)  # seconds a resumption token lasts
    app.config.setdefault("OAI_REPOSITORY_ID", None)  # oai:<id>:…; the public host by default
    app.config.setdefault("OAI_REPOSITORY_NAME", None)  # Identify; from the alliance's names
    app.config.setdefault("OAI_ADMIN_EMAILS", [])  # Identify; webmaster@<host> when empty
    csrf.exempt(views.blueprint)  # harvesters POST without cookies; nothing here writes
    app.register_blueprint(views.blueprint)
