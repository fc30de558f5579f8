"""Public pages: home, collections, records; and how errors look to a reader."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from repository.errors import HuikuError
from repository.extensions import db
from repository.i18n import current_locale, localize
from repository.media.discovery import recording_documents
from repository.messages import Message
from repository.services import browse
from repository.services import harvested as harvested_service
from repository.services.collections import get_collection, public_collections

blueprint = Blueprint("public", __name__)

#: app.extensions key: functions giving links to other forms of a record (e.g. its IIIF manifest),
#: registered by the packages that serve them, since this package does not depend on them.
RECORD_LINKS = "huiku.record_links"


def register_record_links(app: Flask, links: Callable[..., dict[str, str]]) -> None:
    app.extensions.setdefault(RECORD_LINKS, []).append(links)


def record_links(record) -> dict[str, str]:
    """Name → URL of each other form of the record that some package serves."""
    found: dict[str, str] = {}
    for links in current_app.extensions.get(RECORD_LINKS, ()):
        found.update(links(record))
    return found


@blueprint.route("/")
def home() -> str:
    collections = [
        (collection, count, browse.collection_cover(collection))
        for collection, count in public_collections()
    ]
    return render_template("public/home.html", collections=collections)


@blueprint.route("/collections/<slug>")
def collection(slug: str) -> str:
    found = get_collection(slug, public=True)
    page = browse.public_records(
        found,
        request.args.get("page", 1, type=int),
        current_app.config["RECORDS_PER_PAGE"],
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    return render_template("public/collection.html", collection=found, page=page)


@blueprint.route("/records/<public_id>")
def record(public_id: str) -> str:
    found = browse.visible_record(public_id, current_user)
    items = found.collection.profile.display_items(found.metadata_, current_locale())
    return render_template(
        "public/record.html",
        record=found,
        items=items,
        links=record_links(found),
        held_elsewhere=harvested_service.held_elsewhere(found),
    )


@blueprint.route("/records/<public_id>.json")
def record_json(public_id: str) -> Response:
    found = browse.visible_record(public_id, current_user)
    return jsonify(record_document(found))


def record_document(record) -> dict:
    """The record as JSON: what an API client or a IIIF ``seeAlso`` reader gets."""
    url = url_for("public.record", public_id=record.public_id, _external=True)
    return {
        "id": record.public_id,
        "url": url,
        "collection": record.collection.slug,
        "profile": record.collection.profile_name,
        "library": record.library.code,
        "contributors": [library.code for library in record.contributing_libraries],
        "local_id": record.local_id,
        "status": record.status.value,
        "metadata": record.metadata_,
        "dublin_core": dublin_core_of(record, url),
        "years": [record.year_start, record.year_end] if record.year_start is not None else None,
        "images": [
            {
                "id": asset.public_id,
                "label": asset.label,
                "width": asset.width,
                "height": asset.height,
                "mime_type": asset.mime_type,
                "sha256": asset.sha256,
            }
            for asset in record.assets
        ],
        "recordings": recording_documents(record),  # audio and video (repository.media)
        "created": record.created_at.isoformat(),
        "modified": record.updated_at.isoformat(),
        **record_links(record),
    }


def dublin_core_of(record, url: str) -> dict[str, list[str]]:
    """Dublin Core by the profile's crosswalk (as OAI-PMH's ``oai_dc``), the page as an
    identifier after the library's own."""
    elements = record.collection.profile.dublin_core(record.metadata_)
    elements.setdefault("identifier", []).append(url)
    return elements


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def handle_service_error(error: HuikuError) -> tuple[str | Response, int]:
    if _wants_json():
        return jsonify(error=str(error.message), message=localize(error.message)), error.status
    return render_template("error.html", status=error.status, message=localize(error.message)), (
        error.status
    )


def handle_http_error(
    error: HTTPException,
) -> tuple[str | Response, int, list[tuple[str, str]]] | HTTPException:
    """The error page, keeping the headers the error itself carries (``Allow`` on a 405)."""
    if error.code is None or error.code < 400:
        return error
    headers = _headers_of(error)
    if _wants_json():
        return jsonify(error=error.name, message=error.description), error.code, headers
    page = render_template("error.html", status=error.code, message=error.description)
    return page, error.code, headers


def _headers_of(error: HTTPException) -> list[tuple[str, str]]:
    """What werkzeug would have sent with the error besides its own body's type."""
    return [
        (name, value)
        for name, value in error.get_headers(request.environ)
        if name.lower() != "content-type"
    ]


DATABASE_DOWN = Message("The database cannot be reached just now; please try again in a minute.")


def handle_database_down(error: DBAPIError) -> tuple[str | Response, int, dict[str, str]]:
    """A lost database is a 503 the reader can retry, never a 500.

    The page is rendered without the site layout, which would look up the signed-in user in
    the very database that is missing.
    """
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        raise error
    with contextlib.suppress(Exception):
        db.session.rollback()
    headers = {"Retry-After": "30"}
    if _wants_json():
        body = jsonify(error=str(DATABASE_DOWN), message=localize(DATABASE_DOWN))
        return body, 503, headers
    return render_template("unavailable.html", message=DATABASE_DOWN), 503, headers


# The statistics, library and harvested record pages add their views to this blueprint.
from repository.public import harvested as _harvested  # noqa: E402, F401
from repository.public import statistics as _statistics  # noqa: E402


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.jinja_env.globals["public_text"] = _statistics.TEXT  # the site menu's Statistics link
    app.register_error_handler(HuikuError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_down)
