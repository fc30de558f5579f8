"""A record cited in GB/T 7714-2015 and in APA (7th edition), and as RIS and BibTeX files.

GB/T 7714 describes an online database record as ``[DB/OL]``, a part of a larger resource
after ``//``, and the date it was looked at in square brackets after the publication year:

    吉林省图书馆. 人参[DB/OL]//长白山动植菌物. 吉林省图书馆, 2011[2026-12-02]. https://….

More than three authors are cut to three and ``, 等``. APA puts the year after the authors, the
title in italics, then the collection, the library and the address.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from interop.citations.model import Citation

_BIBTEX_SPECIAL = re.compile(r"([\\{}%&#$_~^])")
_BIBTEX_REPLACEMENTS = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def _end(text: str) -> str:
    """A sentence end, unless the text already ends with punctuation."""
    return text if text.endswith((".", "。", "?", "？", "!", "！")) else text + "."


def gbt7714(citation: Citation) -> str:
    authors = list(citation.authors[:3])
    names = ", ".join(authors) + (", 等" if len(citation.authors) > 3 else "")
    year = str(citation.year) if citation.year is not None else ""
    accessed = citation.accessed.isoformat()
    return (
        f"{_end(names)} {citation.title}[DB/OL]//{_end(citation.collection_zh)} "
        f"{citation.library_zh}, {year}[{accessed}]. {citation.url}."
    )


def _apa_names(authors: tuple[str, ...]) -> str:
    if len(authors) == 1:
        return authors[0]
    if len(authors) <= 20:
        return ", ".join(authors[:-1]) + ", & " + authors[-1]
    return ", ".join(authors[:19]) + ", … " + authors[-1]


def apa(citation: Citation) -> Markup:
    """APA 7th edition, with the title in italics (hence markup)."""
    year = str(citation.year) if citation.year is not None else "n.d."
    authors = citation.authors if not citation.corporate_author else (citation.library_en,)
    return Markup("{authors} ({year}). <i>{title}</i>. {collection}. {library}. {url}").format(
        authors=_end(_apa_names(authors)).removesuffix("."),
        year=year,
        title=citation.title,
        collection=citation.collection_en,
        library=citation.library_en,
        url=escape(citation.url),
    )


def ris(citation: Citation) -> str:
    """A RIS record (as Zotero, EndNote and NoteExpress import it), lines ending in CRLF."""
    lines = [("TY", "DBASE"), ("TI", citation.title)]
    lines += [("AU", name) for name in citation.authors]
    if citation.year is not None:
        lines.append(("PY", str(citation.year)))
    if citation.full_date:
        lines.append(("DA", "/".join(citation.full_date) + "/"))
    lines += [
        ("T2", citation.collection_zh),
        ("PB", citation.library_zh),
        ("DB", "汇库 Huiku"),
        ("UR", citation.url),
        ("ID", citation.public_id),
        ("Y2", citation.accessed.isoformat()),
    ]
    if citation.description:
        lines.append(("AB", " ".join(citation.description.split())))
    lines += [("KW", keyword) for keyword in citation.keywords]
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


def _bibtex_text(value: str) -> str:
    return _BIBTEX_SPECIAL.sub(
        lambda m: _BIBTEX_REPLACEMENTS.get(m.group(1), "\\" + m.group(1)),
        " ".join(value.split()),
    )


def bibtex(citation: Citation) -> str:
    """A BibTeX ``@misc`` entry keyed ``huiku:<record id>``; a corporate author is braced so
    it is not taken apart into first and last names."""
    names = [_bibtex_text(name) for name in citation.authors]
    author = "{" + names[0] + "}" if citation.corporate_author else " and ".join(names)
    fields = [
        ("title", _bibtex_text(citation.title)),
        ("author", author),
        ("year", str(citation.year) if citation.year is not None else ""),
        ("howpublished", _bibtex_text(f"{citation.collection_zh}, {citation.library_zh}")),
        ("publisher", _bibtex_text(citation.library_zh)),
        ("url", citation.url),
        ("urldate", citation.accessed.isoformat()),
        ("note", _bibtex_text(f"Huiku record {citation.public_id}")),
    ]
    if citation.keywords:
        fields.append(("keywords", _bibtex_text(", ".join(citation.keywords))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{huiku:{citation.public_id},\n{body}\n}}\n"
