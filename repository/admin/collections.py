"""Administration pages for collections: alliance administrators create them and choose the
coordinating library; that library's administrators edit the texts, rights and visibility."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from repository import permissions
from repository.admin.blueprint import blueprint
from repository.admin.forms import CollectionForm, show_service_error
from repository.admin.pages import page
from repository.errors import HuikuError, PermissionDenied
from repository.extensions import db
from repository.i18n import current_locale
from repository.models import Collection, Library
from repository.profiles import profiles
from repository.services import collections

NO_LIBRARY = ""


def _form(collection: Collection | None = None, **kwargs) -> CollectionForm:
    form = CollectionForm(obj=collection, **kwargs)
    locale = current_locale()
    form.profile.choices = [SelectChoice(p.name, p.label(locale)) for p in profiles()]
    libraries = db.session.scalars(select(Library).order_by(Library.code))
    form.coordinating_library.choices = [
        SelectChoice(NO_LIBRARY, _l("None")),
        *(SelectChoice(lib.code, f"{lib.code} · {lib.name(locale)}") for lib in libraries),
    ]
    if collection is not None and not form.is_submitted():
        form.profile.data = collection.profile_name
        library = collection.coordinating_library
        form.coordinating_library.data = library.code if library else NO_LIBRARY
    return form


def _library(code: str | None) -> Library | None:
    if not code:
        return None
    return db.session.scalar(select(Library).where(Library.code == code))


def _texts(form: CollectionForm) -> dict[str, str]:
    return {
        name: getattr(form, name).data or ""
        for name in ("title_zh", "title_en", "description_zh", "description_en", "default_rights")
    }


@blueprint.route("/collections")
def collection_list() -> Response:
    return page(
        "admin/collections.html",
        collections=collections.collections_for(current_user),
        can_create=permissions.can_administer_alliance(current_user),
    )


@blueprint.route("/collections/new", methods=["GET", "POST"])
def new_collection() -> Response:
    if not permissions.can_administer_alliance(current_user):
        raise PermissionDenied(collections.ALLIANCE_ONLY)
    form = _form()
    if form.validate_on_submit():
        texts = _texts(form)
        try:
            created = collections.create_collection(
                form.slug.data,
                form.profile.data,
                texts.pop("title_zh"),
                texts.pop("title_en"),
                coordinating_library=_library(form.coordinating_library.data),
                published=form.published.data,
                edits_need_review=form.edits_need_review.data,
                actor=current_user,
                **texts,
            )
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_l("Collection %(slug)s created.", slug=created.slug), "success")
            return redirect(url_for("admin.collection", slug=created.slug))
    return page("admin/collection.html", 422 if form.errors else 200, form=form, collection=None)


@blueprint.route("/collections/<slug>", methods=["GET", "POST"])
def collection(slug: str) -> Response:
    chosen = collections.collection_for(current_user, slug)
    form = _form(chosen)
    del form.slug, form.profile  # records are stored under them: they never change
    if not permissions.can_administer_alliance(current_user):
        del form.coordinating_library  # only the alliance moves a collection to another library
    if form.validate_on_submit():
        library = (
            _library(form.coordinating_library.data)
            if "coordinating_library" in form
            else chosen.coordinating_library
        )
        try:
            collections.update_collection(
                current_user,
                chosen,
                coordinating_library=library,
                published=form.published.data,
                edits_need_review=form.edits_need_review.data,
                **_texts(form),
            )
        except HuikuError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(_l("Collection %(slug)s saved.", slug=chosen.slug), "success")
            return redirect(url_for("admin.collection", slug=chosen.slug))
    return page("admin/collection.html", 422 if form.errors else 200, form=form, collection=chosen)
