"""Configuration: defaults, then the instance config file, then ``HUIKU_*`` environment variables.

With nothing set, everything lives in the instance folder (SQLite database, image storage), so a
fresh checkout runs without any service.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # generated into the instance folder when unset
    "DATABASE_URL": None,  # defaults to sqlite:///<instance>/huiku.sqlite3
    "SEARCH_INDEX_PATH": None,  # embedded backend file; default <instance>/search.sqlite3
    "SEARCH_APPLY_ON_COMMIT": True,  # apply the index outbox after each commit that wrote to it
    "IIIF_CACHE_ROOT": None,  # rendered IIIF responses; defaults to <instance>/iiif-cache
    "IIIF_X_ACCEL_PREFIX": None,  # e.g. "/_iiif_cache/": nginx sends cached files
    "IIIF_PUBLIC_ANSWERS": False,  # keep public answers by URL for nginx (public_answers.py)
    "IIIF_MAX_WIDTH": 10000,
    "IIIF_MAX_HEIGHT": 10000,
    "IIIF_MAX_AREA": 40_000_000,
    "STORAGE_ROOT": None,  # defaults to <instance>/storage; with S3, this machine's copies
    "S3_BUCKET": None,  # set: files live in this S3-compatible bucket (docs/storage.md)
    "S3_ENDPOINT_URL": None,  # e.g. http://minio:9000, https://oss-cn-beijing.aliyuncs.com
    "S3_PREFIX": "",  # object names start with this folder, so a bucket can be shared
    "S3_REGION": None,
    "S3_ADDRESSING_STYLE": "auto",  # "path" (MinIO, Ceph) or "virtual" (OSS, COS)
    "S3_SIGNATURE_VERSION": None,  # boto's default (SigV4); "s3" where a store needs V2
    "BASE_URL": None,  # public base URL for IIIF ids and citations; defaults to the request host
    "ALLIANCE_NAME_ZH": "吉林省图书馆联盟",
    "ALLIANCE_NAME_EN": "Jilin Library Alliance",
    "MAX_UPLOAD_BYTES": 200 * 1024 * 1024,
    "MAX_IMAGE_PIXELS": 300_000_000,
    "RECORDS_PER_PAGE": 24,
    "IMPORT_MAX_ROWS": 50_000,
    "IMPORT_KEEP_DAYS": 14,  # a finished import job's uploaded files are deleted after this
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "LANGUAGES": ("zh_Hans_CN", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": None,  # None: on when BASE_URL is https; HUIKU_SESSION_COOKIE_SECURE=1
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": None,  # None: as SESSION_COOKIE_SECURE
    "REDIS_URL": None,  # e.g. redis://127.0.0.1:6379/0: task queue and rate limits of all servers
    "TRUSTED_PROXIES": 0,  # proxies in front whose X-Forwarded-For/-Proto are believed
    "LOGIN_RATE_LIMIT": "10 per minute; 60 per hour",  # failed sign-ins per client address
    "LOGIN_BACKOFF_AFTER": 5,  # failed sign-ins with one address before each next one waits
    "LOGIN_LOCK_AFTER": 10,  # … and before the address is locked
    "LOGIN_LOCK_MINUTES": 15,
    "RATELIMIT_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,
}

#: Environment variables read on top of the config file, with how to parse each.
ENVIRONMENT = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "SEARCH_INDEX_PATH": str,
    "IIIF_CACHE_ROOT": str,
    "IIIF_X_ACCEL_PREFIX": str,
    "IIIF_PUBLIC_ANSWERS": lambda value: value.lower() in {"1", "true", "yes", "on"},
    "IIIF_MAX_WIDTH": int,
    "IIIF_MAX_HEIGHT": int,
    "IIIF_MAX_AREA": int,
    "STORAGE_ROOT": str,
    "S3_BUCKET": str,
    "S3_ENDPOINT_URL": str,
    "S3_PREFIX": str,
    "S3_REGION": str,
    "S3_ADDRESSING_STYLE": str,
    "S3_SIGNATURE_VERSION": str,
    "BASE_URL": str,
    "MAX_UPLOAD_BYTES": int,
    "MAX_IMAGE_PIXELS": int,
    "SESSION_COOKIE_SECURE": lambda value: value.lower() in {"1", "true", "yes", "on"},
    "REDIS_URL": str,
    "TRUSTED_PROXIES": int,
    "LOGIN_RATE_LIMIT": str,
    "LOGIN_BACKOFF_AFTER": int,
    "LOGIN_LOCK_AFTER": int,
    "LOGIN_LOCK_MINUTES": int,
}

CONFIG_FILE_NAME = "huiku.cfg"


def instance_path_from_environment() -> str | None:
    """The instance folder named by ``HUIKU_INSTANCE_PATH``, if any."""
    value = os.environ.get("HUIKU_INSTANCE_PATH")
    return str(Path(value).resolve()) if value else None


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Apply defaults, the instance config file, the environment and explicit overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(CONFIG_FILE_NAME, silent=True)
    for key, parse in ENVIRONMENT.items():
        value = os.environ.get(f"HUIKU_{key}")
        if value not in (None, ""):
            app.config[key] = parse(value)
    if overrides:
        app.config.update(overrides)
    _fill_instance_defaults(app)


def _fill_instance_defaults(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'huiku.sqlite3'}"
    if not app.config["STORAGE_ROOT"]:
        app.config["STORAGE_ROOT"] = str(instance / "storage")
    if not app.config["SEARCH_INDEX_PATH"]:
        app.config["SEARCH_INDEX_PATH"] = str(instance / "search.sqlite3")
    if not app.config["IIIF_CACHE_ROOT"]:
        app.config["IIIF_CACHE_ROOT"] = str(instance / "iiif-cache")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    _secure_cookies_over_https(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    # A connection the database dropped (a restart, a failover) is replaced before use, so it
    # costs no request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 1024 * 1024


def _secure_cookies_over_https(app: Flask) -> None:
    """Cookies go only over HTTPS when the public address is https, unless set explicitly."""
    if app.config["SESSION_COOKIE_SECURE"] is None:
        base_url = str(app.config["BASE_URL"] or "")
        app.config["SESSION_COOKIE_SECURE"] = base_url.lower().startswith("https://")
    if app.config["REMEMBER_COOKIE_SECURE"] is None:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]


def _instance_secret(instance: Path) -> str:
    """A secret generated once per instance, so sessions survive restarts without configuration."""
    path = instance / "secret.json"
    if path.exists():
        return json.loads(path.read_text())["secret_key"]
    secret = os.urandom(32).hex()
    path.write_text(json.dumps({"secret_key": secret}))
    path.chmod(0o600)
    return secret
