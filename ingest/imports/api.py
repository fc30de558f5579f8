"""Batch imports through the JSON API: start one with a multipart upload, poll it, fetch its
report, cancel it or retry it.

The endpoints live on the ingest API's blueprint (same token check, same error shapes) and run
the same jobs as the web page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from werkzeug.datastructures import FileStorage

from ingest.api import ApiInvalid, api_user, blueprint, contributing_to
from ingest.imports.jobs import cancel_import, job_document, retry_import, visible_job
from ingest.imports.report import report_as_csv, report_as_xlsx
from ingest.imports.services import ENCODINGS, ON_ERROR, UploadRefused, start_uploaded_import
from repository import permissions
from repository.errors import HuikuError, PermissionDenied
from repository.messages import Message
from repository.models import IngestJob

IMPORT_FIELDS = frozenset({"table", "images", "dry_run", "publish", "on_error", "encoding"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _flag(name: str, errors: dict[str, list[Message]]) -> bool:
    value = request.form.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        errors[name] = [Message("{name} must be true or false").format(name=name)]
    return False


def _choice(name: str, allowed: tuple[str, ...], default: str, errors) -> str:
    value = request.form.get(name, default).strip().lower() or default
    if value not in allowed:
        errors[name] = [
            Message("{name} must be one of: {allowed}").format(
                name=name, allowed=", ".join(allowed)
            )
        ]
    return value


@blueprint.post("/collections/<slug>/imports")
def start_import(slug: str) -> Response:
    """Multipart: ``table`` (CSV/XLSX), optional ``images`` (ZIP), and the options as fields."""
    user, collection = contributing_to(slug)
    errors: dict[str, list[Message]] = {}
    for name in sorted((set(request.form) | set(request.files)) - IMPORT_FIELDS):
        errors[name] = [
            Message("{name!r} is not understood; send only {allowed}").format(
                name=name, allowed=", ".join(sorted(IMPORT_FIELDS))
            )
        ]
    table = request.files.get("table")
    if table is None or not table.filename:
        errors["table"] = [Message("send the CSV or XLSX file as table")]
    images = request.files.get("images")
    dry_run = _flag("dry_run", errors)
    publish = _flag("publish", errors)
    on_error = _choice("on_error", ON_ERROR, "skip", errors)
    encoding = _choice("encoding", tuple(ENCODINGS), "auto", errors)
    if errors:
        raise ApiInvalid(errors, Message("invalid import request"))
    if publish and not permissions.can_review(user, collection):
        raise PermissionDenied(Message("only the collection's reviewers may publish on import"))
    try:
        job = start_uploaded_import(
            user,
            collection,
            table,
            images if images is not None and images.filename else None,
            dry_run=dry_run,
            publish=publish,
            on_error=on_error,
            encoding=ENCODINGS[encoding],
        )
    except UploadRefused as error:
        raise ApiInvalid({error.field: [error.message]}, error.message) from None
    except HuikuError as error:
        if error.status != 422:
            raise
        raise ApiInvalid({_refused_field(error, images): [error.message]}, error.message) from None
    return _accepted(job)


@blueprint.get("/imports/<job_id>")
def get_import(job_id: str) -> Response:
    response = jsonify(api_job_document(visible_job(job_id, api_user())))
    response.cache_control.no_store = True
    return response


@blueprint.get("/imports/<job_id>/report")
def import_report(job_id: str) -> Response:
    """The row-level report as JSON; complete once ``finished`` is true."""
    job = visible_job(job_id, api_user())
    status = job_document(job)
    return jsonify(
        {
            "id": job.public_id,
            "state": status["state"],
            "finished": status["finished"],
            "counts": status["counts"],
            "entries": [_report_entry(entry) for entry in job.report or []],
        }
    )


@blueprint.get("/imports/<job_id>/report.<any(csv, xlsx):kind>")
def import_report_file(job_id: str, kind: str) -> Response:
    job = visible_job(job_id, api_user())
    mimetype = {
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    content = report_as_csv(job) if kind == "csv" else report_as_xlsx(job)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="import-{job.public_id}-report.{kind}"'
    )
    return response


@blueprint.post("/imports/<job_id>/cancel")
def cancel_import_job(job_id: str) -> Response:
    """Stop the job: a queued one at once, a running one after its current batch (409 when it
    has ended)."""
    job = cancel_import(visible_job(job_id, api_user()))
    return _accepted(job)


@blueprint.post("/imports/<job_id>/retry")
def retry_import_job(job_id: str) -> Response:
    """Queue a failed or cancelled job again; it continues after its last written batch."""
    job = retry_import(visible_job(job_id, api_user()))
    return _accepted(job)


def _accepted(job: IngestJob) -> Response:
    response = jsonify(api_job_document(job))
    response.status_code = 202
    response.headers["Location"] = url_for(
        "ingest_api.get_import", job_id=job.public_id, _external=True
    )
    return response


def _refused_field(error: HuikuError, images: FileStorage | None) -> str:
    """Which upload the engine refused: its messages name the file as the user called it."""
    field = getattr(error, "field", None)
    if field:
        return field
    if images is not None and images.filename and images.filename in str(error.message):
        return "images"
    return "table"


def api_job_document(job: IngestJob) -> dict[str, Any]:
    return {
        **job_document(job),
        "links": {
            "self": url_for("ingest_api.get_import", job_id=job.public_id, _external=True),
            "report": url_for("ingest_api.import_report", job_id=job.public_id, _external=True),
            "page": url_for("imports.job_page", job_id=job.public_id, _external=True),
            "cancel": url_for("ingest_api.cancel_import_job", job_id=job.public_id, _external=True),
            "retry": url_for("ingest_api.retry_import_job", job_id=job.public_id, _external=True),
        },
    }


def _report_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A report line with its message and fix as bilingual pairs, and a link to the record."""
    record_id = entry.get("record_id")
    return {
        "row": entry.get("row", 0),
        "cell": entry.get("cell", ""),
        "column": entry.get("column", ""),
        "field": entry.get("field", ""),
        "value": entry.get("value", ""),
        "local_id": entry.get("local_id", ""),
        "outcome": entry.get("outcome", ""),
        "level": entry.get("level", ""),
        "message": {"en": entry.get("message_en", ""), "zh": entry.get("message_zh", "")},
        "fix": {"en": entry.get("fix_en", ""), "zh": entry.get("fix_zh", "")},
        "record_id": record_id,
        "record_url": (
            url_for("ingest_api.get_record", public_id=record_id, _external=True)
            if record_id
            else None
        ),
    }
