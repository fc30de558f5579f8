"""The paired support page: alliance administrators grant and revoke; library administrators
see the grants their library gives or receives."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from repository import permissions
from repository.admin.blueprint import blueprint
from repository.admin.forms import CheckboxList, show_service_error
from repository.admin.pages import page
from repository.errors import HuikuError
from repository.extensions import db
from repository.i18n import current_locale
from repository.models import Collection, Library
from repository.models.base import utcnow
from repository.services import support


class GrantForm(FlaskForm):
    helper = SelectField(_l("Helper library (its staff do the work)"))
    partner = SelectField(_l("Partner library (owns the records)"))
    collections = CheckboxList(_l("In these collections"), choices=[], validate_choice=True)
    days = IntegerField(
        _l("For how many days"),
        default=90,
        validators=[DataRequired(), NumberRange(min=1, max=366)],
    )
    note = StringField(_l("Note"), validators=[Length(max=500)])


def _form() -> GrantForm:
    form = GrantForm()
    locale = current_locale()
    libraries = list(
        db.session.scalars(select(Library).where(Library.active).order_by(Library.code))
    )
    choices = [SelectChoice(lib.code, f"{lib.code} · {lib.name(locale)}") for lib in libraries]
    form.helper.choices = choices
    form.partner.choices = list(choices)
    collections = db.session.scalars(select(Collection).order_by(Collection.slug))
    form.collections.choices = [SelectChoice(c.slug, c.title(locale)) for c in collections]
    return form


def _by_code(code: str) -> Library:
    return db.session.scalars(select(Library).where(Library.code == code)).one()


@blueprint.route("/support", methods=["GET", "POST"])
def support_list() -> Response:
    alliance = permissions.can_administer_alliance(current_user)
    form = _form() if alliance else None
    if form is not None and form.validate_on_submit():
        chosen = list(
            db.session.scalars(select(Collection).where(Collection.slug.in_(form.collections.data)))
        )
        try:
            support.grant_support(
                current_user,
                _by_code(form.helper.data),
                _by_code(form.partner.data),
                chosen,
                utcnow() + timedelta(days=form.days.data),
                form.note.data or "",
            )
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_l("Paired support granted."), "success")
            return redirect(url_for("admin.support_list"))
    return page(
        "admin/support.html",
        422 if form is not None and form.errors else 200,
        form=form,
        grants=support.grants(current_user),
        now=utcnow(),
    )


@blueprint.post("/support/<int:grant_id>/revoke")
def revoke_support(grant_id: int) -> Response:
    support.revoke_support(current_user, grant_id)
    flash(_l("Paired support revoked."), "success")
    return redirect(url_for("admin.support_list"))
