"""How facet values read: vocabulary terms as the profile translates them, language codes as the
names of the languages in the reader's language."""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError
from flask_babel import force_locale, gettext

from repository.profiles import Field

# ISO 639-2 bibliographic codes (what library catalogues write) that differ from the terminology
# codes or have a two-letter code, for the languages of the region's collections and their
# neighbours. Babel names languages by ISO 639-1 or 639-3 code.
BIBLIOGRAPHIC = {
    "chi": "zh",
    "zho": "zh",
    "eng": "en",
    "mon": "mn",
    "kor": "ko",
    "jpn": "ja",
    "rus": "ru",
    "ger": "de",
    "fre": "fr",
    "tib": "bo",
    "uig": "ug",
    "man": "mnc",  # Manchu, as some catalogues write it
    "lat": "la",
}


def value_label(field: Field, value: str, locale: str) -> str:
    if field.dc == "language":
        return language_name(value, locale)
    return field.display_value(value, locale)


def language_name(code: str, locale: str) -> str:
    """The language's name for a reader of ``locale``, or the code when it is no known one."""
    key = code.strip().lower().replace("_", "-")
    key = BIBLIOGRAPHIC.get(key, key)
    names = _language_names("zh_Hans_CN" if locale.startswith("zh") else "en")
    return names.get(key) or names.get(key.split("-")[0]) or code


@cache
def _language_names(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).languages)
    except (UnknownLocaleError, ValueError):
        return {}


def own_source_label(locale: str) -> str:
    """The source facet's name for this repository's own records, in the reader's language."""
    with force_locale(locale):
        return gettext("This repository")
