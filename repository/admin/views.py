"""Administration pages for libraries, accounts, API tokens and the audit log.

Thin views: a form parses, a service decides and writes (with its audit entry), a template
shows. A service's refusal is shown next to the field it names, with status 422.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from repository import permissions
from repository.admin.blueprint import blueprint
from repository.admin.forms import AuditFilterForm, LibraryForm, UserForm, show_service_error
from repository.admin.pages import page
from repository.errors import HuikuError, PermissionDenied
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, User
from repository.services import accounts, administration, audit, tokens
from repository.services.collections import collections_for


def _link_url(secret: str) -> str:
    return url_for("accounts.use_link", secret=secret, _external=True)


@blueprint.route("/")
def home() -> Response:
    return page(
        "admin/home.html",
        libraries=administration.libraries(current_user),
        collections=collections_for(current_user),
    )


# Libraries ------------------------------------------------------------------------------------


@blueprint.route("/libraries/new", methods=["GET", "POST"])
def new_library() -> Response:
    if not permissions.can_administer_alliance(current_user):
        raise PermissionDenied(Message("only alliance administrators add libraries"))
    form = LibraryForm()
    if form.validate_on_submit():
        try:
            library = accounts.create_library(
                form.code.data,
                form.name_zh.data,
                form.name_en.data,
                form.region.data,
                actor=current_user,
            )
        except HuikuError as error:
            show_service_error(form, error)
        else:
            flash(_l("Library %(code)s added.", code=library.code), "success")
            return redirect(url_for("admin.library", code=library.code))
    return page("admin/library_new.html", 422 if form.errors else 200, form=form)


@blueprint.route("/libraries/<code>", methods=["GET", "POST"])
def library(code: str) -> Response:
    chosen = administration.library_for(current_user, code)
    form = LibraryForm(obj=chosen)
    del form.code  # a library's code names it in records, sets and URLs: it never changes
    if not permissions.can_administer_alliance(current_user):
        del form.active  # only the alliance admits or deactivates a member library
    if form.validate_on_submit():
        try:
            administration.update_library(
                current_user,
                chosen,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                region=form.region.data,
                active=form.active.data if "active" in form else chosen.active,
                website=form.website.data or "",
                description_zh=form.description_zh.data or "",
                description_en=form.description_en.data or "",
            )
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_l("Library %(code)s saved.", code=chosen.code), "success")
            return redirect(url_for("admin.library", code=chosen.code))
    return page(
        "admin/library.html",
        422 if form.errors else 200,
        library=chosen,
        form=form,
        users=administration.users_of(current_user, chosen),
        user_form=_user_form(formdata=None),
    )


# Accounts -------------------------------------------------------------------------------------


def _user_form(user: User | None = None, **kwargs) -> UserForm:
    form = UserForm(obj=user, **kwargs)
    collections = db.session.scalars(select(Collection).order_by(Collection.slug))
    form.reviews.choices = [
        SelectChoice(str(c.id), f"{c.title_zh} · {c.slug}") for c in collections
    ]
    if user is not None and not form.is_submitted():
        form.reviews.data = [str(c.id) for c in user.reviewed_collections]
        form.role.data = user.role.value
    if not permissions.can_administer_alliance(current_user):
        del form.alliance_admin  # only the alliance names alliance administrators
    return form


def _chosen_collections(form: UserForm) -> list[Collection]:
    ids = [int(value) for value in form.reviews.data or []]
    return list(db.session.scalars(select(Collection).where(Collection.id.in_(ids))))


def _wants_alliance_admin(form: UserForm) -> bool | None:
    """None when the form had no such box (a library administrator's form)."""
    return form.alliance_admin.data if "alliance_admin" in form else None


@blueprint.post("/libraries/<code>/users")
def new_user(code: str) -> Response:
    chosen = administration.library_for(current_user, code)
    form = _user_form()
    secret = None
    if form.validate_on_submit():
        invite = form.how.data == "invite"
        try:
            user = accounts.create_user(
                form.email.data,
                chosen,
                form.role.data,
                None if invite else (form.password.data or ""),
                name=form.name.data,
                reviews=_chosen_collections(form),
                actor=current_user,
                alliance_admin=_wants_alliance_admin(form) or False,
            )
            if invite:
                secret = administration.issue_link(current_user, user, "invite")
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            if secret is None:
                flash(_l("Account %(email)s created.", email=user.email), "success")
                return redirect(url_for("admin.library", code=chosen.code))
            return _linkpage(user, secret, "invite")
    return page(
        "admin/library.html",
        422,
        library=chosen,
        form=LibraryForm(obj=chosen, formdata=None),
        users=administration.users_of(current_user, chosen),
        user_form=form,
    )


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Response:
    chosen = administration.user_for(current_user, user_id)
    form = _user_form(chosen)
    del form.email, form.how, form.password
    if form.validate_on_submit():
        try:
            administration.update_user(
                current_user,
                chosen,
                name=form.name.data,
                role=form.role.data,
                active=form.active.data,
                reviews=_chosen_collections(form),
                alliance_admin=_wants_alliance_admin(form),
            )
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_l("Account %(email)s saved.", email=chosen.email), "success")
            return redirect(url_for("admin.user", user_id=chosen.id))
    return page("admin/user.html", 422 if form.errors else 200, account=chosen, form=form)


@blueprint.post("/users/<int:user_id>/reset-link")
def reset_link(user_id: int) -> Response:
    chosen = administration.user_for(current_user, user_id)
    secret = administration.issue_link(current_user, chosen, "reset")
    return _linkpage(chosen, secret, "reset")


def _linkpage(user: User, secret: str, purpose: str) -> Response:
    url = _link_url(secret)
    mailed = False
    if administration.mail_configured():
        try:
            administration.mail_link(user, url, purpose)
            mailed = True
        except OSError:
            flash(_l("The mail server could not be reached; hand the link over yourself."), "error")
    return page("admin/link.html", 201, account=user, url=url, purpose=purpose, mailed=mailed)


# API tokens and the audit log -----------------------------------------------------------------


@blueprint.route("/tokens")
def token_list() -> Response:
    code = request.args.get("library", "")
    chosen = administration.library_for(current_user, code) if code else None
    return page(
        "admin/tokens.html",
        tokens=tokens.tokens_for(current_user, chosen),
        libraries=administration.libraries(current_user),
        chosen=chosen,
    )


@blueprint.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    token = tokens.revoke_token(current_user, token_id)
    flash(_l("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("admin.token_list"))


@blueprint.route("/audit")
def audit_log() -> Response:
    libraries = administration.libraries(current_user)
    form = AuditFilterForm(request.args)
    form.action.choices = [
        SelectChoice("", _l("All actions")),
        *(SelectChoice(action, action) for action in audit.actions()),
    ]
    form.library.choices = [
        SelectChoice("", _l("All libraries")),
        *(SelectChoice(lib.code, lib.code) for lib in libraries),
    ]
    form.validate()
    chosen = next((lib for lib in libraries if lib.code == form.library.data), None)
    found = audit.entries(
        current_user,
        actor=(form.actor.data or "")[:254],
        action=form.action.data if not form.action.errors else "",
        library=chosen,
        page=request.args.get("page", 1, type=int) or 1,
    )
    filters = {key: value for key, value in request.args.items() if key != "page" and value}
    return page("admin/audit.html", form=form, page=found, filters=filters)
