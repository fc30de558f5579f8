"""The workspace page, a record's history, single lifecycle steps and notifications."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from repository import permissions
from repository.errors import NotFound
from repository.i18n import current_locale
from repository.messages import Message
from repository.models import RecordStatus
from repository.public.presentation import mark_chinese
from repository.services import notifications, records, review, workspace
from repository.services.browse import visible_record
from repository.workflow.blueprint import ReviewForm, blueprint, form_errors


@blueprint.route("/")
@login_required
def workspace_home() -> tuple[str, int]:
    """Records page by page; a filter value that cannot be read is named, and left out (400)."""
    chosen, paging, errors = workspace.parse_filter(request.args)
    if chosen.scope == "review" and not _reviews_anything():
        chosen = workspace.Filter(**{**chosen.__dict__, "scope": "library"})
    choices = workspace.filter_choices(current_user)
    page = workspace.records_page(current_user, chosen, **paging)
    reviewer = _reviews_anything()
    locale = current_locale()
    return render_template(
        "workflow/workspace.html",
        page=page,
        chosen=chosen,
        errors=errors,
        choices=choices,
        # Each row's collection name, made once per page rather than once per row.
        collection_names={
            c.id: mark_chinese(c.title(locale), locale) for c in choices["collections"]
        },
        collections=workspace.contributable_collections(current_user, choices["collections"]),
        queue_count=workspace.review_queue_count(current_user) if reviewer else 0,
        pending_edits=review.pending_edits(current_user, 20) if reviewer else [],
        reviewer=reviewer,
        statuses=list(RecordStatus),
        form=ReviewForm(),
    ), (400 if errors else 200)


def _reviews_anything() -> bool:
    return current_user.is_admin or bool(current_user.reviewed_collections)


@blueprint.route("/records/<public_id>/history")
@login_required
def history(public_id: str) -> str:
    record = visible_record(public_id, current_user)
    if not permissions.can_view_private(current_user, record):
        # Review comments and working history stay within the library and its reviewers.
        raise NotFound(Message("no record {id}").format(id=public_id))
    locale = current_locale()
    profile = record.collection.profile
    return render_template(
        "workflow/history.html",
        record=record,
        pending=review.pending_edit_of(record),
        changes={
            revision.id: review.changes(
                profile, revision.metadata_before, revision.metadata_after, locale
            )
            for revision in record.revisions
        },
        form=ReviewForm(),
    )


@blueprint.route("/records/<public_id>/history/<int:number>/restore", methods=["POST"])
@login_required
def restore(public_id: str, number: int) -> Response:
    record = visible_record(public_id, current_user)
    form = ReviewForm()
    if not form.validate_on_submit():
        for message in form_errors(form):
            flash(message, "error")
        return redirect(url_for("workflow.history", public_id=public_id), 303)
    waits = review.edit_waits_for_review(current_user, record)
    if review.restore_revision(current_user, record, number):
        if waits:
            flash(
                _l("Revision %(n)d will be restored once a reviewer approves.", n=number), "success"
            )
        else:
            flash(_l("Revision %(n)d restored as a new revision.", n=number), "success")
    else:
        flash(_l("That revision is what the record holds now."), "info")
    return redirect(url_for("workflow.history", public_id=public_id), 303)


@blueprint.route(
    "/records/<public_id>/<any(submit, publish, return, withdraw):step>", methods=["POST"]
)
@login_required
def lifecycle_step(public_id: str, step: str) -> Response:
    record = visible_record(public_id, current_user)
    form = ReviewForm()
    if not form.validate_on_submit():
        for message in form_errors(form):
            flash(message, "error")
        return redirect(url_for("public.record", public_id=public_id))
    review.take_step(current_user, record, step, form.comment.data or "")
    flash(_DONE[step], "success")
    return redirect(url_for("public.record", public_id=public_id))


_DONE = {
    "submit": _l("Submitted for review."),
    "publish": _l("Published."),
    "return": _l("Returned to the contributing library."),
    "withdraw": _l("Withdrawn from public view."),
}


@blueprint.route("/records/<public_id>/delete", methods=["POST"])
@login_required
def delete(public_id: str) -> Response:
    record = visible_record(public_id, current_user)
    if not ReviewForm().validate_on_submit():
        return redirect(url_for("public.record", public_id=public_id))
    records.delete_record(current_user, record)
    flash(_l("Deleted."), "success")
    return redirect(url_for("workflow.workspace_home"))


@blueprint.route("/notifications")
@login_required
def notification_list() -> str:
    before = request.args.get("before", type=int)
    items = notifications.latest(current_user, before)
    return render_template(
        "workflow/notifications.html",
        items=items,
        more=len(items) == notifications.PAGE_SIZE,
        form=ReviewForm(),
    )


@blueprint.route("/notifications/read", methods=["POST"])
@login_required
def notifications_read() -> Response:
    if ReviewForm().validate_on_submit():
        notifications.mark_all_read(current_user)
    return redirect(url_for("workflow.notification_list"), 303)
