"""The search package's own settings: how to reach Elasticsearch and the shape of its indices.

Declared here, not in the core: ``init_app`` gives each a default with ``setdefault`` and reads
its ``HUIKU_*`` environment variable. As for the core's settings, the environment wins over the
instance's ``huiku.cfg``, and values passed to ``create_app`` win over both.

A stock Elasticsearch 9 has security on: TLS and authentication. Huiku authenticates with an API
key (preferred) or a user name and password, and trusts the node's certificate through a CA file
or the certificate's SHA-256 fingerprint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Config, Flask

from repository.config import CONFIG_FILE_NAME

PREFIX = "HUIKU_"
_UNSET = object()


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _optional_int(value: str) -> int | None:
    return int(value) if value.strip() else None


#: key: (default, how the environment variable's text is parsed). The core's configuration knows
#: none of these: the search package declares and reads them itself.
SETTINGS: dict[str, tuple[Any, Callable[[str], Any]]] = {
    "ELASTICSEARCH_URL": (None, str),  # one URL or several, comma-separated; unset: embedded
    "ELASTICSEARCH_INDEX": ("huiku-records", str),  # an alias; reindexing swaps what is behind
    "ELASTICSEARCH_TIMEOUT": (5.0, float),  # seconds; a slow engine must not hold pages
    "ELASTICSEARCH_API_KEY": (None, str),  # the base64 "id:key" ("encoded") Elasticsearch issues
    "ELASTICSEARCH_USERNAME": (None, str),  # basic authentication, when there is no API key
    "ELASTICSEARCH_PASSWORD": (None, str),
    "ELASTICSEARCH_CA_CERTS": (None, str),  # PEM file of the CA that signed the nodes' certificates
    "ELASTICSEARCH_SSL_FINGERPRINT": (None, str),  # or the SHA-256 of the node's certificate
    "ELASTICSEARCH_SHARDS": (1, int),  # primary shards of each index Huiku creates
    "ELASTICSEARCH_REPLICAS": (None, _optional_int),  # unset: 0 on one node, 1 when there are more
    "ELASTICSEARCH_CHECK_AT_START": (True, _flag),  # try the engine once when the app starts
}


def env_name(key: str) -> str:
    return f"{PREFIX}{key}"


def init_app(app: Flask) -> None:
    """Give every search setting its value: create_app's, else the environment's, else
    huiku.cfg's, else the default."""
    from_file = _config_file_values(app)
    for key, (default, parse) in SETTINGS.items():
        current = app.config.get(key, _UNSET)
        # A value that is not huiku.cfg's came from create_app.
        set_elsewhere = current is not _UNSET and current != from_file.get(key, _UNSET)
        raw = os.environ.get(env_name(key))
        if raw not in (None, "") and not set_elsewhere:
            app.config[key] = parse(raw)
        else:
            app.config.setdefault(key, default)


def _config_file_values(app: Flask) -> dict[str, Any]:
    values = Config(app.config.root_path)
    values.from_pyfile(CONFIG_FILE_NAME, silent=True)
    return dict(values)


class SettingError(ValueError):
    """A search setting has a value Huiku cannot use; the message names the setting."""


