"""Batch import in the browser: templates, upload, dry run, the job page with its progress and
report, and the library's recent imports.

The work is done by ``ingest.imports``; these views only start a job, show it, cancel or retry it.
A worker runs the job (see ``ingest.imports.tasks``); its page polls a JSON status, so a refresh
loses nothing.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

import ingest.imports as engine
from ingest.imports.jobs import (
    can_cancel,
    can_retry,
    cancel_import,
    job_collection,
    job_document,
    job_library,
    job_user,
    recent_jobs,
    retry_import,
    visible_job,
)
from ingest.imports.report import OUTCOME_WORDS, entries_to_show
from ingest.imports.services import (
    ENCODINGS,
    UploadRefused,
    can_import_checked_files,
    import_checked_files,
    request_too_large_message,
    start_uploaded_import,
)
from repository import permissions
from repository.errors import HuikuError, PermissionDenied
from repository.i18n import localize
from repository.images.storage_errors import format_size
from repository.messages import Message
from repository.models import Collection, IngestJob
from repository.services.collections import get_collection
from repository.services.workspace import contributable_collections

blueprint = Blueprint("imports", __name__)
# created / updated / unchanged / failed in both languages, for counts and report lines.
blueprint.add_app_template_global(OUTCOME_WORDS, "import_outcomes")

REPORT_ROWS_ON_PAGE = 500


class ImportForm(FlaskForm):
    table = FileField(
        _l("Table (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose the CSV or XLSX file to import.")),
            FileAllowed(["csv", "xlsx"], _l("The table must be a .csv or .xlsx file.")),
        ],
    )
    images = FileField(
        _l("Images (one ZIP file, optional)"),
        validators=[FileAllowed(["zip"], _l("The images must come as one .zip file."))],
    )
    encoding = SelectField(
        _l("Encoding of a CSV file"),
        choices=[
            SelectChoice("auto", _l("Detect (UTF-8 or GB18030/GBK)")),
            SelectChoice("utf-8", "UTF-8"),
            SelectChoice("gb18030", "GB18030 / GBK"),
        ],
        default="auto",
    )
    mode = RadioField(
        _l("What to do"),
        choices=[
            SelectChoice("dry_run", _l("Dry run: check every row and image, write nothing")),
            SelectChoice("import", _l("Import: write the valid rows")),
        ],
        default="dry_run",
    )
    on_error = RadioField(
        _l("When a row has a problem"),
        choices=[
            SelectChoice("skip", _l("Skip that row and import the others")),
            SelectChoice("abort", _l("Import nothing at all")),
        ],
        default="skip",
    )
    publish = BooleanField(_l("Publish the imported records at once"))


class ImportCheckedForm(FlaskForm):
    """Turns a dry run into the import of the same files, with the same options."""

    publish = BooleanField(_l("Publish the imported records at once"))


class JobActionForm(FlaskForm):
    """Cancel or retry a job: only the CSRF token."""


def _contributable(slug: str) -> Collection:
    collection = get_collection(slug)
    if not permissions.can_contribute(current_user, collection):
        raise PermissionDenied(Message("you cannot contribute here"))
    return collection


@blueprint.route("/workspace/collections/<slug>/import", methods=["GET", "POST"])
@login_required
def import_page(slug: str) -> tuple[str, int] | Response:
    collection = _contributable(slug)
    may_publish = permissions.can_review(current_user, collection)
    form = ImportForm()
    if not may_publish:
        del form.publish
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            job = start_uploaded_import(
                current_user,
                collection,
                form.table.data,
                form.images.data,
                dry_run=form.mode.data == "dry_run",
                publish=may_publish and form.publish.data,
                on_error=form.on_error.data,
                encoding=ENCODINGS[form.encoding.data],
            )
        except UploadRefused as error:
            form[error.field].errors = [*form[error.field].errors, localize(error.message)]
        except HuikuError as error:
            problems.append(localize(error.message))
        else:
            return redirect(url_for("imports.job_page", job_id=job.public_id))
    return _render_import_page(collection, form, problems)


def _render_import_page(
    collection: Collection, form: ImportForm, problems: list[str], status: int | None = None
) -> tuple[str, int]:
    failed = bool(problems or form.errors)
    html = render_template(
        "imports/import.html",
        collection=collection,
        form=form,
        problems=problems,
        jobs=described(recent_jobs(current_user, collection, limit=10)),
        max_upload=format_size(current_app.config["MAX_UPLOAD_BYTES"]),
    )
    return html, status or (422 if failed else 200)


@blueprint.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> tuple[str, int] | Response:
    """A clear answer on the form itself, instead of a bare 413 page."""
    message = localize(request_too_large_message(request.max_content_length or 0))
    slug = (request.view_args or {}).get("slug")
    if request.endpoint != "imports.import_page" or not current_user.is_authenticated or not slug:
        return render_template("error.html", status=413, message=message), 413
    try:
        collection = _contributable(slug)
    except HuikuError as refusal:
        return render_template(
            "error.html", status=refusal.status, message=localize(refusal.message)
        ), refusal.status
    form = ImportForm(formdata=None)
    if not permissions.can_review(current_user, collection):
        del form.publish
    return _render_import_page(collection, form, [message], status=413)


@blueprint.route("/workspace/collections/<slug>/import/template.<any(csv, xlsx):kind>")
@login_required
def template(slug: str, kind: str) -> Response:
    collection = _contributable(slug)
    maker = engine.template_csv if kind == "csv" else engine.template_xlsx
    return _download(maker(collection), f"{collection.slug}-template.{kind}", kind)


@blueprint.route("/imports/")
@login_required
def job_list() -> str:
    return render_template(
        "imports/jobs.html",
        jobs=described(recent_jobs(current_user)),
        collections=contributable_collections(current_user),
    )


@blueprint.route("/imports/<job_id>")
@login_required
def job_page(job_id: str) -> str:
    job = visible_job(job_id, current_user)
    # Problems and notes first: they are what a cataloguer has to act on.
    report, report_total = entries_to_show(job, REPORT_ROWS_ON_PAGE)
    may_publish = permissions.can_review(current_user, job_collection(job))
    follow_up = None
    if can_import_checked_files(current_user, job):
        follow_up = ImportCheckedForm(publish=bool((job.options or {}).get("publish")))
        if not may_publish:
            del follow_up.publish
    return render_template(
        "imports/job.html",
        job=job,
        collection=job_collection(job),
        library=job_library(job),
        user=job_user(job),
        status=job_document(job),
        report=report,
        report_total=report_total,
        follow_up=follow_up,
        action_form=JobActionForm(),
        can_cancel=can_cancel(job),
        can_retry=can_retry(job),
    )


@blueprint.post("/imports/<job_id>/cancel")
@login_required
def cancel(job_id: str) -> Response:
    """Stop the job: a queued one at once, a running one after its current batch."""
    return _job_action(job_id, cancel_import)


@blueprint.post("/imports/<job_id>/retry")
@login_required
def retry(job_id: str) -> Response:
    """Queue a failed or cancelled job again; it continues after its last written batch."""
    return _job_action(job_id, retry_import)


def _job_action(job_id: str, action) -> Response:
    job = visible_job(job_id, current_user)
    JobActionForm().validate_on_submit()  # only the CSRF token, which the app already checked
    try:
        action(job)
    except HuikuError as error:
        flash(localize(error.message), "error")
    return redirect(url_for("imports.job_page", job_id=job.public_id))


@blueprint.post("/imports/<job_id>/import")
@login_required
def import_checked(job_id: str) -> Response:
    """Import the files that a dry run checked, without uploading them again."""
    job = visible_job(job_id, current_user)
    form = ImportCheckedForm()
    form.validate_on_submit()  # only the CSRF token, which the app already checked
    may_publish = permissions.can_review(current_user, job_collection(job))
    try:
        new_job = import_checked_files(
            current_user, job, publish=may_publish and bool(form.publish.data)
        )
    except HuikuError as error:
        flash(localize(error.message), "error")
        return redirect(url_for("imports.job_page", job_id=job.public_id))
    return redirect(url_for("imports.job_page", job_id=new_job.public_id))


@blueprint.route("/imports/<job_id>/status.json")
@login_required
def job_status(job_id: str) -> Response:
    response = jsonify(job_document(visible_job(job_id, current_user)))
    response.cache_control.no_store = True
    return response


@blueprint.route("/imports/<job_id>/report.<any(csv, xlsx):kind>")
@login_required
def job_report(job_id: str, kind: str) -> Response:
    job = visible_job(job_id, current_user)
    content = engine.report_as_csv(job) if kind == "csv" else engine.report_as_xlsx(job)
    return _download(content, f"import-{job.public_id}-report.{kind}", kind)


def _download(content: bytes, filename: str, kind: str) -> Response:
    mimetype = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def described(jobs: list[IngestJob]) -> list[dict]:
    """Each job with the collection, library and person it concerns, for the listings."""
    return [
        {
            "job": job,
            "collection": job_collection(job),
            "library": job_library(job),
            "user": job_user(job),
        }
        for job in jobs
    ]
