"""The OpenAPI description of the ingest API (assembled by repository.openapi).

The metadata schemas are derived from the collection profiles, like every other view of a
field, so a new field or vocabulary term appears here without anyone writing it twice.
"""

from __future__ import annotations

from typing import Any

from ingest.api import NUMERIC_KINDS, vocabulary_inputs
from ingest.batch.services import ENCODINGS, ON_ERROR
from repository.models import JobState, RecordStatus
from repository.profiles import Field, Kind, Profile, profiles

SECURITY_SCHEME = "bearerToken"
SECURITY = [{SECURITY_SCHEME: []}]
TEXT = {"type": "string"}
RECORD_KEYS = [
    "id",
    "url",
    "collection",
    "profile",
    "library",
    "contributors",
    "local_id",
    "status",
    "metadata",
    "years",
    "images",
    "created",
    "modified",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _stored_property(field: Field) -> dict[str, Any]:
    """A field's value as the API returns it (cleaned by the profile)."""
    if field.kind is Kind.YEAR:
        item: dict[str, Any] = {"type": "integer"}
    elif field.kind in (Kind.LATITUDE, Kind.LONGITUDE):
        item = {"type": "number"}
    elif field.kind is Kind.VOCABULARY:
        item = {"type": "string", "enum": [term.value for term in field.vocabulary]}
    else:
        item = dict(TEXT)
    if field.repeatable:
        return {"type": "array", "items": item, "description": field.label_en}
    return {**item, "description": field.label_en}


def _input_property(field: Field) -> dict[str, Any]:
    """What a client may send for a field (as ``ingest.api`` checks it): text as a cataloguer
    writes it, a list for a repeatable field, a number for years and coordinates, a vocabulary
    term or its English label; ``null`` or empty text leave the field empty."""
    description = f"{field.label_en} / {field.label_zh}"
    if field.hint_en:
        description += f". {field.hint_en}"
    if field.vocabulary:
        terms = ", ".join(f"{term.value} ({term.label_en})" for term in field.vocabulary)
        description += f". One of: {terms}"
    if field.example:
        description += f". Example: {field.example}"
    if field.repeatable:
        return {
            "description": description + ". Several values: a list, or text separated by ;",
            "anyOf": [{"type": ["string", "null"]}, {"type": "array", "items": TEXT}],
        }
    if field.vocabulary:
        return {"description": description, "enum": [*vocabulary_inputs(field), None]}
    if field.kind in NUMERIC_KINDS:
        return {"description": description, "type": ["string", "number", "null"]}
    return {"description": description, "type": ["string", "null"]}


def _metadata_schemas(profile: Profile) -> dict[str, dict[str, Any]]:
    fields = profile.metadata_fields
    required = [field.key for field in fields if field.required]
    title = f"{profile.label_en} ({profile.name})"
    return {
        f"Metadata_{profile.name}": {
            "title": f"Metadata of a record in a {title} collection",
            "type": "object",
            "required": required,
            "properties": {field.key: _stored_property(field) for field in fields},
            "additionalProperties": False,
        },
        f"MetadataInput_{profile.name}": {
            "title": f"Metadata sent for a {title} collection",
            "type": "object",
            "required": required,
            "properties": {field.key: _input_property(field) for field in fields},
            "additionalProperties": False,
        },
    }


def _record_schemas() -> dict[str, Any]:
    all_profiles = profiles()
    schemas: dict[str, Any] = {}
    for profile in all_profiles:
        schemas.update(_metadata_schemas(profile))
    image = {
        "type": "object",
        "required": ["id", "label", "width", "height", "mime_type", "sha256"],
        "properties": {
            "id": TEXT,
            "label": TEXT,
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "mime_type": TEXT,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    }
    schemas["IngestRecord"] = {
        "type": "object",
        "required": RECORD_KEYS,
        "properties": {
            "id": {"type": "string", "description": "the record's public id"},
            "url": {"type": "string", "format": "uri", "description": "its web page"},
            "collection": {"type": "string", "description": "collection slug"},
            "profile": {"type": "string", "enum": [p.name for p in all_profiles]},
            "library": {"type": "string", "description": "code of the owning library"},
            "contributors": {"type": "array", "items": TEXT},
            "local_id": TEXT,
            "status": {"type": "string", "enum": [s.value for s in RecordStatus]},
            "metadata": {"anyOf": [_ref(f"Metadata_{p.name}") for p in all_profiles]},
            "years": {
                "type": ["array", "null"],
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 2,
            },
            "images": {"type": "array", "items": image},
            "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
            "iiif_manifest": {"type": "string", "format": "uri"},
        },
    }
    schemas["RecordWrite"] = {
        "type": "object",
        "required": ["metadata"],
        "additionalProperties": False,
        "properties": {
            "metadata": {
                "description": "Every field, as the collection's profile declares it.",
                "anyOf": [_ref(f"MetadataInput_{p.name}") for p in all_profiles],
            }
        },
    }
    schemas["RecordPatch"] = {
        "type": "object",
        "required": ["metadata"],
        "additionalProperties": False,
        "properties": {
            "metadata": {
                "type": "object",
                "description": "Only the fields to change; null clears a field.",
            }
        },
    }
    schemas["SubmitRequest"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"comment": {"type": "string", "maxLength": 5000}},
    }
    return schemas


def _error_schemas() -> dict[str, Any]:
    bilingual = {"type": "object", "required": ["en", "zh"], "properties": {"en": TEXT, "zh": TEXT}}
    base = {"error": TEXT, "message": TEXT}
    field_errors = {
        "type": "object",
        "description": "path of the bad value (metadata.kingdom, table, …) → what is wrong",
        "additionalProperties": {"type": "array", "items": _ref("BilingualText")},
    }
    return {
        "BilingualText": bilingual,
        "IngestError": {
            "type": "object",
            "required": ["error", "message"],
            "properties": base,
        },
        "IngestInvalid": {
            "type": "object",
            "required": ["error", "message", "errors"],
            "properties": {**base, "errors": field_errors},
        },
        "IngestConflict": {
            "type": "object",
            "required": ["error", "message", "errors", "existing_record", "existing_record_url"],
            "properties": {
                **base,
                "errors": field_errors,
                "existing_record": {"type": "string", "description": "the record that has it"},
                "existing_record_url": {"type": "string", "format": "uri"},
            },
        },
    }


def _error_responses(*codes: int) -> dict[str, Any]:
    meanings = {
        401: ("No token, or an unknown or revoked one", "IngestError"),
        403: ("The token's account may not do this", "IngestError"),
        404: ("No such collection, record or job (or not visible to this account)", "IngestError"),
        409: ("Your library already has a record with this local_id", "IngestConflict"),
        413: ("The upload is larger than the limit per request", "IngestError"),
        422: ("Invalid input; every bad value is named by its path", "IngestInvalid"),
    }
    return {str(code): _json(*meanings[code]) for code in (401, *codes)}


def _record_id_parameter() -> dict[str, Any]:
    return {"name": "public_id", "in": "path", "required": True, "schema": TEXT}


def _slug_parameter() -> dict[str, Any]:
    return {"name": "slug", "in": "path", "required": True, "schema": TEXT}


def _operation(summary: str, operation_id: str, responses: dict, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "operationId": operation_id,
        "tags": ["ingest"],
        "security": SECURITY,
        "responses": responses,
        **extra,
    }


def _record_paths() -> dict[str, Any]:
    record = {"200": _json("The record", "IngestRecord")}
    write_body = {
        "required": True,
        "content": {"application/json": {"schema": _ref("RecordWrite")}},
    }
    return {
        "/api/collections/{slug}/records": {
            "parameters": [_slug_parameter()],
            "post": _operation(
                "Create a draft record in a collection, as the token's library",
                "createRecord",
                {
                    "201": _json("The new draft; Location names it", "IngestRecord"),
                    **_error_responses(403, 404, 409, 422),
                },
                requestBody=write_body,
            ),
        },
        "/api/records/{public_id}": {
            "parameters": [_record_id_parameter()],
            "get": _operation(
                "Read a record (drafts and submissions too, for its own library)",
                "getRecord",
                {**record, **_error_responses(404)},
            ),
            "put": _operation(
                "Replace a record's metadata (a revision is written when it changes)",
                "replaceRecord",
                {**record, **_error_responses(403, 404, 409, 422)},
                requestBody=write_body,
            ),
            "patch": _operation(
                "Change some fields of a record",
                "patchRecord",
                {**record, **_error_responses(403, 404, 409, 422)},
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _ref("RecordPatch")}},
                },
            ),
        },
        "/api/records/{public_id}/submit": {
            "parameters": [_record_id_parameter()],
            "post": _operation(
                "Submit a draft for review, with an optional note for the reviewers",
                "submitRecord",
                {
                    **record,
                    **_error_responses(403, 404, 422),
                    "409": _json("The record is not a draft", "IngestError"),
                },
                requestBody={
                    "required": False,
                    "content": {"application/json": {"schema": _ref("SubmitRequest")}},
                },
            ),
        },
        "/api/records/{public_id}/images": {
            "parameters": [_record_id_parameter()],
            "post": _operation(
                "Append images to a record, in the order sent",
                "addImages",
                {**record, **_error_responses(403, 404, 413, 422)},
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["images"],
                                "properties": {
                                    "images": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                        "description": "JPEG, PNG, TIFF or WebP files",
                                    },
                                    "labels": {
                                        "type": "array",
                                        "items": TEXT,
                                        "description": "a label per image, in the same order",
                                    },
                                },
                            }
                        }
                    },
                },
            ),
        },
    }


