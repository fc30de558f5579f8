"""The cataloguer's workspace and the review steps: submit, publish, return, withdraw, delete."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import Length

from repository import permissions
from repository.errors import NotFound
from repository.messages import Message
from repository.models import RecordStatus
from repository.services import records, workspace
from repository.services.browse import visible_record

blueprint = Blueprint("workflow", __name__, url_prefix="/workspace")


class ReviewForm(FlaskForm):
    """Every lifecycle button posts this form, so every step is CSRF-protected."""

    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])


@blueprint.route("/")
@login_required
def workspace_home() -> str:
    status = request.args.get("status")
    chosen = RecordStatus(status) if status in RecordStatus._value2member_map_ else None
    return render_template(
        "workflow/workspace.html",
        records=workspace.library_records(current_user, chosen),
        queue=workspace.review_queue(current_user),
        collections=workspace.contributable_collections(current_user),
        status=chosen,
        statuses=list(RecordStatus),
    )


@blueprint.route("/records/<public_id>/history")
@login_required
def history(public_id: str) -> str:
    record = visible_record(public_id, current_user)
    if not permissions.can_view_private(current_user, record):
        # Review comments and working history stay within the library and its reviewers.
        raise NotFound(Message("no record {id}", "没有编号为 {id} 的记录").format(id=public_id))
    return render_template("workflow/history.html", record=record)


# action → (service, flash message); each takes the record and the form's comment.
_STEPS = {
    "submit": (records.submit_record, _l("Submitted for review.")),
    "publish": (records.publish_record, _l("Published.")),
    "return": (records.return_record, _l("Returned to the contributing library.")),
    "withdraw": (records.withdraw_record, _l("Withdrawn from public view.")),
}


@blueprint.route(
    "/records/<public_id>/<any(submit, publish, return, withdraw):step>", methods=["POST"]
)
@login_required
def lifecycle_step(public_id: str, step: str) -> Response:
    record = visible_record(public_id, current_user)
    form = ReviewForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("public.record", public_id=public_id))
    service, done = _STEPS[step]
    service(current_user, record, form.comment.data or "")
    flash(done, "success")
    return redirect(url_for("public.record", public_id=public_id))


@blueprint.route("/records/<public_id>/delete", methods=["POST"])
@login_required
def delete(public_id: str) -> Response:
    record = visible_record(public_id, current_user)
    if not ReviewForm().validate_on_submit():
        return redirect(url_for("public.record", public_id=public_id))
    records.delete_record(current_user, record)
    flash(_l("Deleted."), "success")
    return redirect(url_for("workflow.workspace_home"))


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.jinja_env.globals.update(permissions=permissions, ReviewForm=ReviewForm)
