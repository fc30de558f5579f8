"""Kept public answers sent before Flask is involved: no routing, no session, no database.

A ``GET`` or ``HEAD`` of a canonical image request or a manifest whose answer is kept
(``repository.public_answers``) is sent from the file, or from the bucket, with the headers
Huiku's views give it (CORS, content type, Cache-Control, Link, validators). Anything else, a
miss included, goes on to the application, which then keeps the answer for next time. Its file
is the proof that the answer is public, so nothing else needs to be asked.

The ETag is ``"<mtime hex>-<size hex>"``, the form nginx gives a file, so a validator from one
is good at the other. The first answer, from the view, carries the view's own ETag (a digest of
the request, the record's fingerprint); a client revalidating with that gets the bytes once more.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import http_date, is_resource_modified, parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import wrap_file

from iiif.image_api import IMAGE_CACHE_CONTROL
from iiif.image_info import PROFILE_URI
from iiif.presentation_http import EXPOSED_HEADERS, PRESENTATION_TYPE, prefers_plain_json
from repository.public_answers import IMAGE_PATH, key_for, public_store

MANIFEST_CACHE_CONTROL = "public, no-cache"
#: Kept files up to this size are read and sent in one write; larger ones by sendfile.
READ_WHOLE = 512 * 1024
IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "tif": "image/tiff",
}
_IMAGE = re.compile(r"/iiif/image/3/([0-9A-Za-z_-]{1,64})/[^/]+/[^/]+/[^/]+/[^/]+\.([a-z]+)")
_MANIFEST = re.compile(r"/iiif/3/manifests/[0-9A-Za-z_-]{1,64}")

StartResponse = Callable[..., Any]
#: The request headers ``is_resource_modified`` reads (If-Range is ignored, as in Flask's files).
_CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH")


def static_etag(mtime: float, size: int) -> str:
    """The validator nginx gives a file: its modification time and size, in hex."""
    return f'"{int(mtime):x}-{size:x}"'


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept:
    """A kept file's bytes (or open file) and what its validators are made of."""

    body: Any  # an open binary file, or bytes
    size: int
    mtime: int


class PublicAnswers:
    """WSGI middleware in front of the Flask application (inside any ProxyFix)."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        config = self.app.config
        if (
            environ.get("REQUEST_METHOD") in ("GET", "HEAD")
            and config.get("IIIF_PUBLIC_ANSWERS")
            and not config.get("IIIF_X_ACCEL_PREFIX")
        ):
            path = environ.get("PATH_INFO", "")
            answer = None
            if path.startswith(IMAGE_PATH):
                answer = self._image(environ, path)
            elif path.startswith("/iiif/3/manifests/"):
                answer = self._manifest(environ, path)
            if answer is not None:
                return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _image(self, environ: dict, path: str) -> Callable | None:
        match = _IMAGE.fullmatch(path)
        if match is None or match.group(2) not in IMAGE_TYPES or _encoded_slash(environ):
            return None
        kept = _read(self.app.config, key_for(path))
        base = self.app.config.get("BASE_URL")
        if kept is None:
            return None
        root = base.rstrip("/") if base else _host_root(environ)
        headers = [
            ("Content-Type", IMAGE_TYPES[match.group(2)]),
            ("Cache-Control", IMAGE_CACHE_CONTROL),
            ("Link", f'<{root}{path}>;rel="canonical", <{PROFILE_URI}>;rel="profile"'),
        ]
        return _respond(environ, kept, headers)

    def _manifest(self, environ: dict, path: str) -> Callable | None:
        if _MANIFEST.fullmatch(path) is None:
            return None
        if prefers_plain_json(parse_accept_header(environ.get("HTTP_ACCEPT"), MIMEAccept)):
            return None  # the view negotiates that form
        key = key_for(path)
        gzipped = _accepts_gzip(environ)
        config = self.app.config
        kept = _read(config, f"{key}.gz") if gzipped else None
        encoding = "gzip" if kept is not None else None
        kept = kept or _read(config, key)
        if kept is None:
            return None
        headers = [
            ("Content-Type", PRESENTATION_TYPE),
            ("Cache-Control", MANIFEST_CACHE_CONTROL),
            ("Vary", "Accept, Accept-Encoding"),
        ]
        if encoding:
            headers.append(("Content-Encoding", encoding))
        return _respond(environ, kept, headers)


def _read(config: Mapping[str, Any], key: str) -> Kept | None:
    """The kept file of ``key``, or None when there is none (or the store cannot say)."""
    store = public_store(config)
    try:
        if not store.shared:
            handle = store.path(key).open("rb")
            stat = os.fstat(handle.fileno())
            if stat.st_size > READ_WHOLE:
                return Kept(handle, stat.st_size, int(stat.st_mtime))
            with handle:  # one write of a small file costs gunicorn less than its sendfile path
                return Kept(handle.read(), stat.st_size, int(stat.st_mtime))
        got = store.client.get_object(Bucket=store.settings.bucket, Key=store.object_name(key))
    except (OSError, ValueError):
        return None
    except Exception as error:  # boto3's NoSuchKey, or a store that cannot be reached
        if type(error).__name__ not in ("NoSuchKey", "ClientError"):
            store_log(error)
        return None
    with got["Body"] as body:
        data = body.read()
    mtime = got.get("Metadata", {}).get("huiku-mtime")
    try:
        seconds = int(float(mtime)) if mtime else int(got["LastModified"].timestamp())
    except (ValueError, KeyError):
        return None
    return Kept(data, len(data), seconds)


@functools.lru_cache(maxsize=1024)
def _validators(mtime: int, size: int) -> tuple[str, str]:
    """A kept file's ETag and Last-Modified, the same for every request of it."""
    return static_etag(mtime, size), http_date(mtime)


