"""Harvesting's settings and their defaults (set any of them in huiku.cfg).

``HARVEST_ALLOW_PRIVATE_ADDRESSES`` is a list of hosts (names or IP addresses, as written in a
source's URL, or as they resolve) that may be private, loopback or link-local; ``["*"]``
allows every such address. The default, an empty list, refuses them all: a source must be a
public server on the Internet. Tests and an alliance whose repositories share a private network
list the hosts they trust.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "HARVEST_ALLOW_PRIVATE_ADDRESSES": [],  # hosts that may resolve to private addresses; "*": all
    "HARVEST_ALLOWED_HOSTS": [],  # hosts a source's redirects may lead to, besides its own
    "HARVEST_CONNECT_TIMEOUT": 10.0,  # seconds to connect
    "HARVEST_READ_TIMEOUT": 60.0,  # seconds without a byte before a request is given up
    "HARVEST_MAX_RESPONSE_BYTES": 50 * 1024 * 1024,  # a larger answer is refused, not read on
    "HARVEST_MAX_REDIRECTS": 5,
    "HARVEST_MAX_DESCRIPTION": 20_000,  # characters of a description kept; the rest is cut
    "HARVEST_MAX_PAGES": 100_000,  # pages of one run (a list that never ends is stopped)
    "HARVEST_MAX_MANIFESTS": 50_000,  # manifests of one IIIF Collection walk
    "HARVEST_MAX_ERRORS": 50,  # problems kept in a run's errors
    "HARVEST_USER_AGENT": "Huiku harvester (+https://github.com/huiku)",
}


def init_app(app: Any) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


def setting(key: str) -> Any:
    return current_app.config.get(key, DEFAULTS[key])
