"""How every administration page is answered."""

from __future__ import annotations

from flask import make_response, render_template
from werkzeug.wrappers import Response


def page(template: str, status: int = 200, **context) -> Response:
    """The rendered page, never cached: some show one-time links or secrets."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response
