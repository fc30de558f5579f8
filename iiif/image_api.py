"""IIIF Image API 3.0 (level 2) over the stored originals and their derivative pyramids.

URLs, under ``/iiif/image/3/<asset public id>``::

    {id}                                              303 to {id}/info.json
    {id}/info.json                                    the Image Information document
    {id}/{region}/{size}/{rotation}/{quality}.{format}

Only images of published records in published collections are served; anything else is 404,
exactly like an identifier that never existed. Each image response is named by its canonical
request: rendered once into the disk cache, then sent as a file (or handed to nginx with
``X-Accel-Redirect`` when ``IIIF_X_ACCEL_PREFIX`` is set), with an ETag and Last-Modified for
conditional requests. Every response, errors included, carries CORS headers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask, current_app, request, url_for
from flask.cli import with_appcontext
from sqlalchemy import Select, bindparam, select
from werkzeug.http import is_resource_modified
from werkzeug.wsgi import wrap_file

from iiif.image_cache import CacheEntry, cache_entry, store_response
from iiif.image_info import CONTEXT, PROFILE_URI, info_document
from iiif.image_render import StoredImage, render
from iiif.image_request import (
    ImageRequestError,
    Limits,
    ResolvedRequest,
    parse_image_request,
    resolve,
)
from iiif.presentation_http import SharedResponse as Response
from repository import public_answers
from repository.extensions import db
from repository.images import file_store
from repository.images.derivatives import DerivativeSet, build_thumbnails, load_derivative_set
from repository.images.tasks import build_asset_derivatives
from repository.images.tiles import load_tile_set
from repository.models import Asset, Collection, Record, RecordStatus

blueprint = Blueprint("iiif_image", __name__, url_prefix="/iiif/image/3")

IMAGE_CACHE_CONTROL = "public, max-age=31536000, immutable"


INFO_CACHE_CONTROL = "public, max-age=3600"
JSON_LD = f'application/ld+json;profile="{CONTEXT}"'
# Asset public ids are short and URL-safe; anything else cannot name an image, so it is 404
# before the database is asked.
_IDENTIFIER = re.compile(r"[0-9A-Za-z_-]{1,64}")
_SHAPE = "expected {id}/info.json or {id}/{region}/{size}/{rotation}/{quality}.{format}"


@dataclass(frozen=True)
class PublicImage:
    """What the database says about a servable image, read in one query."""

    public_id: str
    sha256: str
    width: int
    height: int
    added: datetime


def find_public_image(public_id: str) -> PublicImage | None:
    """The image with this asset id if its record and collection are published, else None."""
    row = db.session.execute(_public_image_query(), {"public_id": public_id}).first()
    return PublicImage(*row) if row is not None else None


@functools.cache
def _public_image_query() -> Select:
    """Built once on the tables (not the ORM classes): this runs for every tile, cached or not."""
    asset, record, collection = Asset.__table__, Record.__table__, Collection.__table__
    return (
        select(asset.c.public_id, asset.c.sha256, asset.c.width, asset.c.height, asset.c.created_at)
        .select_from(
            asset.join(record, asset.c.record_id == record.c.id).join(
                collection, record.c.collection_id == collection.c.id
            )
        )
        .where(
            asset.c.public_id == bindparam("public_id"),
            record.c.status == RecordStatus.PUBLISHED,
            collection.c.published.is_(True),
        )
    )


def service_id(public_id: str) -> str:
    """The absolute base URI of an image's service: the ``id`` of its info.json.

    ``BASE_URL`` when configured (behind a proxy), else the host the request came to, the same
    rule by which the Presentation API names each canvas's ImageService3.
    """
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        return f"{base_url.rstrip('/')}/iiif/image/3/{public_id}"
    return url_for("iiif_image.image_service", path=public_id, _external=True)


@blueprint.route("/", defaults={"path": ""})
@blueprint.route("/<path:path>", merge_slashes=False)
def image_service(path: str) -> Response:
    try:
        return _answer(path)
    except ImageRequestError as error:
        return _error_response(error)


def _answer(path: str) -> Response:
    segments = path.split("/")
    identifier = segments[0]
    slashed = len(segments) > 5 or (len(segments) > 2 and segments[-1] == "info.json")
    if slashed or _has_encoded_slash():
        raise ImageRequestError(404, "no such image (identifiers cannot contain slashes)")
    if not _IDENTIFIER.fullmatch(identifier):
        raise ImageRequestError(404, "no such image")
    if len(segments) == 1 or segments[1:] == [""]:
        image = _public_image(identifier)
        response = Response(status=303)
        response.headers["Location"] = f"{service_id(image.public_id)}/info.json"
        return response
    if segments[1:] == ["info.json"]:
        return _info_response(_public_image(identifier))
    if len(segments) != 5:
        raise ImageRequestError(400, _SHAPE)
    parsed = parse_image_request(*segments[1:])
    image = _public_image(identifier)
    plan = resolve(parsed, image.width, image.height, Limits.from_config(current_app.config))
    return _image_response(image, plan, "/".join(segments[1:]))


def _has_encoded_slash() -> bool:
    """Whether the path as sent had %2F or %5C (the server decodes them before routing)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    raw_path = raw.split("?", 1)[0].lower()
    return "%2f" in raw_path or "%5c" in raw_path


