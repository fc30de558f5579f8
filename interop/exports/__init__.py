"""Exports of published records in CSV, XLSX, JSON Lines and Dublin Core XML (docs/exports.md).

``formats`` writes each format as a stream, ``xlsx`` the streamed workbook, ``selections``
reads what is exported (a collection, a library's contribution, a registered record source),
``services`` and ``tasks`` run large exports as jobs, ``views`` serves them.
"""

from __future__ import annotations

from flask import Flask

DEFAULTS = {
    "EXPORT_STREAM_MAX": 10_000,  # records streamed at once; more run as a task
    "EXPORT_REUSE_SECONDS": 600,  # the same export asked again within this joins the last one
    "EXPORT_KEEP_HOURS": 24,  # how long a task's export file is kept
}


def init_app(app: Flask) -> None:
    from interop.exports import tasks, views

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    tasks.register()
    app.register_blueprint(views.blueprint)
