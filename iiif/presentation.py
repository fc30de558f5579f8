"""IIIF Presentation API 3.0 manifests and collections, and the Change Discovery API 1.0."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, jsonify, request
from werkzeug.wrappers import Response

from iiif import discovery, presentation_collections, viewer
from iiif.manifest_cache import cached_manifest, manifest_fingerprint
from iiif.presentation_http import (
    DISCOVERY_TYPE,
    PRESENTATION_TYPE,
    absolute_url,
    json_ld_response,
    negotiated_type,
    variant_etag,
)
from repository.errors import HuikuError, NotFound
from repository.i18n import localize
from repository.messages import Message
from repository.models import Record
from repository.public import register_record_links
from repository.services.records import get_record

blueprint = Blueprint("iiif_presentation", __name__)


@blueprint.route("/iiif/3/manifests/<public_id>")
def manifest(public_id: str) -> Response:
    record = public_record(public_id)
    fingerprint = manifest_fingerprint(record)
    sent_etag = variant_etag(fingerprint, negotiated_type(PRESENTATION_TYPE))
    if request.if_none_match.contains_weak(sent_etag):  # revalidated without reading the cache
        return json_ld_response(b"", PRESENTATION_TYPE, etag=fingerprint)
    cached = cached_manifest(record, fingerprint)
    return json_ld_response(cached.body, PRESENTATION_TYPE, etag=cached.fingerprint)


@blueprint.route("/iiif/3/collections/top")
def top_collection() -> Response:
    return json_ld_response(presentation_collections.top_collection(), PRESENTATION_TYPE)


@blueprint.route("/iiif/3/collections/<slug>")
def collection(slug: str) -> Response:
    return json_ld_response(presentation_collections.themed_collection(slug), PRESENTATION_TYPE)


@blueprint.route("/iiif/3/collections/<slug>/pages/<int:number>")
def collection_page(slug: str, number: int) -> Response:
    body = presentation_collections.themed_collection(slug, number)
    return json_ld_response(body, PRESENTATION_TYPE)


@blueprint.route("/iiif/3/libraries/<code>")
def library_collection(code: str) -> Response:
    return json_ld_response(presentation_collections.library_collection(code), PRESENTATION_TYPE)


@blueprint.route("/iiif/3/libraries/<code>/pages/<int:number>")
def library_collection_page(code: str, number: int) -> Response:
    body = presentation_collections.library_collection(code, number)
    return json_ld_response(body, PRESENTATION_TYPE)


@blueprint.route("/iiif/discovery/changes")
def changes() -> Response:
    return json_ld_response(_dumps(discovery.changes_collection()), DISCOVERY_TYPE)


@blueprint.route("/iiif/discovery/changes/pages/<int:number>")
def changes_page(number: int) -> Response:
    return json_ld_response(_dumps(discovery.changes_page(number)), DISCOVERY_TYPE)


@blueprint.errorhandler(HuikuError)
def service_error(error: HuikuError) -> tuple[Response, int]:
    """Errors as JSON, which other sites may read like the documents (``iiif._cross_origin``)."""
    return jsonify(error=str(error.message), message=localize(error.message)), error.status


def public_record(public_id: str) -> Record:
    """A published record; drafts and withdrawn records have no manifest, even for their owners."""
    record = get_record(public_id)
    if not record.is_public:
        raise NotFound(Message("no record {id}").format(id=public_id))
    return record


def manifest_links(record: Record) -> dict[str, str]:
    """The manifest URL for the record page and the record JSON, when the record has one."""
    if not record.is_public:
        return {}
    return {"iiif_manifest": absolute_url("iiif_presentation.manifest", public_id=record.public_id)}


def _dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False)


def init_app(app: Flask) -> None:
    """Registers the Presentation and Change Discovery endpoints, the viewer and record links."""
    app.config.setdefault("IIIF_COLLECTION_PAGE_SIZE", presentation_collections.DEFAULT_PAGE_SIZE)
    app.config.setdefault("IIIF_DISCOVERY_PAGE_SIZE", discovery.DEFAULT_PAGE_SIZE)
    app.register_blueprint(blueprint)
    register_record_links(app, manifest_links)
    viewer.init_app(app)
