"""The JSON ingest API: records created, read, updated, submitted and given images by token.

Every request names its user with ``Authorization: Bearer <token>``; from there on the same
permission checks and services as the web forms apply, so the API can do exactly what that
user could do in a browser. Errors are JSON: ``error`` (English), ``message`` (the reader's
language), and for bad input ``errors``, mapping field paths (``metadata.kingdom``) to
bilingual messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from apispec import APISpec
from flask import Blueprint, Response, g, jsonify, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ingest.imports.services import request_too_large_message
from ingest.openapi import error_responses, operation, path_parameter
from ingest.schemas import (
    Errors,
    ImageUploadSchema,
    IngestErrorSchema,
    RecordCreateSchema,
    RecordPatchSchema,
    RecordWriteSchema,
    SubmitSchema,
    check_metadata_types,
    error_paths,
)
from ingest.services import save_new_record, save_record
from ingest.uploads import ImageUpload
from repository import permissions
from repository.errors import HuikuError, PermissionDenied
from repository.extensions import csrf, db
from repository.i18n import localize
from repository.messages import Message
from repository.models import Collection, Library, Record, User
from repository.openapi import json_content, schema_ref
from repository.profiles import MetadataInvalid
from repository.public import record_document
from repository.services import records, tokens
from repository.services.browse import visible_record
from repository.services.collections import get_collection

blueprint = Blueprint("ingest_api", __name__, url_prefix="/api")
csrf.exempt(blueprint)  # no cookies are trusted here: every request carries its own token

T = TypeVar("T")
INVALID_METADATA = Message("invalid metadata")


class ApiInvalid(HuikuError):
    """Bad input to the API, with each problem under the path of the value it concerns."""

    status = 422

    def __init__(self, errors: Errors, summary: Message | None = None) -> None:
        super().__init__(summary or Message("invalid input"))
        self.errors = errors


class DuplicateLocalId(HuikuError):
    """The library already has a record with this local identifier; names that record."""

    status = 409

    def __init__(self, local_id: str, existing: Record) -> None:
        super().__init__(
            Message("your library already has a record with local_id {id}").format(id=local_id)
        )
        self.existing = existing


# --- authentication -------------------------------------------------------------------------


@blueprint.before_request
def require_token() -> Response | None:
    """Every endpoint here needs a valid token; the user it stands for is ``g.api_user``."""
    if request.endpoint is None:  # unknown URL: the 404 handler answers
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _unauthorized(
            Message("send an API token: Authorization: Bearer <token>"),
            presented=False,
        )
    user = tokens.authenticate_token(secret.strip())
    if user is None:
        return _unauthorized(
            Message("the API token is unknown or revoked"),
            presented=True,
        )
    g.api_user = user
    return None


def api_user() -> User:
    return g.api_user


def _unauthorized(message: Message, *, presented: bool) -> Response:
    response = _error_response(message, 401)
    challenge = 'Bearer realm="huiku"' + (', error="invalid_token"' if presented else "")
    response.headers["WWW-Authenticate"] = challenge
    return response


# --- errors -----------------------------------------------------------------------------------


def bilingual(message: Message | str) -> dict[str, str]:
    return {"en": str(message), "zh": getattr(message, "zh", str(message))}


def _error_response(message: Message, status: int, **extra: Any) -> Response:
    response = jsonify(error=str(message), message=localize(message), **extra)
    response.status_code = status
    return response


@blueprint.errorhandler(ApiInvalid)
def _invalid(error: ApiInvalid) -> Response:
    errors = {path: [bilingual(m) for m in messages] for path, messages in error.errors.items()}
    return _error_response(error.message, 422, errors=errors)


@blueprint.errorhandler(DuplicateLocalId)
def _duplicate(error: DuplicateLocalId) -> Response:
    return _error_response(
        error.message,
        409,
        errors={"metadata.local_id": [bilingual(error.message)]},
        existing_record=error.existing.public_id,
        existing_record_url=url_for(
            "ingest_api.get_record", public_id=error.existing.public_id, _external=True
        ),
    )


@blueprint.errorhandler(HuikuError)
def _service_error(error: HuikuError) -> Response:
    return _error_response(error.message, error.status)


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    return _error_response(request_too_large_message(request.max_content_length or 0), 413)


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    message = Message.verbatim(error.description or error.name)
    response = _error_response(message, error.code or 500)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def metadata_errors(error: MetadataInvalid, prefix: str = "metadata") -> Errors:
    """The profile's per-field errors under their path in the request body."""
    return {
        prefix if key == "_" else f"{prefix}.{key}": list(messages)
        for key, messages in error.errors.items()
    }


