"""The single-record form, derived from the collection profile.

WTForms renders the fields and checks the CSRF token; the profile's schema does the validating,
so the form, the JSON API and batch rows accept exactly the same values.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from repository.profiles import Field as ProfileField
from repository.profiles import Kind, Profile


class ExistingImageForm(Form):
    """Label, order and removal of an image the record already has."""

    asset_id = HiddenField()
    caption = StringField(_l("Label"), validators=[Length(max=300)])
    position = IntegerField(_l("Order"), validators=[Optional()])
    remove = BooleanField(_l("Remove"))


class RecordFormBase(FlaskForm):
    new_images = MultipleFileField(_l("Add images (JPEG, PNG, TIFF, WebP)"))
    new_image_labels = TextAreaField(
        _l("Labels of the new images, one per line"), validators=[Length(max=5000)]
    )
    images = FieldList(FormField(ExistingImageForm))

    profile: Profile

    def metadata_fields(self) -> list[tuple[ProfileField, Field]]:
        return [(field, self[field.key]) for field in self.profile.metadata_fields]

    def metadata(self) -> dict[str, Any]:
        """The submitted values, raw, for the profile's schema to clean and check."""
        return {field.key: form_field.data for field, form_field in self.metadata_fields()}

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            # Image problems (key "images") belong to the upload input, not the existing images.
            metadata_input = key in self._fields and key != "images"
            target = self[key] if metadata_input else self.new_images
            target.errors = [*target.errors, *messages]

    def fill(self, metadata: dict[str, Any]) -> None:
        for field, form_field in self.metadata_fields():
            value = metadata.get(field.key)
            if isinstance(value, list):
                value = "\n".join(str(item) for item in value)
            form_field.data = "" if value is None else str(value)


@cache
def record_form_class(profile: Profile) -> type[RecordFormBase]:
    """A form class with one input per metadata field of the profile, in declaration order."""
    attributes: dict[str, Any] = {"profile": profile}
    for field in profile.metadata_fields:
        attributes[field.key] = _input_for(field)
    return type(f"{profile.name.title().replace('_', '')}RecordForm", (RecordFormBase,), attributes)


def _input_for(field: ProfileField) -> Field:
    """The input kind only; labels, hints and terms are rendered in the reader's language."""
    if field.kind is Kind.VOCABULARY and not field.repeatable:
        choices = ["", *(term.value for term in field.vocabulary)]
        return SelectField(field.key, choices=choices, validate_choice=False)
    if field.kind is Kind.LONG_TEXT or field.repeatable:
        return TextAreaField(field.key)
    return StringField(field.key)
