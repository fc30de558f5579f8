"""Page defects a new reader and cataloguer met (issue 15), checked on the rendered HTML: the
language the browser asks for, the site icon, licences by name (language codes by name are
checked in tests/search/test_facet_links.py), library names in queues, one
heading per duplicates column, a way to start an import, examples that read as examples, and
home-page descriptions cut only at a sentence's end."""

from __future__ import annotations

import lxml.html
import pytest

from repository.extensions import db
from repository.models import RecordStatus
from repository.public.presentation import licence_name, summary


def parse(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


@pytest.fixture
def plants(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.mark.parametrize(
    ("header", "lang", "heading"),
    [
        ("en-US,en;q=0.9", "en", "Special collections of the alliance"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans", "联盟特色专题库"),
        ("fr-FR,en;q=0.5", "en", "Special collections of the alliance"),
        ("fr-FR", "zh-Hans", "联盟特色专题库"),
    ],
)
def test_the_browser_language_is_used_when_the_reader_chose_none(client, header, lang, heading):
    response = client.get("/", headers={"Accept-Language": header})
    page = parse(response)
    assert page.get("lang") == lang
    assert page.findtext(".//h1").strip() == heading
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_a_chosen_language_wins_over_the_browser(client):
    client.get("/lang/zh_Hans_CN")
    page = parse(client.get("/", headers={"Accept-Language": "en-US,en"}))
    assert page.get("lang") == "zh-Hans"


def test_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
    page = parse(client.get("/"))
    assert page.xpath("//link[@rel='icon']/@href") == ["/favicon.ico"]


def test_every_public_page_has_a_meta_description(client, plants, make_record):
    record = make_record(plants, description="长白山特有的多年生草本。根可入药。")
    for url in ("/", "/collections/changbaishan", f"/records/{record.public_id}", "/search"):
        contents = parse(client.get(url)).xpath("//meta[@name='description']/@content")
        assert len(contents) == 1 and len(contents[0]) >= 15, url
    described = parse(client.get(f"/records/{record.public_id}"))
    assert "长白山特有的多年生草本。" in described.xpath("//meta[@name='description']/@content")[0]


@pytest.mark.parametrize(
    ("uri", "en", "zh"),
    [
        ("https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0", "CC BY 4.0"),
        ("http://creativecommons.org/licenses/by-nc-sa/3.0/deed.zh", "CC BY-NC-SA 3.0", None),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0", "CC0 1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "Public Domain Mark 1.0", None),
        (
            "http://rightsstatements.org/vocab/InC-EDU/1.0/",
            "In Copyright – Educational Use Permitted",
            "受版权保护 – 允许教育用途",
        ),
    ],
)
def test_licence_names(uri, en, zh):
    assert licence_name(uri, "en") == en
    if zh:
        assert licence_name(uri, "zh_Hans_CN") == zh


def test_an_unknown_licence_has_no_name():
    assert licence_name("https://example.org/my-licence", "en") is None


def test_the_record_page_names_the_licence_and_links_to_it(client, plants, make_record):
    record = make_record(plants, rights="https://creativecommons.org/licenses/by/4.0/")
    page = parse(client.get(f"/records/{record.public_id}?lang=en"))
    (link,) = page.xpath("//a[@rel='license']")
    assert link.get("href") == "https://creativecommons.org/licenses/by/4.0/"
    assert link.text_content() == "CC BY 4.0"


def test_review_queue_and_duplicates_name_libraries(client, login, plants, make_user, make_record):
    reviewer = make_user("reviewer", reviews=[plants])
    record = make_record(plants, status=RecordStatus.SUBMITTED)
    login(reviewer)
    page = parse(client.get("/workspace/?scope=review&status=submitted&lang=en"))
    row = page.xpath(f"//tr[.//a[contains(@href, '{record.public_id}')]]")[0]
    assert "Test Library" in row.text_content()
    assert record.library.code not in row.text_content()
    duplicates = parse(client.get("/workspace/duplicates/?lang=en"))
    headings = [th.text_content().strip() for th in duplicates.xpath("//table//thead//th")]
    named = [text for text in headings if text]
    assert len(named) == len(set(named)), headings
    assert "Possible duplicate" in headings


def test_the_workspace_says_which_collections_a_reviewer_reviews(client, login, plants, make_user):
    login(make_user("reviewer", reviews=[plants]))
    page = parse(client.get("/workspace/?lang=en"))
    assert plants.title_en in page.xpath("string(//*[contains(@class, 'reviewed-collections')])")


def test_imports_page_offers_to_start_an_import(client, login, plants, make_user):
    login(make_user("contributor"))
    page = parse(client.get("/imports/?lang=en"))
    links = page.xpath("//a[contains(@href, '/import')]/@href")
    assert "/workspace/collections/changbaishan/import" in links


def test_import_choices_are_radio_buttons_with_their_labels(client, login, plants, make_user):
    login(make_user("contributor"))
    page = parse(client.get("/workspace/collections/changbaishan/import?lang=en"))
    radios = page.xpath("//input[@type='radio']")
    assert len(radios) >= 4
    for radio in radios:
        label = radio.getparent()
        assert label.tag == "label" and label.text_content().strip(), lxml.html.tostring(label)
        assert label.getnext() is None or label.getnext().tag != "br"


def test_examples_in_the_record_form_read_as_examples(client, login, plants, make_user):
    login(make_user("contributor"))
    url = "/workspace/collections/changbaishan/records/new?lang=en"
    page = parse(client.get(url))
    assert page.xpath("//input[@name='local_id']/@placeholder") == ["e.g. JL-0001"]
    assert page.xpath("//input[@name='title']/@placeholder") == ["e.g. 人参"]
    chinese = parse(client.get("/workspace/collections/changbaishan/records/new?lang=zh_Hans_CN"))
    assert chinese.xpath("//input[@name='title']/@placeholder") == ["例如：人参"]


def test_a_required_field_in_error_has_no_placeholder(client, login, plants, make_user):
    from tests.conftest import csrf_token_from

    login(make_user("contributor"))
    url = "/workspace/collections/changbaishan/records/new"
    response = client.post(
        url + "?lang=en",
        data={"csrf_token": csrf_token_from(client, url), "local_id": "", "title": ""},
        content_type="multipart/form-data",
    )
    page = lxml.html.fromstring(response.get_data(as_text=True))
    row = page.xpath("//div[contains(@class, 'has-error')][.//input[@name='title']]")[0]
    assert row.xpath(".//input/@placeholder") == []
    assert "e.g. 人参" in row.text_content()


def test_summaries_end_at_a_sentence():
    long = "First sentence is here. " * 5 + "Last one."
    cut = summary(long, 60)
    assert cut.endswith(".") and len(cut) <= 60
    assert summary("短的描述。", 60) == "短的描述。"
    one = "A single sentence that runs on and on well past the limit without any stop at all"
    assert summary(one, 30) == one
    assert summary("第一句话很长很长。第二句。", 8) == "第一句话很长很长。"


def test_the_home_page_does_not_cut_descriptions_mid_sentence(client, plants, make_record):
    make_record(plants)
    plants.description_en = (
        "Changbai Mountain is a dormant volcano on the border; its peak rises to 2,691 m. "
        "The range is one of the richest areas for biodiversity in Northeast Asia, with "
        "forests, meadows and tundra one above the other."
    )
    db.session.commit()
    page = parse(client.get("/?lang=en"))
    (text,) = [p.text_content() for p in page.xpath("//article[@class='collection-card']/p[2]")]
    assert text.endswith("."), text
    assert "…" not in text and "..." not in text
