"""Collection pages: the pager's links read the next page from a key, numbers still work."""

import re

import pytest


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "RECORDS_PER_PAGE", 2)


TITLES = ["松茸", "人参", "东北虎", "红松", "长白山蓝靛果", "美人松", "紫貂"]


def titles_on(page: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", page)


def test_next_and_previous_links_walk_the_same_pages_as_numbers(
    client, small_pages, make_collection, make_record
):
    collection = make_collection(slug="flora")
    for title in TITLES:
        make_record(collection, title=title)
    by_number = [
        titles_on(client.get(f"/collections/flora?page={n}").get_data(as_text=True))
        for n in range(1, 5)
    ]
    url, walked = "/collections/flora", []
    while url:
        page = client.get(url.replace("&amp;", "&")).get_data(as_text=True)
        walked.append(titles_on(page))
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = found.group(1) if found else None
        if url:
            assert "after=" in url and "page=" in url
    assert walked == by_number and all(walked) and len(walked) == 4
    back = re.search(r'href="([^"]+)" rel="prev"', page).group(1).replace("&amp;", "&")
    assert "before=" in back
    assert titles_on(client.get(back).get_data(as_text=True)) == by_number[-2]


def test_a_cursor_that_was_not_made_here_is_a_clear_400(client, make_collection):
    make_collection(slug="flora")
    page = client.get("/collections/flora?page=2&after=not-a-cursor&lang=en")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "the after cursor &#39;not-a-cursor&#39; is not one this site made" in text
    zh = client.get("/collections/flora?before=%25%25&lang=zh").get_data(as_text=True)
    assert "翻页参数 before" in zh
