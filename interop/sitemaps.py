"""``/sitemap.xml`` (a sitemap index), its sitemaps ``/sitemaps/<n>.xml`` and ``/robots.txt``.

The public pages are the published collections' pages and their published records' pages.
Each sitemap holds at most ``SITEMAP_PAGE_SIZE`` URLs (50,000, the protocol's limit):
the collections first, then the records by row id, so a record keeps its sitemap as others
are added.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app
from lxml import etree
from sqlalchemy import func, select

from interop.web import absolute_url, as_utc, url_template, utc_seconds, xml_response
from repository.extensions import db
from repository.models import Collection, Record, RecordStatus

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
blueprint = Blueprint("sitemaps", __name__)

#: Paths crawlers have no business in: sign-in areas, write endpoints, import jobs, exports
#: (whole collections at a time; the records are in the sitemap one by one).
DISALLOWED = (
    "/workspace",
    "/admin",
    "/imports",
    "/api/collections/",
    "/api/imports/",
    "/api/records/",
    "/login",
    "/logout",
    "/exports/",
    "/libraries/",
    "/collections/*/export.",
)


@blueprint.route("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines += [f"Sitemap: {absolute_url('sitemaps.index')}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")


@blueprint.route("/sitemap.xml")
def index() -> Response:
    total = _collection_count() + _record_count()
    pages = max(1, -(-total // _page_size()))
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for number in range(1, pages + 1):
        entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        location = etree.SubElement(entry, f"{{{SITEMAP_NS}}}loc")
        location.text = absolute_url("sitemaps.sitemap", number=number)
    return xml_response(root)


@blueprint.route("/sitemaps/<int:number>.xml")
def sitemap(number: int) -> Response:
    size = _page_size()
    collections = _collection_count()
    pages = max(1, -(-(collections + _record_count()) // size))
    if not 1 <= number <= pages:
        abort(404)
    start = (number - 1) * size  # position of this sitemap's first URL in the whole list
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    if start < collections:
        collection_url = url_template("public.collection", "slug")
        for slug, lastmod in _collections(start, size):
            _url(root, collection_url.format(slug), lastmod)
    record_url = url_template("public.record", "public_id")
    first_record = max(0, start - collections)
    room = size - len(root)
    for public_id, lastmod in _records(first_record, room) if room > 0 else ():
        _url(root, record_url.format(public_id), lastmod)
    return xml_response(root)


def _url(root: etree._Element, location: str, lastmod: datetime | None) -> None:
    entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
    etree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = location
    if lastmod is not None:
        etree.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = utc_seconds(lastmod)


def _page_size() -> int:
    return max(1, int(current_app.config["SITEMAP_PAGE_SIZE"]))


def _public_records():
    return (
        select(Record)
        .join(Collection, Collection.id == Record.collection_id)
        .where(Record.status == RecordStatus.PUBLISHED, Collection.published)
    )


def _record_count() -> int:
    query = _public_records().with_only_columns(func.count(Record.id))
    return db.session.scalar(query) or 0


def _collection_count() -> int:
    return db.session.scalar(select(func.count(Collection.id)).where(Collection.published)) or 0


def _collections(offset: int, limit: int) -> list[tuple[str, datetime | None]]:
    """Published collections with the last change of their public records (else creation)."""
    latest = (
        select(Record.collection_id, func.max(Record.updated_at).label("lastmod"))
        .where(Record.status == RecordStatus.PUBLISHED)
        .group_by(Record.collection_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Collection.slug, latest.c.lastmod, Collection.created_at)
        .outerjoin(latest, latest.c.collection_id == Collection.id)
        .where(Collection.published)
        .order_by(Collection.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        (slug, as_utc(lastmod) if lastmod is not None else created)
        for slug, lastmod, created in rows
    ]


def _records(offset: int, limit: int) -> list[tuple[str, datetime]]:
    query = (
        _public_records()
        .with_only_columns(Record.public_id, Record.updated_at)
        .order_by(Record.id)
        .offset(offset)
        .limit(limit)
    )
    return [(public_id, updated_at) for public_id, updated_at in db.session.execute(query)]


def init_app(app: Flask) -> None:
    app.config.setdefault("SITEMAP_PAGE_SIZE", 50_000)  # URLs per sitemap (the protocol's limit)
    app.register_blueprint(blueprint)
