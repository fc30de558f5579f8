"""How values read on the pages: licences by name, Chinese text marked as Chinese in the
English interface (so screen readers switch voice), descriptions cut at a sentence's end, and
the site's icon."""

from __future__ import annotations

import re

from flask import Flask, current_app
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_SENTENCE_END = re.compile(r"[。！？；]|[.!?](?=\s|$)")

_CC_LICENCE = re.compile(
    r"^https?://creativecommons\.org/licenses/(by(?:-nc)?(?:-sa|-nd)?)/(\d\.\d)(?:/.*)?$", re.I
)
_CC_PUBLIC_DOMAIN: dict[str, tuple[str, str]] = {
    "zero": ("CC0 {version}", "CC0 {version}"),
    "mark": ("Public Domain Mark {version}", "公有领域标识 {version}"),
}
_CC_PUBLIC_DOMAIN_URI = re.compile(
    r"^https?://creativecommons\.org/publicdomain/(zero|mark)/(\d\.\d)(?:/.*)?$", re.I
)
_RIGHTS_STATEMENT = re.compile(r"^https?://rightsstatements\.org/(?:vocab|page)/([\w-]+)/", re.I)
_RIGHTS_STATEMENTS: dict[str, tuple[str, str]] = {
    "InC": ("In Copyright", "受版权保护"),
    "InC-OW-EU": ("In Copyright – EU Orphan Work", "受版权保护 – 欧盟孤儿作品"),
    "InC-EDU": ("In Copyright – Educational Use Permitted", "受版权保护 – 允许教育用途"),
    "InC-NC": ("In Copyright – Non-Commercial Use Permitted", "受版权保护 – 允许非商业用途"),
    "InC-RUU": ("In Copyright – Rights-holder(s) Unlocatable", "受版权保护 – 权利人不明"),
    "NoC-CR": ("No Copyright – Contractual Restrictions", "无版权 – 有合同限制"),
    "NoC-NC": ("No Copyright – Non-Commercial Use Only", "无版权 – 仅限非商业用途"),
    "NoC-OKLR": ("No Copyright – Other Known Legal Restrictions", "无版权 – 有其他法律限制"),
    "NoC-US": ("No Copyright – United States", "无版权 – 美国"),
    "CNE": ("Copyright Not Evaluated", "版权未评估"),
    "UND": ("Copyright Undetermined", "版权状况不明"),
    "NKC": ("No Known Copyright", "无已知版权"),
}


def licence_name(uri: str, locale: str) -> str | None:
    """The usual short name of a Creative Commons licence or a rights statement, else None."""
    uri = uri.strip()
    if match := _CC_LICENCE.match(uri):
        return f"CC {match.group(1).upper()} {match.group(2)}"
    if match := _CC_PUBLIC_DOMAIN_URI.match(uri):
        name = _in_language(_CC_PUBLIC_DOMAIN[match.group(1).lower()], locale)
        return name.format(version=match.group(2))
    if (match := _RIGHTS_STATEMENT.match(uri)) and match.group(1) in _RIGHTS_STATEMENTS:
        return _in_language(_RIGHTS_STATEMENTS[match.group(1)], locale)
    return None


def _in_language(names: tuple[str, str], locale: str) -> str:
    """(English, Chinese) names: the one for the reader. Names of licences are data, like the
    profiles' labels, so they are kept here rather than in the UI catalogue."""
    return names[1] if locale.startswith("zh") else names[0]


def has_han(text: object) -> bool:
    return bool(_HAN.search(str(text or "")))


def mark_chinese(value: object, locale: str) -> Markup:
    """``value`` in a ``<span lang="zh-Hans">`` when the page is English and it holds Han
    characters; as it is (escaped unless already markup) otherwise."""
    text = value if isinstance(value, Markup) else escape("" if value is None else value)
    if locale.startswith("zh") or not has_han(value):
        return Markup(text)
    return Markup('<span lang="zh-Hans">%s</span>') % text


def summary(text: object, limit: int = 160) -> str:
    """Whole sentences of ``text`` up to ``limit`` characters: at least the first sentence, so a
    description is never cut mid-sentence."""
    text = str(text or "").strip()
    if len(text) <= limit:
        return text
    end = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > limit and end:
            break
        end = match.end()
        if end > limit:
            break
    return text[:end].strip() if end else text


def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer with the site's icon."""
    response = current_app.send_static_file("favicon.ico")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", "favicon", favicon)
