"""The demo: a small alliance of three libraries with published records and pictures.

Its records are data files (``demo/data``) loaded through the ordinary batch import, so the
demo needs nothing the product does not already offer. No other package imports this one.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from demo.command import demo

    app.cli.add_command(demo)
