"""The workspace blueprint and the form every workflow button posts."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

blueprint = Blueprint("workflow", __name__, url_prefix="/workspace")


class ReviewForm(FlaskForm):
    """Every lifecycle button posts this form, so every step is CSRF-protected."""

    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])


def form_errors(form: FlaskForm) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]
