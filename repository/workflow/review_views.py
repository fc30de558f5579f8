"""A reviewer's page for a pending edit: published and proposed values side by side."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from repository import permissions
from repository.errors import Conflict, InvalidTransition
from repository.i18n import current_locale, localize
from repository.services import review
from repository.workflow.blueprint import ReviewForm, blueprint, form_errors


@blueprint.route("/edits/<int:edit_id>")
@login_required
def pending_edit(edit_id: int) -> tuple[str, int]:
    return _render(edit_id)


@blueprint.route("/edits/<int:edit_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def decide(edit_id: int, decision: str) -> Response | tuple[str, int]:
    edit = review.get_pending_edit(current_user, edit_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render(edit_id, "; ".join(form_errors(form)), 400)
    comment = form.comment.data or ""
    try:
        if decision == "approve":
            review.approve_edit(current_user, edit_id, comment)
            flash(_l("Edit approved and published."), "success")
        else:
            review.reject_edit(current_user, edit_id, comment)
            flash(_l("Edit returned to its author."), "success")
    except (Conflict, InvalidTransition) as error:
        return _render(edit_id, localize(error.message), error.status)
    return redirect(url_for("public.record", public_id=edit.record.public_id), 303)


def _render(edit_id: int, error: str = "", status: int = 200) -> tuple[str, int]:
    edit = review.get_pending_edit(current_user, edit_id)
    profile = edit.record.collection.profile
    locale = current_locale()
    return render_template(
        "workflow/pending_edit.html",
        edit=edit,
        record=edit.record,
        changes=review.changes(profile, edit.record.metadata_, edit.metadata_, locale),
        can_decide=permissions.can_review(current_user, edit.record.collection),
        error=error,
        form=ReviewForm(),
    ), status