def _public_image(identifier: str) -> PublicImage:
    image = find_public_image(identifier)
    if image is None:
        raise ImageRequestError(404, "no such image")
    return image


def _info_response(image: PublicImage) -> Response:
    limits = Limits.from_config(current_app.config)
    document = info_document(
        service_id(image.public_id), image.width, image.height, _derivatives(image), limits
    )
    body = json.dumps(document, indent=2).encode()
    if _asks_for_json_ld():
        response = Response(body, content_type=JSON_LD)
    else:
        response = Response(body, content_type="application/json")
        response.headers["Link"] = (
            f'<{CONTEXT}>;rel="http://www.w3.org/ns/json-ld#context";type="application/ld+json"'
        )
    response.headers["Vary"] = "Accept"
    return _conditional(
        response, hashlib.sha256(body).hexdigest()[:32], image.added, INFO_CACHE_CONTROL
    )


def _asks_for_json_ld() -> bool:
    """Only an explicit ``application/ld+json`` counts; ``*/*`` gets plain JSON (spec §5.1)."""
    return any(
        value == "application/ld+json" and quality > 0
        for value, quality in request.accept_mimetypes
    )


def _image_response(image: PublicImage, plan: ResolvedRequest, asked: str) -> Response:
    entry = cache_entry(Path(current_app.config["IIIF_CACHE_ROOT"]), image.sha256, plan.canonical)
    canonical = f"{service_id(image.public_id)}/{plan.canonical}"
    link = f'<{canonical}>;rel="canonical", <{PROFILE_URI}>;rel="profile"'
    if not _modified_since_client_copy(entry.digest, image.added):
        response = Response(status=304)
    else:
        cached = _cached_file(entry, plan)
        response = cached or _fresh_render(image, plan, entry)
        _keep_public_answer(image, plan, entry, asked, fresh=cached is None)
    response.headers["Link"] = link
    return _with_validators(response, entry.digest, image.added, IMAGE_CACHE_CONTROL)


def _keep_public_answer(
    image: PublicImage, plan: ResolvedRequest, entry: CacheEntry, asked: str, fresh: bool
) -> None:
    """Keep the answer under the URL asked (viewers ask for full-resolution tiles in a form
    that is not the canonical one) and, once, the canonical URL, where nginx and
    ``iiif.public_http`` find them. A kept URL is answered before this view, so reaching it
    means the asked one is not kept yet."""
    config = current_app.config
    if not config.get("IIIF_PUBLIC_ANSWERS") or config.get("IIIF_X_ACCEL_PREFIX"):
        return
    paths = {asked, plan.canonical} if fresh else {asked}
    public_answers.publish_image(image.public_id, sorted(paths), entry.path)


def _cached_file(entry: CacheEntry, plan: ResolvedRequest) -> Response | None:
    """The cached response as a file, or handed to nginx; None when not cached yet."""
    accel_prefix = current_app.config.get("IIIF_X_ACCEL_PREFIX")
    if accel_prefix:
        if not entry.path.is_file():
            return None
        response = Response(status=200, mimetype=plan.media_type)
        response.headers["X-Accel-Redirect"] = f"{accel_prefix}{entry.relative_path}"
        return response
    try:
        handle = entry.path.open("rb")
    except OSError:  # not cached yet, or the cache is unusable: render instead
        return None
    response = Response(
        wrap_file(request.environ, handle), mimetype=plan.media_type, direct_passthrough=True
    )
    response.content_length = os.fstat(handle.fileno()).st_size
    return response