@dataclass(frozen=True)
class ElasticsearchSettings:
    """Everything needed to open the Elasticsearch backend, checked and normalised."""

    hosts: tuple[str, ...]
    index: str = "huiku-records"
    timeout: float = 5.0
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    ssl_fingerprint: str | None = None
    shards: int = 1
    replicas: int | None = None

    @property
    def credentials_setting(self) -> str | None:
        """The setting whose credentials are sent, for error messages."""
        if self.api_key:
            return env_name("ELASTICSEARCH_API_KEY")
        if self.username:
            return f"{env_name('ELASTICSEARCH_USERNAME')} / {env_name('ELASTICSEARCH_PASSWORD')}"
        return None

    @property
    def trust_setting(self) -> str | None:
        """The setting that decides which certificate is trusted, for error messages."""
        if self.ssl_fingerprint:
            return env_name("ELASTICSEARCH_SSL_FINGERPRINT")
        if self.ca_certs:
            return env_name("ELASTICSEARCH_CA_CERTS")
        return None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``elasticsearch.Elasticsearch`` (besides timeouts and retries)."""
        options: dict[str, Any] = {"hosts": list(self.hosts)}
        if self.api_key:
            options["api_key"] = self.api_key
        elif self.username:
            options["basic_auth"] = (self.username, self.password or "")
        if self.ssl_fingerprint:
            options["ssl_assert_fingerprint"] = self.ssl_fingerprint
        elif self.ca_certs:
            options["ca_certs"] = self.ca_certs
        return options

    def index_settings(self) -> dict[str, Any]:
        """Shards and replicas of a new index."""
        if self.replicas is None:
            return {"number_of_shards": self.shards, "auto_expand_replicas": "0-1"}
        return {
            "number_of_shards": self.shards,
            "number_of_replicas": self.replicas,
            "auto_expand_replicas": False,
        }


def split_hosts(url: str | Sequence[str]) -> tuple[str, ...]:
    parts = url.split(",") if isinstance(url, str) else url
    return tuple(part.strip().rstrip("/") for part in parts if part and part.strip())


_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def elasticsearch_settings(config: Any) -> ElasticsearchSettings | None:
    """The checked settings, or None when no Elasticsearch URL is set (embedded search).

    Raises SettingError naming the setting when a value cannot work.
    """
    url = config.get("ELASTICSEARCH_URL")
    if not url:
        return None
    hosts = split_hosts(url)
    for host in hosts:
        if not re.match(r"^https?://[^/\s]+", host):
            raise SettingError(
                f"{env_name('ELASTICSEARCH_URL')}: {host!r} is not an http:// or https:// URL"
            )
    api_key = (config.get("ELASTICSEARCH_API_KEY") or "").strip() or None
    username = config.get("ELASTICSEARCH_USERNAME") or None
    password = config.get("ELASTICSEARCH_PASSWORD") or None
    if api_key and username:
        raise SettingError(
            f"set either {env_name('ELASTICSEARCH_API_KEY')} or "
            f"{env_name('ELASTICSEARCH_USERNAME')}, not both"
        )
    if bool(username) != bool(password):
        raise SettingError(
            f"{env_name('ELASTICSEARCH_USERNAME')} and {env_name('ELASTICSEARCH_PASSWORD')} "
            "go together"
        )
    ca_certs = config.get("ELASTICSEARCH_CA_CERTS") or None
    if ca_certs and not Path(ca_certs).is_file():
        raise SettingError(f"{env_name('ELASTICSEARCH_CA_CERTS')}: no file at {ca_certs}")
    fingerprint = config.get("ELASTICSEARCH_SSL_FINGERPRINT") or None
    if fingerprint:
        fingerprint = fingerprint.replace(":", "").strip().lower()
        if not _FINGERPRINT.match(fingerprint):
            raise SettingError(
                f"{env_name('ELASTICSEARCH_SSL_FINGERPRINT')}: expected the certificate's SHA-256 "
                "as 64 hexadecimal digits (colons allowed)"
            )
    shards = _whole(config, "ELASTICSEARCH_SHARDS", 1)
    replicas = config.get("ELASTICSEARCH_REPLICAS")
    if replicas is not None:
        replicas = _whole(config, "ELASTICSEARCH_REPLICAS", 0)
    return ElasticsearchSettings(
        hosts=hosts,
        index=config.get("ELASTICSEARCH_INDEX") or "huiku-records",
        timeout=float(config.get("ELASTICSEARCH_TIMEOUT") or 5.0),
        api_key=api_key,
        username=username,
        password=password,
        ca_certs=ca_certs,
        ssl_fingerprint=fingerprint,
        shards=shards,
        replicas=replicas,
    )


def _whole(config: Any, key: str, smallest: int) -> int:
    value = config.get(key, SETTINGS[key][0])
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < smallest or isinstance(value, bool):
        raise SettingError(f"{env_name(key)}: expected a whole number of at least {smallest}")
    return number
