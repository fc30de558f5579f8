"""Languages: 简体中文 by default, English on request; the choice is kept in the session."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from repository.extensions import babel
from repository.messages import Message
from repository.redirects import safe_local_path

blueprint = Blueprint("i18n", __name__)

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    """``zh_Hans_CN`` or ``en``: what the models' ``label(locale)`` methods expect."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def localize(message: object) -> str:
    """A bilingual ``Message`` in the reader's language; anything else as it is."""
    if isinstance(message, Message):
        return message.localized(current_locale())
    return str(message)


@blueprint.route("/lang/<code>")
def switch_language(code: str) -> Response:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_local_path(request.args.get("next")) or url_for("public.home"))


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.register_blueprint(blueprint)
    app.jinja_env.filters["localize"] = localize
    app.jinja_env.globals.update(current_locale=current_locale, language_names=LANGUAGE_NAMES)
