"""``huiku harvest …``: list sources, check one, run a harvest."""

from __future__ import annotations

from flask.cli import AppGroup

harvest_cli = AppGroup("harvest", help="Harvest other repositories into the one-stop search.")