def _import_schemas() -> dict[str, Any]:
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    counts = {
        "type": "object",
        "description": "rows per outcome: created, updated, unchanged, failed",
        "additionalProperties": {"type": "integer", "minimum": 0},
    }
    job_properties = {
        "id": TEXT,
        "state": {"type": "string", "enum": [state.value for state in JobState]},
        "finished": {
            "type": "boolean",
            "description": "succeeded, failed or cancelled: poll no more",
        },
        "dry_run": {"type": "boolean"},
        "collection": TEXT,
        "library": TEXT,
        "options": {"type": "object"},
        "total_rows": {"type": "integer", "minimum": 0},
        "processed_rows": {"type": "integer", "minimum": 0},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "counts": counts,
        "error": {"type": "string", "description": "why a failed job stopped"},
        "attempts": {
            "type": "integer",
            "minimum": 0,
            "description": "runs of the job by a worker (a worker that died leaves it to another)",
        },
        "cancel_requested": {
            "type": "boolean",
            "description": "a cancel was asked for; a running job stops after its current batch",
        },
        "created": {"type": "string", "format": "date-time"},
        "started": nullable_time,
        "finished_at": nullable_time,
        "links": {
            "type": "object",
            "required": ["self", "report", "page", "cancel", "retry"],
            "properties": {
                "self": {"type": "string", "format": "uri"},
                "report": {"type": "string", "format": "uri"},
                "page": {"type": "string", "format": "uri", "description": "the web page"},
                "cancel": {"type": "string", "format": "uri", "description": "POST to cancel"},
                "retry": {"type": "string", "format": "uri", "description": "POST to retry"},
            },
        },
    }
    job = {"type": "object", "required": list(job_properties), "properties": job_properties}
    entry = {
        "type": "object",
        "required": ["row", "column", "value", "outcome", "message", "fix", "record_id"],
        "properties": {
            "row": {"type": "integer", "description": "spreadsheet row (header = 1; 0 = file)"},
            "cell": TEXT,
            "column": {"type": "string", "description": "the header as written in the file"},
            "field": {"type": "string", "description": "the profile field it stands for"},
            "value": TEXT,
            "local_id": TEXT,
            "outcome": {"type": "string", "enum": ["created", "updated", "unchanged", "failed"]},
            "level": TEXT,
            "message": _ref("BilingualText"),
            "fix": _ref("BilingualText"),
            "record_id": {"type": ["string", "null"]},
            "record_url": {"type": ["string", "null"], "format": "uri"},
        },
    }
    report = {
        "type": "object",
        "required": ["id", "state", "finished", "counts", "entries"],
        "properties": {
            "id": TEXT,
            "state": {"type": "string", "enum": [state.value for state in JobState]},
            "finished": {"type": "boolean"},
            "counts": counts,
            "entries": {"type": "array", "items": _ref("ImportReportEntry")},
        },
    }
    return {"ImportJob": job, "ImportReportEntry": entry, "ImportReport": report}


