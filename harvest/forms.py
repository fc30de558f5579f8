"""The source form. The service checks every rule; the form only parses and bounds input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

KIND_CHOICES = [
    SelectChoice("oai", _l("OAI-PMH endpoint")),
    SelectChoice("iiif_collection", _l("IIIF Collection")),
    SelectChoice("iiif_discovery", _l("IIIF Change Discovery stream")),
]


class SourceForm(FlaskForm):
    slug = StringField(_l("Identifier"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="oai")
    base_url = StringField(_l("Address"), validators=[DataRequired(), Length(max=2000)])
    set_spec = StringField(_l("Set (OAI-PMH, optional)"), validators=[Length(max=200)])
    metadata_prefix = StringField(
        _l("Metadata prefix (OAI-PMH)"), default="oai_dc", validators=[Length(max=40)]
    )
    # Parsed by the service, so a bad number is named in both languages like every other fault.
    interval_hours = StringField(
        _l("Hours between harvests"), default="24", validators=[Length(max=10)]
    )
    library = SelectField(_l("Library"), choices=[])


class ConfirmForm(FlaskForm):
    """A button that posts: check again, harvest, enable or disable, delete."""
