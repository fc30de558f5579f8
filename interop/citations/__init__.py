"""Citations of every record: ``citation_*`` meta tags and schema.org JSON-LD on its page, a
"cite as" in GB/T 7714-2015 and APA, and RIS and BibTeX downloads (docs/exports.md).

The record page belongs to the core, which knows nothing of this package: it shows the block
when the template global ``record_citation`` exists, as it shows the IIIF viewer.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from interop.citations import page, views

    app.add_template_global(page.record_citation, "record_citation")
    app.register_blueprint(views.blueprint)
