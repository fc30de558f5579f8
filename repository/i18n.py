"""Languages: the reader's choice (kept in the session), else what the browser asks for
(``Accept-Language``), else 简体中文."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, g, redirect, request, session, url_for
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
    g.locale_from_browser = True
    return browser_locale(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def browser_locale(supported: list[str]) -> str | None:
    """The first language of the browser's ``Accept-Language`` that Huiku speaks (any Chinese
    reads 简体中文, any English reads English), or None."""
    for value, quality in request.accept_languages:
        if quality <= 0:
            continue
        wanted = value.lower().replace("_", "-")
        for code in supported:
            if wanted.split("-")[0] == code.lower().split("_")[0]:
                return code
    return None


def vary_on_language(response: Response) -> Response:
    """Pages chosen by ``Accept-Language`` differ by it, so shared caches must keep them apart."""
    if g.get("locale_from_browser"):
        response.vary.add("Accept-Language")
    return response


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
    from repository.public import presentation  # the public package imports this module

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.register_blueprint(blueprint)
    app.jinja_env.filters["localize"] = localize
    app.jinja_env.filters["zh"] = lambda value: presentation.mark_chinese(value, current_locale())
    app.jinja_env.filters["summary"] = presentation.summary
    app.jinja_env.globals["licence_name"] = lambda uri: presentation.licence_name(
        uri, current_locale()
    )
    app.after_request(vary_on_language)
    presentation.init_app(app)
    app.jinja_env.globals.update(current_locale=current_locale, language_names=LANGUAGE_NAMES)