def _fresh_render(image: PublicImage, plan: ResolvedRequest, entry: CacheEntry) -> Response:
    stored = StoredImage(file_store(), image.sha256, image.width, image.height, _derivatives(image))
    try:
        data = render(stored, plan)
    except FileNotFoundError:
        current_app.logger.error("IIIF: the original of %s is missing", image.public_id)
        raise ImageRequestError(500, "the stored image could not be read") from None
    try:
        store_response(entry, data, image.added)
    except OSError as error:  # a full or read-only cache must not stop images being served
        current_app.logger.warning("IIIF: could not cache %s: %s", entry.relative_path, error)
    return Response(data, mimetype=plan.media_type)


def _derivatives(image: PublicImage) -> DerivativeSet:
    """The derivatives there are: the full pyramid once its task has run, else the thumbnails
    the save made (the original is then the only level). Built now if there are none at all
    (files lost or restored without derivatives)."""
    store = file_store()
    try:
        existing = load_derivative_set(store, image.sha256)
        if existing is not None:
            return existing
        rebuilt = build_thumbnails(store, image.sha256)
    except FileNotFoundError:
        current_app.logger.error("IIIF: the original of %s is missing", image.public_id)
        raise ImageRequestError(500, "the stored image could not be read") from None
    build_asset_derivatives(image.public_id)  # the pyramid and tiles, by a task
    return load_derivative_set(store, image.sha256) or rebuilt


def _modified_since_client_copy(etag: str, last_modified: datetime) -> bool:
    return is_resource_modified(request.environ, etag=etag, last_modified=last_modified)


def _conditional(
    response: Response, etag: str, last_modified: datetime, cache_control: str
) -> Response:
    if not _modified_since_client_copy(etag, last_modified):
        not_modified = Response(status=304)
        for header in ("Link", "Vary"):
            if header in response.headers:
                not_modified.headers[header] = response.headers[header]
        response = not_modified
    return _with_validators(response, etag, last_modified, cache_control)


def _with_validators(
    response: Response, etag: str, last_modified: datetime, cache_control: str
) -> Response:
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response


def _error_response(error: ImageRequestError) -> Response:
    """A short plain-text reason with the spec's status; never cached, so a fix shows at once."""
    response = Response(f"{error.status}: {error.reason}\n", status=error.status)
    response.content_type = "text/plain; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


@click.group("iiif-image")
def image_cli() -> None:
    """IIIF Image API: prepare pyramids and tiles ahead of the first viewer."""


@image_cli.command("prepare")
@click.option(
    "--queue", is_flag=True, help="Enqueue a task per image for the workers instead of waiting."
)
@with_appcontext
def prepare_command(queue: bool) -> None:
    """Build missing pyramids and tiles for every published image (failed ones are retried)."""
    store = file_store()
    rows = db.session.execute(
        select(Asset.public_id, Asset.sha256)
        .join(Record, Asset.record_id == Record.id)
        .join(Collection, Record.collection_id == Collection.id)
        .where(Record.status == RecordStatus.PUBLISHED, Collection.published.is_(True))
        .order_by(Asset.id)
    ).all()  # fetched first: building takes a while and needs no open cursor
    one_per_image = {sha256: public_id for public_id, sha256 in reversed(rows)}
    if queue:
        for public_id in one_per_image.values():
            build_asset_derivatives(public_id)
        click.echo(f"{len(one_per_image)} images queued for their pyramids and tiles")
        return
    images = tiled = 0
    for sha256, public_id in one_per_image.items():
        state = build_asset_derivatives.call_local(public_id)
        if state != "ready":
            click.echo(f"image {public_id}: {state} (see the log)", err=True)
            continue
        images += 1
        derivatives = load_derivative_set(store, sha256)
        tiled += derivatives is not None and load_tile_set(store, sha256) is not None
    click.echo(f"{images} images ready, {tiled} of them with tiled levels")


def init_app(app: Flask) -> None:
    """Registers the Image API endpoints and the ``huiku iiif-image`` commands."""
    from iiif import public_http

    app.register_blueprint(blueprint)
    app.cli.add_command(image_cli)
    public_answers.init_app(app)
    public_http.init_app(app)
