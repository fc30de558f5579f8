"""Tests of the published API description against a served Huiku."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "schemathesis: fuzzes every operation of /api/openapi.json against a served Huiku",
    )
