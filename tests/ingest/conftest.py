"""Fixtures the ingest tests share: the API's own description, a collection and a contributor
with a token-holding API client that checks every exchange against that description."""

from __future__ import annotations

import pytest

from tests.ingest.api_client import ApiClient, issue_token


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/openapi.json").get_json()


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


@pytest.fixture
def api(client, spec, contributor) -> ApiClient:
    return ApiClient(client, spec, issue_token(contributor))
