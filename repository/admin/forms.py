"""The administration forms. Services check every rule; the forms only parse and bound input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from repository.errors import HuikuError
from repository.i18n import localize

ROLE_CHOICES = [
    SelectChoice("contributor", _l("Contributor")),
    SelectChoice("reviewer", _l("Reviewer")),
    SelectChoice("admin", _l("Administrator")),
]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LibraryForm(FlaskForm):
    code = StringField(_l("Library code"), validators=[DataRequired(), Length(max=32)])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Length(max=200)])
    region = StringField(_l("Region"), validators=[Length(max=100)])
    website = StringField(_l("Website"), validators=[Length(max=300)])
    description_zh = TextAreaField(_l("Chinese description"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("English description"), validators=[Length(max=5000)])
    active = BooleanField(_l("Active member"), default=True)


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="contributor")
    alliance_admin = BooleanField(_l("Alliance administrator (all libraries)"))
    active = BooleanField(_l("Active"), default=True)
    reviews = CheckboxList(_l("Reviews these collections"), choices=[], validate_choice=True)
    how = SelectField(
        _l("How the password is set"),
        choices=[
            SelectChoice("invite", _l("Send a one-time invitation link")),
            SelectChoice("password", _l("Set a password now")),
        ],
        default="invite",
    )
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=200)])


class CollectionForm(FlaskForm):
    slug = StringField(_l("Identifier"), validators=[DataRequired(), Length(max=64)])
    profile = SelectField(_l("Profile"), choices=[])
    title_zh = StringField(_l("Chinese title"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("English title"), validators=[Length(max=200)])
    description_zh = TextAreaField(_l("Chinese description"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("English description"), validators=[Length(max=5000)])
    default_rights = StringField(_l("Default rights"), validators=[Length(max=500)])
    coordinating_library = SelectField(_l("Coordinating library"), choices=[])
    published = BooleanField(_l("Published (visible to the public)"), default=True)
    edits_need_review = BooleanField(
        _l("Edits of published records wait for a reviewer"), default=True
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Who"), validators=[Length(max=254)])
    action = SelectField(_l("Action"), choices=[])
    library = SelectField(_l("Library"), choices=[])


def show_service_error(form: FlaskForm, error: HuikuError) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    message = localize(error.message)
    field = getattr(form, getattr(error, "field", ""), None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
