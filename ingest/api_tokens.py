"""The administrator's page for the library's API tokens: make one (shown once), revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from repository.errors import HuikuError, PermissionDenied
from repository.i18n import localize
from repository.messages import Message
from repository.models import User
from repository.services import tokens

blueprint = Blueprint("api_tokens", __name__, url_prefix="/workspace/api-tokens")


ROLE_LABELS = {
    "contributor": _l("Contributor"),
    "reviewer": _l("Reviewer"),
    "admin": _l("Administrator"),
}


class NewTokenForm(FlaskForm):
    owner = SelectField(_l("Account the token acts as"), coerce=int, validate_choice=True)
    name = StringField(
        _l("Name (e.g. the system that will use it)"),
        validators=[DataRequired(), Length(max=tokens.MAX_NAME_LENGTH)],
    )


@blueprint.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        raise PermissionDenied(Message("only administrators manage API tokens"))


@blueprint.route("/", methods=["GET", "POST"])
def token_list() -> tuple[str, int] | Response:
    accounts = tokens.library_accounts(current_user)
    form = _new_token_form(accounts)
    secret, status = None, 200
    if form.validate_on_submit():
        owner = next(user for user in accounts if user.id == form.owner.data)
        try:
            _token, secret = tokens.create_token(current_user, owner, form.name.data)
        except HuikuError as error:
            form.name.errors = [*form.name.errors, localize(error.message)]
            status = 422
        else:
            status = 201
            form = _new_token_form(accounts, formdata=None, owner=owner.id)
    elif form.errors:
        status = 422
    html = render_template(
        "api/tokens.html",
        form=form,
        tokens=tokens.library_tokens(current_user),
        secret=secret,
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"  # the new secret must not linger in caches
    return response


@blueprint.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    """The app-wide CSRF check has already refused a post without the form's token."""
    token = tokens.revoke_token(current_user, token_id)
    flash(_l("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.token_list"))


def _new_token_form(accounts: list[User], **kwargs) -> NewTokenForm:
    form = NewTokenForm(**kwargs)
    form.owner.choices = [
        SelectChoice(user.id, f"{user.name} <{user.email}> · {ROLE_LABELS[user.role.value]}")
        for user in accounts
    ]
    return form
