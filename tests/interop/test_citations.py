"""Citations on record pages, read as Zotero and Google Scholar read them: meta tags, JSON-LD,
the "cite as" block, and the RIS and BibTeX downloads."""

from __future__ import annotations

import json
import re

import pytest
from lxml import html

from repository.models import RecordStatus


@pytest.fixture
def ginseng(make_collection, make_record):
    plants = make_collection("natural_history", slug="plants")
    return make_record(
        plants,
        local_id="CBS-1",
        photographer=["王小明", "李华"],
        description="多年生草本 {含花括号} & 50% 的说明",
        rights=plants.default_rights,
    )


@pytest.fixture
def chronicle(make_collection, make_record):
    """A generic record without creators: its library stands in as a corporate author."""
    books = make_collection("generic", slug="books")
    return make_record(books, local_id="BK-1", subject=["地方志", "吉林"])


def _page(client, record) -> html.HtmlElement:
    response = client.get(f"/records/{record.public_id}")
    assert response.status_code == 200
    return html.fromstring(response.data), response


def _meta(tree: html.HtmlElement, name: str) -> list[str]:
    return [m.get("content") for m in tree.xpath(f"//head/meta[@name='{name}']")]


def test_the_page_has_the_meta_tags_zotero_reads(client, ginseng):
    tree, _ = _page(client, ginseng)
    assert _meta(tree, "citation_title") == ["人参"]
    assert _meta(tree, "citation_author") == ["王小明", "李华"]
    assert _meta(tree, "citation_publication_date") == ["2011/06/18"]
    assert _meta(tree, "citation_publisher") == [ginseng.library.name_zh]
    assert _meta(tree, "citation_public_url") == [f"http://huiku.test/records/{ginseng.public_id}"]
    assert _meta(tree, "DC.title") == ["人参"]


def test_a_record_without_creators_is_credited_to_its_library(client, chronicle):
    tree, _ = _page(client, chronicle)
    assert _meta(tree, "citation_author") == [chronicle.library.name_zh]
    assert _meta(tree, "citation_keywords") == ["地方志; 吉林"]
    assert _meta(tree, "citation_publication_date") == ["1891"]  # 光绪十七年


def test_json_ld_parses_and_carries_the_nonce(client, ginseng):
    tree, response = _page(client, ginseng)
    (script,) = tree.xpath("//script[@type='application/ld+json']")
    policy = response.headers["Content-Security-Policy"]
    assert f"'nonce-{script.get('nonce')}'" in policy
    document = json.loads(script.text)
    assert document["@context"] == "https://schema.org"
    assert document["name"] == "人参"
    assert [a["name"] for a in document["author"]] == ["王小明", "李华"]
    assert document["dateCreated"] == "2011-06-18"
    assert document["license"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert document["url"] == f"http://huiku.test/records/{ginseng.public_id}"


def test_cite_as_in_gbt7714_and_apa(client, ginseng):
    tree, _ = _page(client, ginseng)
    gbt = tree.xpath("string(//dd[@class='cite-gbt7714'])")
    assert gbt.startswith("王小明, 李华. 人参[DB/OL]//")
    assert "2011[" in gbt and gbt.endswith(f"/records/{ginseng.public_id}.")
    apa = tree.xpath("//dd[@class='cite-apa']")[0]
    assert apa.text_content().startswith("王小明, & 李华 (2011). 人参.")
    assert apa.xpath("string(i)") == "人参"


def _ris(text: str) -> list[tuple[str, str]]:
    """A minimal RIS reader: ``TAG  - value`` lines, the record ended by ``ER``."""
    pairs = []
    for line in text.split("\r\n"):
        if not line:
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - ?(.*)", line)
        assert match, f"not a RIS line: {line!r}"
        pairs.append((match.group(1), match.group(2)))
    assert pairs[0][0] == "TY" and pairs[-1][0] == "ER"
    return pairs


def test_ris_download(client, ginseng):
    tree, _ = _page(client, ginseng)
    (link,) = tree.xpath("//a[text()='RIS']/@href")
    response = client.get(link)
    assert response.status_code == 200
    assert response.content_type.startswith("application/x-research-info-systems")
    pairs = _ris(response.get_data(as_text=True))
    fields: dict[str, list[str]] = {}
    for tag, value in pairs:
        fields.setdefault(tag, []).append(value)
    assert fields["TI"] == ["人参"] and fields["AU"] == ["王小明", "李华"]
    assert fields["PY"] == ["2011"] and fields["DA"] == ["2011/06/18/"]
    assert fields["UR"] == [f"http://huiku.test/records/{ginseng.public_id}"]


def _bibtex(text: str) -> tuple[str, str, dict[str, str]]:
    """A minimal BibTeX reader: one entry, brace-delimited fields (nested braces allowed)."""
    match = re.match(r"@(\w+)\{([^,]+),", text)
    assert match
    fields, position = {}, match.end()
    for field in re.finditer(r"\s*(\w+) = \{", text[position:]):
        start = position + field.end()
        depth, index = 1, start
        while depth:
            char = text[index]
            if char == "\\":
                index += 2
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            index += 1
        fields[field.group(1)] = text[start : index - 1]
    assert text.rstrip().endswith("}")
    return match.group(1), match.group(2), fields


def test_bibtex_download(client, ginseng, chronicle):
    tree, _ = _page(client, ginseng)
    (link,) = tree.xpath("//a[text()='BibTeX']/@href")
    response = client.get(link)
    assert response.content_type.startswith("application/x-bibtex")
    kind, key, fields = _bibtex(response.get_data(as_text=True))
    assert kind == "misc" and key == f"huiku:{ginseng.public_id}"
    assert fields["title"] == "人参" and fields["author"] == "王小明 and 李华"
    assert fields["year"] == "2011"
    corporate = _bibtex(client.get(f"/records/{chronicle.public_id}.bib").get_data(as_text=True))
    assert corporate[2]["author"] == "{" + chronicle.library.name_zh + "}"


def test_citations_of_a_draft_are_not_found(client, make_collection, make_record):
    draft = make_record(make_collection("generic"), status=RecordStatus.DRAFT)
    for suffix in ("", ".ris", ".bib"):
        assert client.get(f"/records/{draft.public_id}{suffix}").status_code == 404


def test_record_json_has_dublin_core(client, ginseng):
    document = client.get(f"/records/{ginseng.public_id}.json").get_json()
    core = document["dublin_core"]
    assert core["title"] == ["人参", "Panax ginseng C. A. Mey.", "棒槌", "山参"]
    assert core["creator"] == ["王小明", "李华"]
    assert core["identifier"] == ["CBS-1", document["url"]]
