"""What the interop answers share: absolute public URLs and XML responses."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Response, current_app, request, url_for
from lxml import etree

XML_CONTENT_TYPE = "text/xml; charset=utf-8"


def public_root() -> str:
    """Scheme, host and path prefix of public URLs (``BASE_URL`` when set), no trailing slash."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    return request.url_root.rstrip("/")


def public_host() -> str:
    """The host name of the public address, without a port."""
    return urlsplit(public_root()).hostname or "localhost"


def absolute_url(endpoint: str, **values: object) -> str:
    path = url_for(endpoint, **values)
    return public_root() + path.removeprefix(request.script_root)


def url_template(endpoint: str, argument: str) -> str:
    """An absolute URL with ``{}`` in place of one argument, for building thousands of links
    without routing each one."""
    marker = "ARGUMENT-MARKER"
    return absolute_url(endpoint, **{argument: marker}).replace(marker, "{}")


def xml_response(root: etree._Element, status: int = 200) -> Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, status=status, content_type=XML_CONTENT_TYPE)


def utc_seconds(value: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ``: a UTC timestamp at seconds granularity."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(value: datetime | str) -> datetime:
    """Timestamps are stored in UTC; a union or aggregate column comes back naive (or as text)
    on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
