"""Open data for harvesters, crawlers and readers: OAI-PMH 2.0 at ``/oai``, sitemaps and
``robots.txt``, exports (``exports/``) and citations on record pages (``citations/``).

Only published records of published collections are ever served; see docs/oai-pmh.md.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from interop import citations, exports, oai, sitemaps

    oai.init_app(app)
    sitemaps.init_app(app)
    exports.init_app(app)
    citations.init_app(app)
