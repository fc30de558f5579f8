"""The Chinese catalog is complete, compiled, and covers every UI string in the sources.

The msgids are the English strings of the Python code and the templates (see babel.cfg). When one
of these tests fails, run ``scripts/translations``, translate what it lists in messages.po, run it
again and commit the .pot, .po and .mo together.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import babel
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask.testing import FlaskClient

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "babel.cfg"
TRANSLATIONS = REPO / "repository" / "translations"
LOCALE = "zh_Hans_CN"
PO = TRANSLATIONS / LOCALE / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

FIX = (
    "Run scripts/translations, translate the entries it lists in "
    "repository/translations/zh_Hans_CN/LC_MESSAGES/messages.po, run it again, "
    "and commit the .pot, .po and .mo together."
)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    assert PO.is_file(), f"{PO.relative_to(REPO)} is missing. {FIX}"
    with PO.open("rb") as handle:
        return read_po(handle, locale=LOCALE)


def _messages(catalog: Catalog) -> list[Message]:
    """The catalog's entries without its header."""
    return [message for message in catalog if message.id]


def _msgid(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_every_message_has_a_chinese_translation(catalog: Catalog) -> None:
    assert not catalog.fuzzy, "the header of messages.po is marked fuzzy, so nothing is compiled"
    assert catalog.num_plurals == 1, f"Chinese has one plural form, not {catalog.plural_forms!r}"
    messages = _messages(catalog)
    assert messages, "messages.po has no messages"

    untranslated = [_msgid(m) for m in messages if not all(s.strip() for s in _strings(m))]
    fuzzy = [_msgid(m) for m in messages if m.fuzzy]
    # e.g. a %(name)s placeholder that is missing or misspelt in the translation
    broken = [
        f"{_msgid(m)!r}: {'; '.join(map(str, errors))}"
        for m in messages
        if (errors := m.check(catalog))
    ]
    problems = [f"untranslated: {msgid!r}" for msgid in untranslated]
    problems += [
        f"fuzzy (check the translation, then remove the flag): {msgid!r}" for msgid in fuzzy
    ]
    problems += [f"wrong placeholders: {line}" for line in broken]
    assert not problems, "messages.po is not complete:\n  " + "\n  ".join(problems) + f"\n{FIX}"


def test_compiled_catalog_matches_the_po(catalog: Catalog) -> None:
    assert MO.is_file(), f"{MO.relative_to(REPO)} is missing. {FIX}"
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    expected = Translations(compiled)._catalog
    with MO.open("rb") as handle:
        loaded = Translations(handle)._catalog

    stale = sorted(
        repr(key) for key in expected.keys() | loaded.keys() if expected.get(key) != loaded.get(key)
    )
    assert not stale, (
        "messages.mo does not match messages.po for:\n  " + "\n  ".join(stale) + f"\n{FIX}"
    )


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict]]:
    """babel.cfg's (pattern, method) pairs and per-pattern options, as scripts/translations uses."""
    with MAPPING.open(encoding="utf-8") as handle:
        return parse_mapping_cfg(handle, str(MAPPING))


def _extract_from_sources() -> dict[tuple[str, str | None], str | tuple[str, ...]]:
    """Every translatable string in the sources: {(msgid, context): msgid or (singular, plural)}."""
    found: dict[tuple[str, str | None], str | tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(REPO, *_mapping()):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found[msgid, context] = message
    return found


def test_babel_cfg_extracts_python_and_templates() -> None:
    """Guards the extraction itself: a broken babel.cfg would make the next test pass vacuously."""
    version = tuple(int(part) for part in babel.__version__.split(".")[:2])
    assert version >= (2, 18), "babel.cfg sets keywords per section, which needs Babel >= 2.18"
    method_map, options_map = _mapping()
    methods = {method for _pattern, method in method_map}
    assert {"python", "jinja2"} <= methods, f"babel.cfg maps only {sorted(methods)}"
    for pattern, method in method_map:
        if method != "ignore":
            assert "_l" in options_map[pattern].get("keywords", {}), (
                f"babel.cfg: [{method}: {pattern}] does not list the _l keyword"
            )

    sources = {Path(filename).suffix for filename, *_rest in extract_from_dir(REPO, *_mapping())}
    assert {".py", ".html"} <= sources, f"strings were extracted only from {sorted(sources)} files"


def test_every_ui_string_in_the_sources_is_in_the_catalog(catalog: Catalog) -> None:
    missing = []
    for (msgid, context), message in sorted(
        _extract_from_sources().items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        entry = catalog.get(msgid, context=context)
        where = f" (context {context!r})" if context else ""
        if entry is None:
            missing.append(f"{msgid!r}{where}")
        elif entry.id != message:
            missing.append(f"{message!r}{where}: the catalog has {entry.id!r}")
    assert not missing, (
        f"{len(missing)} UI string(s) in the sources are not in messages.po:\n  "
        + "\n  ".join(missing)
        + f"\n{FIX}"
    )


def test_home_page_is_in_chinese_by_default_and_english_on_request(
    client: FlaskClient, catalog: Catalog
) -> None:
    sign_in = catalog.get("Sign in")
    assert sign_in is not None, f"'Sign in' is not in messages.po. {FIX}"
    assert CJK.search(sign_in.string), f"'Sign in' is translated as {sign_in.string!r}"

    chinese = client.get("/")
    assert chinese.status_code == 200
    html = chinese.get_data(as_text=True)
    assert f">{sign_in.string}</a>" in html, "the default (Chinese) home page has no sign-in link"
    assert "Sign in" not in html
    assert '<html lang="zh-Hans">' in html

    english = client.get("/?lang=en")
    assert english.status_code == 200
    html = english.get_data(as_text=True)
    assert ">Sign in</a>" in html, "the English home page has no sign-in link"
    assert sign_in.string not in html
