"""Signing in and out, and loading the signed-in user for each request."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from repository.extensions import db, login_manager
from repository.models import User
from repository.redirects import safe_local_path
from repository.services.accounts import authenticate

blueprint = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            target = safe_local_path(request.args.get("next"))
            return redirect(target or url_for("workflow.workspace_home"))
        form.password.errors.append(_l("Wrong e-mail or password."))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 401


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash(_l("You have signed out."), "info")
    return redirect(url_for("public.home"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "strong"
    app.register_blueprint(blueprint)
    app.jinja_env.globals["current_user"] = current_user
