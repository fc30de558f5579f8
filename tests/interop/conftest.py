"""Helpers for the OAI-PMH tests: requests through the test client, checked responses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from lxml import etree
from werkzeug.datastructures import MultiDict

from tests.interop.oai_checks import OAI, check_response


@pytest.fixture
def huiku_schema(client: FlaskClient) -> etree.XMLSchema:
    response = client.get("/oai/schemas/huiku.xsd")
    assert response.status_code == 200
    return etree.XMLSchema(etree.fromstring(response.data))


@pytest.fixture
def oai(client: FlaskClient, huiku_schema) -> Callable[..., etree._Element]:
    """GET (or POST) ``/oai`` with these arguments; the response, checked and parsed."""

    def request(*pairs: tuple[str, str], method: str = "GET", **arguments: str):
        data = MultiDict(list(pairs) + [(k.removesuffix("_"), v) for k, v in arguments.items()])
        if method == "POST":
            response = client.post("/oai", data=data)
        else:
            response = client.get("/oai", query_string=data)
        assert response.status_code == 200
        assert response.content_type == "text/xml; charset=utf-8"
        return check_response(response.data, huiku_schema)

    return request


def error_code(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None