def _modified(environ: dict, etag: str, mtime: int) -> bool:
    """Whether the request is not answered by the client's copy (304)."""
    if not any(name in environ for name in _CONDITIONS):
        return True
    last_modified = datetime.fromtimestamp(mtime, UTC)
    return is_resource_modified(environ, etag=etag.strip('"'), last_modified=last_modified)


def _respond(environ: dict, kept: Kept, headers: list[tuple[str, str]]) -> Callable:
    etag, last_modified = _validators(kept.mtime, kept.size)
    headers += [
        ("ETag", etag),
        ("Last-Modified", last_modified),
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
        ("X-Content-Type-Options", "nosniff"),
    ]
    modified = _modified(environ, etag, kept.mtime)
    head = environ.get("REQUEST_METHOD") == "HEAD"

    def answer(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if not modified or head:
            _close(kept.body)
            status = "200 OK" if modified else "304 Not Modified"
            if modified:
                headers.append(("Content-Length", str(kept.size)))
            start_response(status, headers)
            return []
        start_response("200 OK", [*headers, ("Content-Length", str(kept.size))])
        if isinstance(kept.body, bytes):
            return [kept.body]
        return wrap_file(environ, kept.body)

    return answer


def _close(body: Any) -> None:
    if hasattr(body, "close"):
        body.close()


def _accepts_gzip(environ: dict) -> bool:
    accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
    return any(
        part.split(";")[0].strip() == "gzip" and "q=0" not in part.replace(" ", "")
        for part in accepted.lower().split(",")
    )


def _encoded_slash(environ: dict) -> bool:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    raw_path = raw.split("?", 1)[0].lower()
    return "%2f" in raw_path or "%5c" in raw_path


def _host_root(environ: dict) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"


def store_log(error: Exception) -> None:
    log.warning("IIIF public answers: store unavailable: %s", error)


def init_app(app: Flask) -> None:
    """Puts the middleware in front of Flask, inside ProxyFix so it sees the client's scheme."""
    if isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app.app = PublicAnswers(app, app.wsgi_app.app)
    else:
        app.wsgi_app = PublicAnswers(app, app.wsgi_app)  # type: ignore[method-assign]
