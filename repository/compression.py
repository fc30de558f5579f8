"""Text responses compressed for clients that accept it: gzip, and brotli when installed.

HTML pages, JSON (the APIs, IIIF manifests and collections), XML and the JS/CSS files are
compressed after the view (and any 304 or range handling) has run; images, which are
compressed already, tiny bodies, partial (206) and not-modified (304) responses are left
alone. A compressed response carries ``Vary: Accept-Encoding`` and its ETag weakened
(``W/"…"``, as nginx does), since the bytes differ from the identity form's while the
content is the same: a client's ``If-None-Match`` still matches it (weak comparison), so
304s keep working. Files with an ETag (static JS/CSS) are compressed once per process.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict

from flask import Flask, Request, request
from werkzeug.wrappers import Response

try:  # optional: used only when the brotli package happens to be installed
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

#: Smaller bodies gain nothing worth the CPU and the extra header bytes.
MIN_SIZE = 512
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
_TEXT_TYPES = {
    "application/json",
    "application/ld+json",
    "application/javascript",
    "application/xml",
    "application/xhtml+xml",
    "image/svg+xml",
}
_CACHE_ENTRIES = 32
_cache: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()


def compressible(mimetype: str | None) -> bool:
    if not mimetype:
        return False
    return (
        mimetype.startswith("text/")
        or mimetype in _TEXT_TYPES
        or mimetype.endswith(("+json", "+xml"))
    )


def chosen_encoding(req: Request) -> str | None:
    """The best encoding the client accepts: brotli (if available), then gzip, or none."""
    accepted = req.accept_encodings
    for encoding in ("br", "gzip") if brotli is not None else ("gzip",):
        if accepted[encoding] > 0 or (
            "*" in accepted and accepted["*"] > 0 and accepted.quality(encoding) != 0
        ):
            return encoding
    return None


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=BROTLI_QUALITY)
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def compress_response(response: Response) -> Response:
    if not compressible(response.mimetype) or "Content-Encoding" in response.headers:
        return response
    if response.status_code == 304:  # what the 200 would have said: same Vary and ETag form
        _add_vary(response)
        etag, _weak = response.get_etag()
        if etag and chosen_encoding(request) is not None:
            response.set_etag(etag, weak=True)
        return response
    if response.status_code in (204, 206) or response.status_code < 200:
        return response
    if "Content-Range" in response.headers or "X-Accel-Redirect" in response.headers:
        return response
    if "no-transform" in response.headers.get("Cache-Control", ""):
        return response
    if response.is_streamed and not response.direct_passthrough:
        return response  # a generator (an export, a harvest) stays streamed
    _add_vary(response)
    encoding = chosen_encoding(request)
    if encoding is None:
        return response
    length = response.content_length
    if length is not None and length < MIN_SIZE:
        return response
    etag, _weak = response.get_etag()
    key = (etag, encoding, length or 0) if etag and response.direct_passthrough else None
    body = _cache.get(key) if key else None
    if body is None:
        response.direct_passthrough = False  # a file: read it to compress it
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        body = compress(data, encoding)
        if key:
            _cache[key] = body
            while len(_cache) > _CACHE_ENTRIES:
                _cache.popitem(last=False)
    else:
        response.direct_passthrough = False
        if hasattr(response.response, "close"):
            response.response.close()  # the file is not read: its bytes are in the cache
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    if etag:
        response.set_etag(etag, weak=True)
    response.headers.pop("Accept-Ranges", None)  # ranges would be of the identity bytes
    return response


def _add_vary(response: Response) -> None:
    response.vary.add("Accept-Encoding")  # a HeaderSet: compared without case


def init_app(app: Flask) -> None:
    app.after_request(compress_response)
