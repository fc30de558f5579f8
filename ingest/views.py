"""Single-record ingest through the web: create and edit a draft with its images."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ingest.forms import record_form_class
from ingest.services import save_new_record, save_record
from ingest.uploads import ImageChange, ImageUpload
from repository import permissions
from repository.errors import PermissionDenied
from repository.extensions import db
from repository.i18n import localize
from repository.images import file_store
from repository.images.derivatives import THUMBNAIL_SIZES, build_thumbnails, thumbnail_name
from repository.images.storage_errors import StorageUnavailable
from repository.media.uploads import recording_changes
from repository.media.views import recording_thumbnail
from repository.messages import Message
from repository.models import Asset, Collection, Library
from repository.profiles import MetadataInvalid
from repository.services.browse import visible_record
from repository.services.collections import get_collection
from repository.services.records import NotActingFor

blueprint = Blueprint("ingest", __name__)


@blueprint.route("/workspace/collections/<slug>/records/new", methods=["GET", "POST"])
@login_required
def new_record(slug: str) -> str | Response:
    collection = get_collection(slug)
    if not permissions.can_contribute(current_user, collection):
        raise PermissionDenied(Message("you cannot contribute here"))
    form = record_form_class(collection.profile)()
    owner = Owner(collection, request.form.get("library", "") if request.method == "POST" else "")
    if request.method == "GET" and collection.default_rights:
        form.fill({"rights": collection.default_rights})
    if form.validate_on_submit() and owner.error is None:
        try:
            record = save_new_record(
                current_user, collection, form.metadata(), _uploads(form), owner.library
            )
        except MetadataInvalid as error:
            form.show_errors(_localized(error))
        except NotActingFor as error:
            owner.error = localize(error.message)
            return _render_form(form, collection=collection, record=None, owner=owner, status=403)
        except StorageUnavailable as error:
            form.show_errors({"images": [localize(error.message)]})
            return _render_form(
                form, collection=collection, record=None, owner=owner, status=error.status
            )
        else:
            flash(_l("Draft saved."), "success")
            return redirect(url_for("public.record", public_id=record.public_id))
    return _render_form(form, collection=collection, record=None, owner=owner)


class Owner:
    """The library a new record is for: the user's own, or a partner their library supports in
    this collection under paired support (结对扶持), chosen by code in the form's select."""

    def __init__(self, collection: Collection, code: str) -> None:
        self.choices = permissions.owners_for(current_user, collection)
        self.code = code.strip() or current_user.library.code
        self.error: str | None = None
        self.status = 422
        self.library: Library | None = None
        if self.code != current_user.library.code:
            self.library = db.session.scalar(select(Library).where(Library.code == self.code))
            if self.library is None:
                self.error = localize(
                    Message("no member library has the code {code}").format(code=self.code[:50])
                )
            elif permissions.acting_for(current_user, self.library, collection) is None:
                self.error = localize(NotActingFor(self.library).message)
                self.status = 403


@blueprint.route("/workspace/records/<public_id>/edit", methods=["GET", "POST"])
@login_required
def edit_record(public_id: str) -> str | Response:
    record = visible_record(public_id, current_user)
    if not permissions.can_edit(current_user, record):
        raise PermissionDenied(Message("you may not edit this record"))
    form = record_form_class(record.collection.profile)()
    if request.method == "GET":
        form.fill(record.metadata_)
        for asset in record.assets:
            form.images.append_entry(
                {
                    "asset_id": asset.public_id,
                    "caption": asset.label,
                    "position": asset.position + 1,
                }
            )
    if form.validate_on_submit():
        changes = [
            ImageChange(
                entry.asset_id.data,
                entry.caption.data or "",
                (entry.position.data or 0) - 1,
                entry.remove.data,
            )
            for entry in form.images
        ]
        try:
            recordings = recording_changes(request.form, record)  # repository.media
            saved = save_record(
                current_user, record, form.metadata(), _uploads(form), changes, recordings
            )
        except MetadataInvalid as error:
            form.show_errors(_localized(error))
        except StorageUnavailable as error:
            form.show_errors({"images": [localize(error.message)]})
            return _render_form(
                form, collection=record.collection, record=record, status=error.status
            )
        else:
            flash(_l("Saved.") if saved else _l("Nothing changed."), "success")
            return redirect(url_for("public.record", public_id=record.public_id))
    return _render_form(form, collection=record.collection, record=record)


@blueprint.route("/assets/<asset_id>/thumb-<int:size>.jpg")
def thumbnail(asset_id: str, size: int) -> Response:
    """A thumbnail of an image that this reader may see (public, or their own draft)."""
    if size not in THUMBNAIL_SIZES:
        abort(404)
    asset = db.session.scalar(select(Asset).where(Asset.public_id == asset_id))
    if asset is None:  # a recording standing for a record without images (repository.media)
        return recording_thumbnail(asset_id) or abort(404)
    visible_record(asset.record.public_id, current_user)
    store = file_store()
    path = store.derivative_dir(asset.sha256) / thumbnail_name(size)
    if not path.exists() and store.has_original(asset.sha256):
        # An imported image whose task has not run yet, or one whose files were lost.
        try:
            build_thumbnails(store, asset.sha256)
        except OSError:
            current_app.logger.exception("no thumbnails for %s", asset.public_id)
    if not path.exists():
        abort(404)
    # Public thumbnails are the same for everyone: shared caches keep them a day and other
    # sites (IIIF viewers showing a manifest's thumbnails) may read them. A draft's is only
    # for its library's own people, so no shared cache keeps it.
    public = asset.record.is_public
    response = send_file(
        path, mimetype="image/jpeg", conditional=True, etag=True, max_age=86400 if public else None
    )
    if public:
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        response.cache_control.private = True
    return response


def _uploads(form) -> list[ImageUpload]:
    labels = (form.new_image_labels.data or "").splitlines()
    files = [f for f in (form.new_images.data or []) if f and f.filename]
    return [
        ImageUpload(f.stream, f.filename, labels[i] if i < len(labels) else "")
        for i, f in enumerate(files)
    ]


def _localized(error: MetadataInvalid) -> dict[str, list[str]]:
    return {key: [localize(m) for m in messages] for key, messages in error.errors.items()}


def _render_form(
    form, *, collection, record, owner: Owner | None = None, status: int | None = None
) -> tuple[str, int]:
    if status is None:
        invalid = form.errors or any(f.errors for f in form)
        status = owner.status if owner and owner.error else 422 if invalid else 200
    return render_template(
        "ingest/record_form.html",
        form=form,
        collection=collection,
        record=record,
        owner=owner,
        max_upload=current_app.config["MAX_UPLOAD_BYTES"],
    ), status
