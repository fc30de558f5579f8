"""Reviewer pages for possible duplicates: the list, two records side by side, merge or keep both.

Also sends the address of a record that was merged away to the record it now lives in.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from ingest.duplicates import keep_both, merge_pair, merged_into
from ingest.duplicates.cli import duplicates_cli
from ingest.duplicates.decisions import NotOneOfThePair
from ingest.duplicates.review import candidate_for, compare_fields, waiting_count, waiting_pairs
from repository.errors import Conflict, PermissionDenied
from repository.i18n import current_locale, localize
from repository.messages import Message
from repository.models import UserRole

blueprint = Blueprint("duplicates", __name__, url_prefix="/workspace/duplicates")

#: Pages of a record whose old address leads to the record it was merged into.
RECORD_ENDPOINTS = frozenset({"public.record", "public.record_json"})


class DecisionForm(FlaskForm):
    """Both decisions post this form, so each is CSRF-protected."""

    survivor = StringField(validators=[Length(max=16)])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


@blueprint.route("/")
@login_required
def waiting() -> str:
    if not (current_user.is_admin or current_user.role == UserRole.REVIEWER):
        raise PermissionDenied(Message("only reviewers see possible duplicates"))
    page = waiting_pairs(current_user, request.args.get("page", 1, type=int))
    return render_template("duplicates/list.html", page=page)


@blueprint.route("/<int:candidate_id>")
@login_required
def compare(candidate_id: int) -> tuple[str, int]:
    return _render_comparison(candidate_id)


@blueprint.route("/<int:candidate_id>/merge", methods=["POST"])
@login_required
def merge(candidate_id: int) -> Response | tuple[str, int]:
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_comparison(candidate_id, _form_error(form), 400)
    try:
        survivor = merge_pair(
            current_user,
            candidate_id,
            form.survivor.data or "",
            form.comment.data or "",
            choices=_field_choices(),
        )
    except (Conflict, NotOneOfThePair) as error:
        return _render_comparison(candidate_id, localize(error.message), error.status)
    flash(_l("Merged. Both libraries are credited on this record."), "success")
    return redirect(url_for("public.record", public_id=survivor.public_id), 303)


@blueprint.route("/<int:candidate_id>/keep-both", methods=["POST"])
@login_required
def keep(candidate_id: int) -> Response | tuple[str, int]:
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_comparison(candidate_id, _form_error(form), 400)
    try:
        keep_both(current_user, candidate_id)
    except Conflict as error:
        return _render_comparison(candidate_id, localize(error.message), error.status)
    flash(_l("Kept both records. They will not be flagged again unless one changes."), "success")
    return redirect(url_for("duplicates.waiting"), 303)


def _field_choices() -> dict[str, str]:
    """``keep_<field>`` → the public id of the record whose value of that field survives."""
    return {
        key.removeprefix("keep_")[:64]: value[:16]
        for key, value in request.form.items()
        if key.startswith("keep_") and value
    }


def _render_comparison(candidate_id: int, error: str = "", status: int = 200):
    candidate = candidate_for(current_user, candidate_id)
    return render_template(
        "duplicates/compare.html",
        candidate=candidate,
        fields=compare_fields(candidate, current_locale()),
        error=error,
    ), status


def _form_error(form: DecisionForm) -> str:
    messages = [str(m) for errors in form.errors.values() for m in errors]
    return "; ".join(messages) or str(_l("The form has expired; please try again."))


def redirect_merged_record() -> Response | None:
    """A record merged into another answers with a permanent redirect to it."""
    if request.endpoint not in RECORD_ENDPOINTS:
        return None
    public_id = (request.view_args or {}).get("public_id")
    target = merged_into(public_id) if public_id else None
    if target is None:
        return None
    return redirect(url_for(request.endpoint, public_id=target), 301)


def possible_duplicates_waiting() -> int:
    """How many pairs wait for the signed-in reviewer (for the workspace link)."""
    if not current_user.is_authenticated:
        return 0
    return waiting_count(current_user)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.before_request(redirect_merged_record)
    app.jinja_env.globals.update(possible_duplicates_waiting=possible_duplicates_waiting)
    app.cli.add_command(duplicates_cli)
