"""Signing in and out, and loading the signed-in user for each request.

Sign-ins are throttled twice: per e-mail address in the database (``services.accounts.sign_in``:
back-off, then a lock), and per client address by ``LOGIN_RATE_LIMIT`` (only attempts that do
not sign in count, so a library whose staff share one address is not held up by their successes).
Either answers 429 with ``Retry-After`` and says so on the form.
"""

from __future__ import annotations

import hmac
import math

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from repository.errors import HuikuError
from repository.extensions import db, limiter, login_manager
from repository.i18n import localize
from repository.models import User
from repository.redirects import safe_local_path
from repository.security import rate_limit_retry_after
from repository.services import accounts, administration
from repository.services.accounts import TooManySignInAttempts, end_all_sessions, sign_in

blueprint = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


@login_manager.user_loader
def load_user(alternative_id: str) -> User | None:
    """The user a session or remember-me cookie names, while its session token is still theirs.

    Cookies made before session tokens existed carry a bare number, and sign in no one.
    """
    user_id, _, token = alternative_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _did_not_sign_in(response: Response) -> bool:
    """Counted against the client address. A refusal by the limit itself adds nothing: the
    moving window takes no entry once it is full, so ``Retry-After`` stays true."""
    return response.status_code != 302


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_did_not_sign_in)
def login() -> Response | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = sign_in(form.email.data, form.password.data)
        except TooManySignInAttempts as error:
            return _too_many_attempts(form, error.retry_after)
        if user is not None:
            login_user(user, remember=form.remember.data)
            target = safe_local_path(request.args.get("next"))
            return redirect(target or url_for("workflow.workspace_home"))
        form.password.errors.append(_l("Wrong e-mail or password."))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 401


@blueprint.errorhandler(RateLimitExceeded)
def too_many_from_this_address(error: RateLimitExceeded) -> Response:
    return _too_many_attempts(LoginForm(), rate_limit_retry_after())


def _too_many_attempts(form: LoginForm, retry_after: int) -> Response:
    if retry_after < 120:
        message = ngettext(
            "Too many sign-in attempts. Please try again in %(num)d second.",
            "Too many sign-in attempts. Please try again in %(num)d seconds.",
            retry_after,
        )
    else:
        minutes = math.ceil(retry_after / 60)
        message = ngettext(
            "Too many sign-in attempts. Please try again in %(num)d minute.",
            "Too many sign-in attempts. Please try again in %(num)d minutes.",
            minutes,
        )
    page = render_template("accounts/login.html", form=form, throttled=message)
    return Response(page, status=429, headers={"Retry-After": str(retry_after)})


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two new passwords differ.")),
        ],
    )


def _show_error(form: FlaskForm, error: HuikuError) -> None:
    field = getattr(form, getattr(error, "field", ""), None) or form.password
    field.errors = [*field.errors, localize(error.message)]


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | tuple[str, int]:
    """Every user changes their own password; other sessions end, this one stays."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current.data, form.new.data)
        except TooManySignInAttempts as error:
            form.current.errors.append(localize(error.message))
        except HuikuError as error:
            field = getattr(form, getattr(error, "field", ""), None) or form.new
            field.errors = [*field.errors, localize(error.message)]
        else:
            login_user(user)  # the new session token ended every session, this one too
            flash(_l("Your password was changed; other devices were signed out."), "success")
            return redirect(url_for("workflow.workspace_home"))
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


@blueprint.route("/account/link/<secret>", methods=["GET", "POST"])
def use_link(secret: str) -> Response | tuple[str, int]:
    """A one-time link from an administrator: set a password, then sign in with it."""
    try:
        link = administration.link_for(secret[:100])
    except HuikuError as error:
        return render_template("accounts/link.html", problem=localize(error.message)), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            administration.use_link(secret, form.password.data)
        except HuikuError as error:
            if getattr(error, "field", None) is None:
                return render_template("accounts/link.html", problem=localize(error.message)), 410
            _show_error(form, error)
        else:
            logout_user()
            flash(_l("Your password is set. Please sign in with it."), "success")
            return redirect(url_for("accounts.login"))
    page = render_template("accounts/link.html", form=form, account=link.user, purpose=link.purpose)
    response = make_response(page, 422 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the secret is in this page's address
    return response


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Signs out of every browser: the user's sessions and remember-me cookies all end."""
    user = current_user._get_current_object()
    logout_user()
    end_all_sessions(user)
    flash(_l("You have signed out, on every device."), "info")
    return redirect(url_for("public.home"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "strong"
    app.register_blueprint(blueprint)
    app.jinja_env.globals["current_user"] = current_user
