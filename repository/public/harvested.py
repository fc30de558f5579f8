"""The public page of a harvested record, and the form reviewers adopt it with.

A harvested record is another repository's: the page says where it comes from and links to
the original, and it carries no citation metadata that would present it as Huiku's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from repository.errors import HuikuError
from repository.i18n import current_locale, localize
from repository.models import Collection, HarvestedRecord
from repository.profiles import Field, MetadataInvalid, get_profile
from repository.public import blueprint
from repository.services import harvested as service

#: Form inputs for fields the mapping could not fill are named ``field-<key>``.
FIELD_PREFIX = "field-"


class AdoptForm(FlaskForm):
    """The collection a reviewer adopts a harvested record into (CSRF-protected)."""

    collection = StringField(_l("Collection"), validators=[DataRequired(), Length(max=100)])


@blueprint.route("/harvested/<public_id>")
def harvested_record(public_id: str) -> str:
    found = service.public_harvested(public_id)
    return _page(found)


@blueprint.route("/harvested/<public_id>/adopt", methods=["POST"])
@login_required
def adopt_harvested(public_id: str) -> Response | tuple[str, int]:
    found = service.public_harvested(public_id)
    form = AdoptForm()
    if not form.validate_on_submit():
        errors = [str(m) for messages in form.errors.values() for m in messages]
        return _page(found, errors=errors), 400
    collection: Collection | None = None
    try:
        collection = service.collection_for_adoption(form.collection.data.strip())
        values = {
            key.removeprefix(FIELD_PREFIX): value
            for key, value in request.form.items()
            if key.startswith(FIELD_PREFIX)
        }
        record = service.adopt(found, collection, current_user, values)
    except MetadataInvalid as invalid:  # raised by adopt, once the collection is known
        profile = collection.profile if collection is not None else None
        missing = [f for f in profile.metadata_fields if f.key in invalid.errors] if profile else []
        errors = [localize(m) for messages in invalid.errors.values() for m in messages]
        return _page(found, errors=errors, chosen=collection, missing=missing), invalid.status
    except HuikuError as error:
        return _page(found, errors=[localize(error.message)]), error.status
    flash(
        _l("Adopted as a draft of %(library)s.", library=record.library.name(current_locale())),
        "success",
    )
    return redirect(url_for("public.record", public_id=record.public_id), 303)


def _page(
    found: HarvestedRecord,
    *,
    errors: Sequence[str] = (),
    chosen: Collection | None = None,
    missing: Sequence[Field] = (),
) -> str:
    locale = current_locale()
    items = get_profile("generic").display_items(found.metadata_, locale)
    matched = found.matched_record
    return render_template(
        "public/harvested.html",
        harvested=found,
        items=items,
        also=matched if matched is not None and matched.is_public else None,
        collections=service.adoptable_collections(current_user),
        form=AdoptForm(formdata=None),
        errors=errors,
        chosen=chosen,
        missing=missing,
        field_prefix=FIELD_PREFIX,
    )
