"""Administration pages: member libraries, accounts, collections, API tokens and the audit log.

Every page is a view on the services, so the audit log and the search outbox see each change.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from repository.admin import collections, support, views  # noqa: F401 - they add pages
    from repository.admin.blueprint import blueprint

    app.register_blueprint(blueprint)
