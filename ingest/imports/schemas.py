"""The batch-import API's schemas and operations (``ingest.imports.api``), in the OpenAPI
document beside the record API's (``ingest.schemas``)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from marshmallow import EXCLUDE, Schema, fields
from marshmallow.validate import OneOf, Range

from ingest.imports.services import ENCODINGS, ON_ERROR
from ingest.openapi import error_responses, operation, path_parameter
from ingest.schemas import BilingualTextSchema, IngestErrorSchema, file_field, uri_field
from repository.models import JobState
from repository.openapi import AnswerSchema, json_content

# --- bodies and answers -----------------------------------------------------------------------


def _flag(description: str) -> fields.String:
    return fields.String(
        load_default="false",
        validate=OneOf(["true", "false"]),
        metadata={"description": description},
    )


class ImportUploadSchema(Schema):
    """multipart/form-data: the table, a ZIP of images and the options."""

    table = file_field(
        "CSV (UTF-8 or GB18030/GBK) or XLSX, as the collection's template", required=True
    )
    images = file_field("a ZIP of the images the table's images column names")
    dry_run = _flag("check everything, write nothing")
    publish = _flag("publish at once (collection reviewers only)")
    on_error = fields.String(
        load_default="skip",
        validate=OneOf(list(ON_ERROR)),
        metadata={"description": "skip: import the valid rows; abort: nothing if any row fails"},
    )
    encoding = fields.String(load_default="auto", validate=OneOf(list(ENCODINGS)))

    class Meta:
        unknown = EXCLUDE


def _counts() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(validate=Range(min=0)),
        required=True,
        metadata={"description": "rows per outcome: created, updated, unchanged, failed"},
    )


def _count(**bounds: int) -> fields.Integer:
    return fields.Integer(required=True, validate=Range(**bounds))


class ImportLinksSchema(AnswerSchema):
    self = uri_field(required=True)
    report = uri_field(required=True)
    page = uri_field(required=True, description="the web page")
    cancel = uri_field(required=True, description="POST to cancel")
    retry = uri_field(required=True, description="POST to retry")


class ImportJobSchema(AnswerSchema):
    id = fields.String(required=True)
    state = fields.String(required=True, validate=OneOf([state.value for state in JobState]))
    finished = fields.Boolean(
        required=True, metadata={"description": "succeeded, failed or cancelled: poll no more"}
    )
    dry_run = fields.Boolean(required=True)
    collection = fields.String(required=True)
    library = fields.String(required=True)
    options = fields.Dict(required=True)
    total_rows = _count(min=0)
    processed_rows = _count(min=0)
    percent = _count(min=0, max=100)
    counts = _counts()
    error = fields.String(required=True, metadata={"description": "why a failed job stopped"})
    attempts = fields.Integer(
        required=True,
        validate=Range(min=0),
        metadata={
            "description": "runs of the job by a worker (a worker that died leaves it to another)"
        },
    )
    cancel_requested = fields.Boolean(
        required=True,
        metadata={
            "description": "a cancel was asked for; a running job stops after its current batch"
        },
    )
    created = fields.DateTime(required=True)
    started = fields.DateTime(required=True, allow_none=True)
    finished_at = fields.DateTime(required=True, allow_none=True)
    links = fields.Nested(ImportLinksSchema, required=True)


class ImportReportEntrySchema(AnswerSchema):
    row = fields.Integer(
        required=True, metadata={"description": "spreadsheet row (header = 1; 0 = file)"}
    )
    cell = fields.String()
    column = fields.String(
        required=True, metadata={"description": "the header as written in the file"}
    )
    field = fields.String(metadata={"description": "the profile field it stands for"})
    value = fields.String(required=True)
    local_id = fields.String()
    outcome = fields.String(
        required=True, validate=OneOf(["created", "updated", "unchanged", "failed"])
    )
    level = fields.String()
    message = fields.Nested(BilingualTextSchema, required=True)
    fix = fields.Nested(BilingualTextSchema, required=True)
    record_id = fields.String(required=True, allow_none=True)
    record_url = uri_field(allow_none=True)


class ImportReportSchema(AnswerSchema):
    id = fields.String(required=True)
    state = fields.String(required=True, validate=OneOf([state.value for state in JobState]))
    finished = fields.Boolean(required=True)
    counts = _counts()
    entries = fields.List(fields.Nested(ImportReportEntrySchema), required=True)


# --- the description --------------------------------------------------------------------------


def register_components(spec: APISpec) -> None:
    """The schemas of the import operations' answers."""
    for name, schema in (
        ("ImportLinks", ImportLinksSchema),
        ("ImportJob", ImportJobSchema),
        ("ImportReportEntry", ImportReportEntrySchema),
        ("ImportReport", ImportReportSchema),
    ):
        spec.components.schema(name, schema=schema)


def describe_imports(spec: APISpec) -> None:
    """The batch-import operations (``ingest.imports.api``)."""
    job_id = [path_parameter("job_id")]

    def download(kind: str, mimetype: str) -> dict[str, Any]:
        return operation(
            f"The report as {kind}",
            f"importReport{kind.title()}",
            {
                "200": {
                    "description": f"The report, one line per outcome or problem ({kind})",
                    "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
                },
                **error_responses(404),
            },
        )

    spec.path(
        "/api/collections/{slug}/imports",
        parameters=[path_parameter("slug")],
        operations={
            "post": operation(
                "Start a batch import (or a dry run) of a table and a ZIP of images",
                "startImport",
                {
                    "202": json_content(
                        "The job, queued; poll Location until finished", ImportJobSchema
                    ),
                    **error_responses(403, 404, 413, 422),
                },
                requestBody={
                    "required": True,
                    "content": {"multipart/form-data": {"schema": ImportUploadSchema}},
                },
            )
        },
    )
    spec.path(
        "/api/imports/{job_id}",
        parameters=job_id,
        operations={
            "get": operation(
                "Where an import is: state, progress and counts",
                "getImport",
                {"200": json_content("The job", ImportJobSchema), **error_responses(404)},
            )
        },
    )
    spec.path(
        "/api/imports/{job_id}/cancel",
        parameters=job_id,
        operations={
            "post": operation(
                "Cancel a queued or running import (a running one stops after its current "
                "batch; the rows written before stay)",
                "cancelImport",
                {
                    "202": json_content("The job, cancelled or about to stop", ImportJobSchema),
                    **error_responses(404),
                    "409": json_content("The job has already ended", IngestErrorSchema),
                },
            )
        },
    )
    spec.path(
        "/api/imports/{job_id}/retry",
        parameters=job_id,
        operations={
            "post": operation(
                "Queue a failed or cancelled import again; it continues after its last "
                "written batch",
                "retryImport",
                {
                    "202": json_content("The job, queued again", ImportJobSchema),
                    **error_responses(404),
                    "409": json_content("The job is not failed or cancelled", IngestErrorSchema),
                },
            )
        },
    )
    spec.path(
        "/api/imports/{job_id}/report",
        parameters=job_id,
        operations={
            "get": operation(
                "The row-level report: each row's outcome and each problem, with how to fix it",
                "getImportReport",
                {"200": json_content("The report", ImportReportSchema), **error_responses(404)},
            )
        },
    )
    spec.path(
        "/api/imports/{job_id}/report.csv",
        parameters=job_id,
        operations={"get": download("CSV", "text/csv")},
    )
    spec.path(
        "/api/imports/{job_id}/report.xlsx",
        parameters=job_id,
        operations={
            "get": download(
                "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
        },
    )