def _import_paths() -> dict[str, Any]:
    job_id = {"name": "job_id", "in": "path", "required": True, "schema": TEXT}
    flag = {"type": "string", "enum": ["true", "false"], "default": "false"}
    upload = {
        "type": "object",
        "required": ["table"],
        "properties": {
            "table": {
                "type": "string",
                "format": "binary",
                "description": "CSV (UTF-8 or GB18030/GBK) or XLSX, as the collection's template",
            },
            "images": {
                "type": "string",
                "format": "binary",
                "description": "a ZIP of the images the table's images column names",
            },
            "dry_run": {**flag, "description": "check everything, write nothing"},
            "publish": {**flag, "description": "publish at once (collection reviewers only)"},
            "on_error": {
                "type": "string",
                "enum": list(ON_ERROR),
                "default": "skip",
                "description": "skip: import the valid rows; abort: nothing if any row fails",
            },
            "encoding": {"type": "string", "enum": list(ENCODINGS), "default": "auto"},
        },
    }

    def download(kind: str, mimetype: str) -> dict[str, Any]:
        return _operation(
            f"The report as {kind}",
            f"importReport{kind.title()}",
            {
                "200": {
                    "description": f"The report, one line per outcome or problem ({kind})",
                    "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
                },
                **_error_responses(404),
            },
        )

    return {
        "/api/collections/{slug}/imports": {
            "parameters": [_slug_parameter()],
            "post": _operation(
                "Start a batch import (or a dry run) of a table and a ZIP of images",
                "startImport",
                {
                    "202": _json("The job, queued; poll Location until finished", "ImportJob"),
                    **_error_responses(403, 404, 413, 422),
                },
                requestBody={
                    "required": True,
                    "content": {"multipart/form-data": {"schema": upload}},
                },
            ),
        },
        "/api/imports/{job_id}": {
            "parameters": [job_id],
            "get": _operation(
                "Where an import is: state, progress and counts",
                "getImport",
                {"200": _json("The job", "ImportJob"), **_error_responses(404)},
            ),
        },
        "/api/imports/{job_id}/cancel": {
            "parameters": [job_id],
            "post": _operation(
                "Cancel a queued or running import (a running one stops after its current "
                "batch; the rows written before stay)",
                "cancelImport",
                {
                    "202": _json("The job, cancelled or about to stop", "ImportJob"),
                    **_error_responses(404),
                    "409": _json("The job has already ended", "IngestError"),
                },
            ),
        },
        "/api/imports/{job_id}/retry": {
            "parameters": [job_id],
            "post": _operation(
                "Queue a failed or cancelled import again; it continues after its last "
                "written batch",
                "retryImport",
                {
                    "202": _json("The job, queued again", "ImportJob"),
                    **_error_responses(404),
                    "409": _json("The job is not failed or cancelled", "IngestError"),
                },
            ),
        },
        "/api/imports/{job_id}/report": {
            "parameters": [job_id],
            "get": _operation(
                "The row-level report: each row's outcome and each problem, with how to fix it",
                "getImportReport",
                {"200": _json("The report", "ImportReport"), **_error_responses(404)},
            ),
        },
        "/api/imports/{job_id}/report.csv": {
            "parameters": [job_id],
            "get": download("CSV", "text/csv"),
        },
        "/api/imports/{job_id}/report.xlsx": {
            "parameters": [job_id],
            "get": download(
                "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        },
    }


def ingest_api_description() -> dict[str, Any]:
    return {
        "paths": {**_record_paths(), **_import_paths()},
        "schemas": {**_record_schemas(), **_error_schemas(), **_import_schemas()},
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": (
                    "An API token made by an administrator of your library "
                    "(Workspace → API tokens). It acts as one account, with its permissions."
                ),
            }
        },
    }
