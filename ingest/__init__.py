"""Bringing material in: the record form, images and their derivatives, batch import, the demo."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ingest import views
    from ingest.demo.command import demo

    app.register_blueprint(views.blueprint)
    app.cli.add_command(demo)
