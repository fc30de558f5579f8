"""Open data for harvesters and crawlers: OAI-PMH 2.0 at ``/oai``, sitemaps and ``robots.txt``.

Only published records of published collections are ever served; see docs/oai-pmh.md.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from interop import oai, sitemaps

    oai.init_app(app)
    sitemaps.init_app(app)
