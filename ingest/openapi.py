"""The ingest API in the OpenAPI description: its token scheme, its components (every schema
of ``ingest.schemas``, one per profile where the metadata differs) and the helpers its
operations are described with (``ingest.api``, ``ingest.imports.schemas``)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from ingest.schemas import (
    BilingualTextSchema,
    ImageSchema,
    IngestConflictSchema,
    IngestErrorSchema,
    IngestInvalidSchema,
    RecordCreateSchema,
    RecordPatchSchema,
    RecordWriteSchema,
    SubmitSchema,
    metadata_input_schema,
    record_answer,
    record_schema,
    stored_metadata_schema,
)
from repository.openapi import json_content
from repository.profiles import profiles

SECURITY_SCHEME = "bearerToken"
_ERROR_MEANINGS = {
    401: ("No token, or an unknown or revoked one", IngestErrorSchema),
    403: ("The token's account may not do this", IngestErrorSchema),
    404: ("No such collection, record or job (or not visible to this account)", IngestErrorSchema),
    409: ("Your library already has a record with this local_id", IngestConflictSchema),
    413: ("The upload is larger than the limit per request", IngestErrorSchema),
    422: ("Invalid input; every bad value is named by its path", IngestInvalidSchema),
}


def error_responses(*codes: int) -> dict[str, Any]:
    """The documented errors of an operation (401 always: every one needs a token)."""
    return {str(code): json_content(*_ERROR_MEANINGS[code]) for code in (401, *codes)}


def path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def operation(summary: str, operation_id: str, responses: dict, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "operationId": operation_id,
        "tags": ["ingest"],
        "security": [{SECURITY_SCHEME: []}],
        "responses": responses,
        **extra,
    }


def register_components(spec: APISpec) -> None:
    """The token scheme and every schema of the ingest API, the per-profile ones included."""
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token made by an administrator of your library "
                "(Workspace → API tokens). It acts as one account, with its permissions."
            ),
        },
    )
    for name, schema in (
        ("BilingualText", BilingualTextSchema),
        ("IngestError", IngestErrorSchema),
        ("IngestInvalid", IngestInvalidSchema),
        ("IngestConflict", IngestConflictSchema),
        ("IngestImage", ImageSchema),
    ):
        spec.components.schema(name, schema=schema)
    for profile in profiles():
        spec.components.schema(f"Metadata_{profile.name}", schema=stored_metadata_schema(profile))
        spec.components.schema(f"IngestRecord_{profile.name}", schema=record_schema(profile))
        sent = metadata_input_schema(profile)
        spec.components.schema(f"MetadataInput_{profile.name}", schema=sent)
        spec.components.schema(f"MetadataPatch_{profile.name}", schema=sent(partial=True))
    spec.components.schema("IngestRecord", record_answer())
    for name, schema in (
        ("RecordWrite", RecordWriteSchema),
        ("RecordCreate", RecordCreateSchema),
        ("RecordPatch", RecordPatchSchema),
        ("SubmitRequest", SubmitSchema),
    ):
        spec.components.schema(name, schema=schema)
