"""Harvesting the alliance's other repositories into the one-stop search.

A member library registers a source (an OAI-PMH endpoint, a IIIF Collection or a IIIF Change
Discovery stream); tasks harvest it in full and then incrementally, and the records land in
``harvested_record``, apart from contributed ones, searched beside them under a facet of their
own. See docs/harvesting.md.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from harvest import cli, tasks, views
    from repository.admin import register_admin_page

    tasks.init_app(app)
    views.init_app(app)
    app.cli.add_command(cli.harvest_cli)
    register_admin_page(app, "harvest.source_list", _l("Harvested sources"))
