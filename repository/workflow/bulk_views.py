"""Starting a bulk action from the workspace, and its progress page."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from repository.errors import InvalidTransition
from repository.i18n import localize
from repository.services import review_bulk, workspace
from repository.workflow.blueprint import ReviewForm, blueprint, form_errors
from repository.workflow.tasks import run_bulk_action_task


@blueprint.route("/bulk", methods=["POST"])
@login_required
def bulk_start() -> Response:
    form = ReviewForm()
    chosen, _, _ = workspace.parse_filter(request.form)
    back = url_for("workflow.workspace_home", **chosen.as_args())
    if not form.validate_on_submit():
        for message in form_errors(form):
            flash(message, "error")
        return redirect(back, 303)
    all_matching = request.form.get("all_matching") == "1"
    try:
        job = review_bulk.start_bulk_action(
            current_user,
            request.form.get("action", "")[:20],
            comment=form.comment.data or "",
            ids=[] if all_matching else request.form.getlist("ids")[: review_bulk.MAX_IDS + 1],
            filter_args=chosen.as_args() if all_matching else None,
        )
    except InvalidTransition as error:
        flash(localize(error.message), "error")
        return redirect(back, 303)
    run_bulk_action_task(job.public_id)
    return redirect(url_for("workflow.bulk_job", public_id=job.public_id), 303)


@blueprint.route("/bulk/<public_id>")
@login_required
def bulk_job(public_id: str) -> str:
    job = review_bulk.find_job(current_user, public_id)
    return render_template(
        "workflow/bulk_job.html", job=job, counts=review_bulk.outcome_counts(job), form=ReviewForm()
    )


@blueprint.route("/bulk/<public_id>/status.json")
@login_required
def bulk_status(public_id: str) -> Response:
    job = review_bulk.find_job(current_user, public_id)
    return jsonify(
        state=job.state.value,
        total=job.total_records,
        processed=job.processed_records,
        counts=review_bulk.outcome_counts(job),
        finished=job.finished,
    )


@blueprint.route("/bulk/<public_id>/cancel", methods=["POST"])
@login_required
def bulk_cancel(public_id: str) -> Response:
    if ReviewForm().validate_on_submit():
        review_bulk.request_cancel(current_user, public_id)
    return redirect(url_for("workflow.bulk_job", public_id=public_id), 303)