# --- request bodies ---------------------------------------------------------------------------


def load_body(schema: Schema) -> dict[str, Any]:
    """The JSON body loaded by ``schema`` (no body is an empty object), or a 422 naming each bad
    value by its path."""
    raw = request.get_data(cache=True)
    body = request.get_json(silent=True) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ApiInvalid(
            {"body": [Message("the body must be a JSON object (Content-Type: application/json)")]}
        )
    return load_input(schema, body)


def load_input(schema: Schema, data: Mapping[str, Any], summary: Message | None = None) -> Any:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ApiInvalid(error_paths(error, schema), summary) from None


def validated(collection: Collection, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata cleaned by the collection's profile, or a 422 naming each bad field."""
    problems = {
        f"metadata.{key}": messages
        for key, messages in check_metadata_types(collection.profile, metadata).items()
    }
    rest = {key: value for key, value in metadata.items() if f"metadata.{key}" not in problems}
    try:
        cleaned = collection.profile.validate(rest)
    except MetadataInvalid as error:
        raise ApiInvalid({**metadata_errors(error), **problems}, INVALID_METADATA) from None
    if problems:
        raise ApiInvalid(problems, INVALID_METADATA)
    return cleaned


def ensure_local_id_free(library_id: int, local_id: str, record: Record | None = None) -> None:
    existing = records.find_by_local_id(library_id, local_id)
    if existing is not None and existing is not record:
        raise DuplicateLocalId(local_id, existing)


def _record_response(record: Record, status: int = 200) -> Response:
    response = jsonify(record_document(record))
    response.status_code = status
    if status == 201:
        response.headers["Location"] = url_for(
            "ingest_api.get_record", public_id=record.public_id, _external=True
        )
    return response


def _saving(library_id: int, local_id: str, action: Callable[[], T]) -> T:
    """Run a save; losing a race for a local_id to another request still ends as a 409."""
    try:
        return action()
    except (IntegrityError, MetadataInvalid) as error:
        db.session.rollback()
        existing = records.find_by_local_id(library_id, local_id)
        clash = isinstance(error, IntegrityError) or set(error.errors) == {"local_id"}
        if clash and existing is not None:
            raise DuplicateLocalId(local_id, existing) from None
        if isinstance(error, MetadataInvalid):
            raise ApiInvalid(metadata_errors(error), INVALID_METADATA) from None
        raise


# --- records ----------------------------------------------------------------------------------


def contributing_to(slug: str) -> tuple[User, Collection]:
    """The token's user and the collection, when that user may add records to it (else 403)."""
    user = api_user()
    collection = get_collection(slug)
    if not permissions.can_contribute(user, collection):
        raise PermissionDenied(Message("you cannot contribute to this collection"))
    return user, collection


@blueprint.post("/collections/<slug>/records")
def create_record(slug: str) -> Response:
    user, collection = contributing_to(slug)
    body = load_body(RecordCreateSchema())
    metadata = body["metadata"]
    owner = _owner(user, body["library"])
    if owner is not None and permissions.acting_for(user, owner, collection) is None:
        raise records.NotActingFor(owner)
    cleaned = validated(collection, metadata)
    owner_id = owner.id if owner is not None else user.library_id
    ensure_local_id_free(owner_id, cleaned["local_id"])
    record = _saving(
        owner_id,
        cleaned["local_id"],
        lambda: save_new_record(user, collection, metadata, [], owner),
    )
    return _record_response(record, 201)


def _owner(user: User, code: str | None) -> Library | None:
    """The library named by ``library`` (None when not sent), or a 422 naming the key."""
    if code is None or code == user.library.code:
        return None
    library = db.session.scalar(select(Library).where(Library.code == code))
    if library is None:
        raise ApiInvalid(
            {"library": [Message("no member library has the code {code}").format(code=code)]}
        )
    return library


@blueprint.errorhandler(records.NotActingFor)
def _not_acting_for(error: records.NotActingFor) -> Response:
    return _error_response(error.message, 403, errors={error.field: [bilingual(error.message)]})


@blueprint.get("/records/<public_id>")
def get_record(public_id: str) -> Response:
    return _record_response(visible_record(public_id, api_user()))


@blueprint.route("/records/<public_id>", methods=["PUT", "PATCH"])
def update_record(public_id: str) -> Response:
    """PUT replaces the metadata; PATCH changes the keys it names (``null`` clears one)."""
    user = api_user()
    record = visible_record(public_id, user)
    if not permissions.can_edit(user, record):
        raise PermissionDenied(Message("you may not edit this record"))
    schema = RecordPatchSchema() if request.method == "PATCH" else RecordWriteSchema()
    metadata = load_body(schema)["metadata"]
    if request.method == "PATCH":
        metadata = {**record.metadata_, **metadata}
    cleaned = validated(record.collection, metadata)
    ensure_local_id_free(record.library_id, cleaned["local_id"], record)
    _saving(record.library_id, cleaned["local_id"], lambda: save_record(user, record, metadata))
    return _record_response(record)


@blueprint.post("/records/<public_id>/submit")
def submit_record(public_id: str) -> Response:
    user = api_user()
    record = visible_record(public_id, user)
    comment = load_body(SubmitSchema())["comment"]
    records.submit_record(user, record, comment)
    return _record_response(record)


@blueprint.post("/records/<public_id>/images")
def add_images(public_id: str) -> Response:
    """Append uploaded images (form field ``images``, repeated) in order; ``labels`` likewise."""
    user = api_user()
    record = visible_record(public_id, user)
    if not permissions.can_edit(user, record):
        raise PermissionDenied(Message("you may not edit this record"))
    files = [f for f in request.files.getlist("images") if f and f.filename]
    form = {"labels": request.form.getlist("labels"), **({"images": files} if files else {})}
    labels = load_input(ImageUploadSchema(), form)["labels"]
    uploads = [
        ImageUpload(f.stream, f.filename, labels[n] if n < len(labels) else "")
        for n, f in enumerate(files)
    ]
    try:
        save_record(user, record, record.metadata_, uploads)
    except MetadataInvalid as error:
        others = MetadataInvalid({k: v for k, v in error.errors.items() if k != "images"})
        errors = {**metadata_errors(others), "images": error.errors.get("images", [])}
        raise ApiInvalid(
            {path: messages for path, messages in errors.items() if messages},
            Message("images refused"),
        ) from None
    return _record_response(record)


# --- the description --------------------------------------------------------------------------


def describe_records(spec: APISpec) -> None:
    """The record operations; their bodies and answers are the schemas in ``ingest.schemas``."""
    record = {"200": json_content("The record", schema_ref("IngestRecord"))}
    public_id = [path_parameter("public_id")]

    def body(schema: type[Schema], *, required: bool = True) -> dict[str, Any]:
        return {"required": required, "content": {"application/json": {"schema": schema}}}

    spec.path(
        "/api/collections/{slug}/records",
        parameters=[path_parameter("slug")],
        operations={
            "post": operation(
                "Create a draft record in a collection, as the token's library",
                "createRecord",
                {
                    "201": json_content(
                        "The new draft; Location names it", schema_ref("IngestRecord")
                    ),
                    **error_responses(403, 404, 409, 422),
                },
                requestBody=body(RecordCreateSchema),
            )
        },
    )
    spec.path(
        "/api/records/{public_id}",
        parameters=public_id,
        operations={
            "get": operation(
                "Read a record (drafts and submissions too, for its own library)",
                "getRecord",
                {**record, **error_responses(404)},
            ),
            "put": operation(
                "Replace a record's metadata (a revision is written when it changes)",
                "replaceRecord",
                {**record, **error_responses(403, 404, 409, 422)},
                requestBody=body(RecordWriteSchema),
            ),
            "patch": operation(
                "Change some fields of a record",
                "patchRecord",
                {**record, **error_responses(403, 404, 409, 422)},
                requestBody=body(RecordPatchSchema),
            ),
        },
    )
    spec.path(
        "/api/records/{public_id}/submit",
        parameters=public_id,
        operations={
            "post": operation(
                "Submit a draft for review, with an optional note for the reviewers",
                "submitRecord",
                {
                    **record,
                    **error_responses(403, 404, 422),
                    "409": json_content("The record is not a draft", IngestErrorSchema),
                },
                requestBody=body(SubmitSchema, required=False),
            )
        },
    )
    spec.path(
        "/api/records/{public_id}/images",
        parameters=public_id,
        operations={
            "post": operation(
                "Append images to a record, in the order sent",
                "addImages",
                {**record, **error_responses(403, 404, 413, 422)},
                requestBody={
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ImageUploadSchema}},
                },
            )
        },
    )
