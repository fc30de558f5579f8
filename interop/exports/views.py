"""Exports over HTTP: a collection, a library's contribution, or a registered record source
(the search page's results) in CSV, XLSX, JSON Lines or Dublin Core XML.

Up to ``EXPORT_STREAM_MAX`` records the file is streamed at once; a larger export becomes a
job whose page shows its progress and, when done, the download link.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from interop.exports.formats import FORMATS
from interop.exports.selections import COLLECTION, LIBRARY, resolve
from interop.exports.services import file_key, filename, find_export, start_export
from interop.exports.tasks import run_export_task
from interop.web import public_root
from repository.extensions import db
from repository.images import file_store
from repository.models import JobState

blueprint = Blueprint("exports", __name__)

#: the file extension in a URL → the format
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "jsonl": "jsonl", "xml": "dc"}
FORMAT_NAMES = {"csv": "CSV", "xlsx": "XLSX", "jsonl": "JSON Lines", "dc": "Dublin Core XML"}
_EXTENSION = "<any(csv, xlsx, jsonl, xml):extension>"
#: arguments of a search that only page or shape the page, not what it finds
_PAGE_ONLY = ("page", "per_page", "after")
_CHUNK = 256 * 1024


@blueprint.app_template_global()
def export_links(source: str, arguments: dict[str, str] | MultiDict | None = None) -> list:
    """(format name, URL) of each format, for a page to offer: ``export_links('collection',
    {'slug': …})`` or ``export_links('search', request.args)``."""
    values = MultiDict(arguments or {})
    for name in _PAGE_ONLY:
        values.pop(name, None)
    links = []
    for extension, fmt in EXTENSIONS.items():
        if source == COLLECTION:
            url = url_for("exports.collection", slug=values["slug"], extension=extension)
        elif source == LIBRARY:
            url = url_for("exports.library", code=values["code"], extension=extension)
        else:
            query = values.to_dict(flat=False)
            url = url_for("exports.source", source=source, extension=extension, **query)
        links.append((FORMAT_NAMES[fmt], url))
    return links


@blueprint.route(f"/collections/<slug>/export.{_EXTENSION}")
def collection(slug: str, extension: str) -> Response:
    return _export(COLLECTION, {"slug": [slug]}, EXTENSIONS[extension])


@blueprint.route(f"/libraries/<code>/export.{_EXTENSION}")
def library(code: str, extension: str) -> Response:
    return _export(LIBRARY, {"code": [code]}, EXTENSIONS[extension])


@blueprint.route(f"/exports/<source>.{_EXTENSION}")
def source(source: str, extension: str) -> Response:
    arguments = {
        name: values
        for name, values in request.args.to_dict(flat=False).items()
        if name not in _PAGE_ONLY
    }
    return _export(source, arguments, EXTENSIONS[extension])


def _export(source: str, arguments: dict[str, list[str]], fmt: str) -> Response:
    selected = resolve(source, arguments)
    if selected.total > current_app.config["EXPORT_STREAM_MAX"]:
        user = current_user if current_user.is_authenticated else None
        job, new = start_export(
            user,
            source,
            arguments,
            fmt,
            base_url=public_root(),
            total=selected.total,
            name=selected.name,
        )
        if new:
            run_export_task(job.public_id)
        return redirect(url_for("exports.job", job_id=job.public_id), 303)
    body = FORMATS[fmt].write(selected.records(), selected.columns)
    response = Response(stream_with_context(body), content_type=FORMATS[fmt].content_type)
    response.headers["Content-Disposition"] = _attachment(filename(selected.name, fmt))
    response.headers["X-Record-Count"] = str(selected.total)
    return response


def _attachment(name: str) -> str:
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"


@blueprint.route("/exports/<job_id>")
def job(job_id: str) -> str:
    found = find_export(job_id)
    return render_template(
        "interop/export_job.html",
        job=found,
        format_name=FORMAT_NAMES.get(found.format, found.format),
        finished=found.state in JobState.final(),
    )


@blueprint.route("/exports/<job_id>/download")
def download(job_id: str) -> Response:
    found = find_export(job_id)
    if found.state is not JobState.SUCCEEDED or not found.file_sha256:
        return redirect(url_for("exports.job", job_id=found.public_id), 303)
    try:
        stream = file_store().open(file_key(found))
    except FileNotFoundError:  # deleted since the page was shown: the page says so now
        found.file_sha256 = None
        db.session.commit()
        return redirect(url_for("exports.job", job_id=found.public_id), 303)

    def chunks():
        with stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    response = Response(chunks(), content_type=FORMATS[found.format].content_type)
    response.headers["Content-Disposition"] = _attachment(found.filename)
    if found.file_size is not None:
        response.headers["Content-Length"] = str(found.file_size)
    return response
