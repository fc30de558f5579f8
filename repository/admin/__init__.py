"""Administration pages: member libraries, accounts, collections, API tokens and the audit log.

Every page is a view on the services, so the audit log and the search outbox see each change.
Packages add pages of their own to the menu with ``register_admin_page``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

PLUG_IN_PAGES = "huiku.admin_pages"


def register_admin_page(app: Flask, endpoint: str, label: Any) -> None:
    """Add a package's page to the administration menu; ``label`` is a lazy translation."""
    app.extensions.setdefault(PLUG_IN_PAGES, []).append((endpoint, label))


def init_app(app: Flask) -> None:
    from repository.admin import collections, support, views  # noqa: F401 - they add pages
    from repository.admin.blueprint import blueprint

    app.register_blueprint(blueprint)

    @app.context_processor
    def plug_in_admin_pages() -> dict[str, Any]:
        return {"plug_in_admin_pages": lambda: current_app.extensions.get(PLUG_IN_PAGES, [])}
