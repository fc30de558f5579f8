"""Administration pages for harvested sources: list, add, edit, check, harvest, runs.

Thin views like the other administration pages: a form parses, ``harvest.sources`` decides and
writes (with its audit entry), a template shows. A refusal is shown next to the field it names,
with status 422. Only administrators open these pages, and only their library's sources.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from harvest import sources
from harvest.forms import ConfirmForm, SourceForm
from repository.admin.forms import show_service_error
from repository.admin.pages import page
from repository.errors import HuikuError, PermissionDenied
from repository.extensions import db
from repository.i18n import current_locale, localize
from repository.messages import Message
from repository.models import Library, User
from repository.models.harvest import HarvestSource

blueprint = Blueprint("harvest", __name__, url_prefix="/admin/sources")


@blueprint.before_request
@login_required
def require_admin() -> None:
    if not (current_user.is_active and current_user.is_admin):
        raise PermissionDenied(Message("only administrators may open these pages"))


def _form(source: HarvestSource | None = None, **kwargs) -> SourceForm:
    form = SourceForm(obj=source, **kwargs)
    locale = current_locale()
    form.library.choices = [
        SelectChoice(lib.code, f"{lib.code} · {lib.name(locale)}")
        for lib in sources.libraries_for(current_user)
    ]
    if not form.is_submitted():
        if source is not None:
            form.kind.data = source.kind.value
            form.library.data = source.library.code
            form.interval_hours.data = str(source.interval_hours)
        elif current_user.library is not None:
            form.library.data = current_user.library.code
    return form


def _settings(form: SourceForm) -> dict:
    library = db.session.scalar(select(Library).where(Library.code == form.library.data))
    return {
        "name": form.name.data or "",
        "kind": form.kind.data,
        "base_url": form.base_url.data or "",
        "set_spec": form.set_spec.data or "",
        "metadata_prefix": form.metadata_prefix.data or "",
        "interval_hours": form.interval_hours.data or "",
        "library": library,
    }


@blueprint.get("/")
def source_list() -> Response:
    chosen = sources.sources_for(current_user)
    return page("harvest/sources.html", sources=chosen, last_runs=sources.last_runs(chosen))


@blueprint.route("/new", methods=["GET", "POST"])
def new_source() -> Response:
    form = _form()
    if form.validate_on_submit():
        try:
            created = sources.create_source(current_user, slug=form.slug.data, **_settings(form))
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(
                _l("Source %(slug)s added; its address is being checked.", slug=created.slug),
                "success",
            )
            return redirect(url_for("harvest.source", slug=created.slug))
    return page("harvest/edit.html", 422 if form.errors else 200, form=form, source=None)


@blueprint.route("/<slug>/edit", methods=["GET", "POST"])
def edit_source(slug: str) -> Response:
    chosen = sources.source_for(current_user, slug)
    form = _form(chosen)
    del form.slug  # the source's records and search facet are named by it: it never changes
    if form.validate_on_submit():
        try:
            sources.update_source(current_user, chosen, **_settings(form))
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_l("Source %(slug)s saved.", slug=chosen.slug), "success")
            return redirect(url_for("harvest.source", slug=chosen.slug))
    return page("harvest/edit.html", 422 if form.errors else 200, form=form, source=chosen)


@blueprint.get("/<slug>")
def source(slug: str) -> Response:
    chosen = sources.source_for(current_user, slug)
    runs = sources.runs_of(chosen, request.args.get("page", 1, type=int))
    last = sources.last_runs([chosen]).get(chosen.id)
    return page(
        "harvest/source.html",
        source=chosen,
        runs=runs,
        last_run=last,
        records=sources.record_count(chosen),
        form=ConfirmForm(),
    )


def _posted(slug: str) -> HarvestSource:
    """The source a button acts on, once the form's CSRF token is good."""
    chosen = sources.source_for(current_user, slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise PermissionDenied(Message("the form expired; reload the page and try again"))
    return chosen


def _back(chosen: HarvestSource) -> Response:
    return redirect(url_for("harvest.source", slug=chosen.slug))


@blueprint.post("/<slug>/check")
def check_source(slug: str) -> Response:
    chosen = _posted(slug)
    sources.check_again(current_user, chosen)
    flash(_l("The address is being checked; reload the page for the result."), "success")
    return _back(chosen)


@blueprint.post("/<slug>/harvest")
def harvest(slug: str) -> Response:
    chosen = _posted(slug)
    full = request.form.get("full") == "1"
    try:
        run = sources.start_run(current_user, chosen, full=full)
    except HuikuError as error:
        db.session.rollback()
        flash(localize(error.message), "error")
        return _back(chosen)
    flash(_l("Harvest %(id)s queued.", id=run.public_id), "success")
    return _back(chosen)


@blueprint.post("/<slug>/enable")
def enable(slug: str) -> Response:
    chosen = _posted(slug)
    enabled = request.form.get("enabled") == "1"
    sources.set_enabled(current_user, chosen, enabled)
    if enabled:
        flash(_l("Source enabled: its records are searchable again."), "success")
    else:
        flash(_l("Source disabled: its records leave the search."), "success")
    return _back(chosen)


@blueprint.route("/<slug>/delete", methods=["GET", "POST"])
def delete_source(slug: str) -> Response:
    chosen = sources.source_for(current_user, slug)
    form = ConfirmForm()
    if form.validate_on_submit():
        sources.delete_source(current_user, chosen)
        flash(_l("Source %(slug)s deleted with its records.", slug=slug), "success")
        return redirect(url_for("harvest.source_list"))
    return page(
        "harvest/delete.html", source=chosen, records=sources.record_count(chosen), form=form
    )


@blueprint.get("/<slug>/runs/<public_id>")
def run(slug: str, public_id: str) -> Response:
    chosen = sources.source_for(current_user, slug)
    found = sources.run_for(current_user, chosen, public_id)
    requester = db.session.get(User, found.requested_by_id) if found.requested_by_id else None
    return page("harvest/run.html", source=chosen, run=found, requested_by=requester)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
