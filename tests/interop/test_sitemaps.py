"""``/sitemap.xml``, its sitemaps and ``robots.txt``."""

from __future__ import annotations

from lxml import etree

from repository.extensions import db
from repository.models import RecordStatus

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _xml(client, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.content_type == "text/xml; charset=utf-8"
    return etree.fromstring(response.data)


def _harvest(client) -> dict[str, str | None]:
    """Every URL the sitemaps list, with its lastmod."""
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{SITEMAP}sitemapindex"
    urls: dict[str, str | None] = {}
    for location in index.iter(f"{SITEMAP}loc"):
        sitemap = _xml(client, location.text.removeprefix("http://huiku.test"))
        assert sitemap.tag == f"{SITEMAP}urlset"
        for entry in sitemap.iter(f"{SITEMAP}url"):
            assert entry.findtext(f"{SITEMAP}loc") not in urls, "a URL listed twice"
            urls[entry.findtext(f"{SITEMAP}loc")] = entry.findtext(f"{SITEMAP}lastmod")
    return urls


def test_sitemaps_list_public_record_and_collection_pages(
    app, client, monkeypatch, make_collection, make_record
):
    monkeypatch.setitem(app.config, "SITEMAP_PAGE_SIZE", 3)
    shown = make_collection()
    hidden = make_collection()
    public = [make_record(shown) for _ in range(5)]
    make_record(shown, status=RecordStatus.DRAFT)
    make_record(shown, status=RecordStatus.WITHDRAWN)
    make_record(hidden)
    hidden.published = False
    db.session.flush()

    urls = _harvest(client)
    expected = {f"http://huiku.test/collections/{shown.slug}"} | {
        f"http://huiku.test/records/{record.public_id}" for record in public
    }
    assert set(urls) == expected
    assert len(_xml(client, "/sitemap.xml")) == 2  # 6 URLs, 3 a sitemap
    for record in public:
        lastmod = record.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert urls[f"http://huiku.test/records/{record.public_id}"] == lastmod
    assert urls[f"http://huiku.test/collections/{shown.slug}"] == max(
        r.updated_at for r in public
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get("/sitemaps/3.xml").status_code == 404
    assert client.get("/sitemaps/0.xml").status_code == 404


def test_an_empty_repository_has_one_empty_sitemap(client):
    index = _xml(client, "/sitemap.xml")
    assert [loc.text for loc in index.iter(f"{SITEMAP}loc")] == ["http://huiku.test/sitemaps/1.xml"]
    assert len(_xml(client, "/sitemaps/1.xml")) == 0


def test_robots_points_at_the_sitemap_and_keeps_crawlers_out_of_work_areas(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    assert "Sitemap: http://huiku.test/sitemap.xml" in lines
    disallowed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow")}
    assert {"/workspace", "/admin", "/imports", "/api/records/", "/api/imports/"} <= disallowed
    for public in ("/", "/collections/", "/records/", "/search", "/oai", "/iiif/", "/api/search"):
        assert not any(public.startswith(path) for path in disallowed), public
