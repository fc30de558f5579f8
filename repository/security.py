"""What every response tells the browser, and whose address a request comes from.

- Behind ``TRUSTED_PROXIES`` proxies, werkzeug's ProxyFix takes the client's address and scheme
  from their ``X-Forwarded-For`` and ``X-Forwarded-Proto``, so limits count readers, not the proxy.
  Nothing else is believed: a reader who sends those headers himself changes nothing.
- Rate limits per client address (Flask-Limiter, ``repository.extensions.limiter``) count in
  Redis when ``REDIS_URL`` is set, otherwise in each process's memory.
- Every response carries a Content-Security-Policy and its companions. Scripts come only from
  Huiku itself or carry this response's nonce; each inline ``<script>`` written in a template gets
  the nonce when the template is compiled, so markup that reaches a page any other way never has
  it. Styles may be inline, because Mirador's components write their own style elements. Images
  and JSON may come from any https origin, because IIIF images and manifests live on other
  servers. No other site may frame Huiku's pages.
"""

from __future__ import annotations

import math
import re
import secrets
import time

from flask import Flask, has_request_context, request
from jinja2.ext import Extension
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from repository.extensions import limiter

#: The policy's directives, in the order they are sent; ``script-src`` also gets the nonce.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob: https:",
    "media-src": "'self' blob: https:",  # recordings, here or in manifests from elsewhere
    "connect-src": "'self' https:",
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
}

_NONCE_ATTRIBUTE = "_huiku_csp_nonce"

#: An inline script tag: ``<script`` with neither ``src`` nor ``nonce`` among its attributes.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src|nonce)\s*=)([^>]*)>", re.IGNORECASE)


def csp_nonce() -> str:
    """This response's script nonce, made when a template first asks for it."""
    if not has_request_context():
        return ""
    nonce = getattr(request, _NONCE_ATTRIBUTE, None)
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        setattr(request, _NONCE_ATTRIBUTE, nonce)
    return nonce


def content_security_policy(nonce: str | None = None) -> str:
    directives = dict(CONTENT_SECURITY_POLICY)
    if nonce:
        directives["script-src"] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class InlineScriptNonces(Extension):
    """Writes ``nonce="{{ csp_nonce() }}"`` into every inline ``<script>`` tag of the templates."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _INLINE_SCRIPT.sub(r'<script\1 nonce="{{ csp_nonce() }}">', source)


def add_security_headers(response: Response) -> Response:
    """The policy and its companions, unless the view chose its own."""
    nonce = getattr(request, _NONCE_ATTRIBUTE, None)
    response.headers.setdefault("Content-Security-Policy", content_security_policy(nonce))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def rate_limit_retry_after() -> int:
    """Seconds until the limit this request broke lets the client in again."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    # The window's own reset time: ``reset_at`` is rounded up to the next whole second, which
    # can make a minute's window ask for 61 seconds.
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def init_app(app: Flask) -> None:
    hops = int(app.config["TRUSTED_PROXIES"] or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # Said explicitly even for memory, so Flask-Limiter knows it was chosen.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    app.jinja_env.add_extension(InlineScriptNonces)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)
