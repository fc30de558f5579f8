"""Administration pages for harvested sources: list, add, edit, check, runs."""

from __future__ import annotations

from flask import Blueprint, Flask

blueprint = Blueprint("harvest", __name__, url_prefix="/admin/sources")


@blueprint.get("/")
def source_list() -> str:
    return ""


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
