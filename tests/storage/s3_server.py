"""Fixtures for the S3 backend: a real S3 server over HTTP (``HUIKU_TEST_S3_URL``, moto's
standalone server in CI, started by scripts/services/s3.sh) and a fresh bucket per test.

Import the fixtures into a test module or conftest to use them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask

from repository.images.s3 import S3Settings, S3Store
from tests.conftest import service_url

S3_CONFIG_KEYS = (
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_PREFIX",
    "S3_REGION",
    "S3_ADDRESSING_STYLE",
    "S3_SIGNATURE_VERSION",
)


@pytest.fixture(scope="session")
def s3_url() -> str:
    url = service_url("HUIKU_TEST_S3_URL", "An S3 server")
    if not url:
        pytest.skip("HUIKU_TEST_S3_URL is not set (scripts/services/s3.sh start)")
    return url


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials the usual AWS way; the test server accepts any."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "huiku-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "huiku-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def s3_settings(s3_url: str, s3_credentials: None) -> Iterator[S3Settings]:
    """A new, empty bucket on the test server, with a prefix as a shared bucket would use."""
    settings = S3Settings(
        bucket=f"huiku-test-{secrets.token_hex(6)}",
        endpoint_url=s3_url,
        prefix="huiku",
        region="us-east-1",
        addressing_style="path",
    )
    client = raw_client(settings)
    client.create_bucket(Bucket=settings.bucket)
    yield settings
    try:
        for name in object_names(settings):
            client.delete_object(Bucket=settings.bucket, Key=name)
        client.delete_bucket(Bucket=settings.bucket)
    except Exception:  # a test that stopped the server or removed the bucket
        pass


@pytest.fixture
def s3_store(s3_settings: S3Settings, tmp_path: Path) -> S3Store:
    return S3Store(tmp_path / "s3-copies", s3_settings)


@pytest.fixture
def s3_app(app: Flask, s3_settings: S3Settings) -> Iterator[Flask]:
    """The test app storing in the fresh bucket for one test."""
    before = {key: app.config.get(key) for key in S3_CONFIG_KEYS}
    app.config.update(
        S3_BUCKET=s3_settings.bucket,
        S3_ENDPOINT_URL=s3_settings.endpoint_url,
        S3_PREFIX=s3_settings.prefix,
        S3_REGION=s3_settings.region,
        S3_ADDRESSING_STYLE=s3_settings.addressing_style,
    )
    try:
        yield app
    finally:
        app.config.update(before)


def raw_client(settings: S3Settings) -> Any:
    """A client of its own, to look at the bucket the way another program would."""
    return boto3.client("s3", endpoint_url=settings.endpoint_url, region_name=settings.region)


def object_names(settings: S3Settings) -> list[str]:
    """Every object in the bucket, by its full name."""
    client = raw_client(settings)
    names: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket):
        names.extend(item["Key"] for item in page.get("Contents", ()))
    return sorted(names)
