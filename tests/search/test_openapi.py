"""The OpenAPI description is valid and says what the search API really answers."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from search.request_schema import SearchArgsSchema


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def conforms(spec: dict, schema_name: str, document: dict) -> list[str]:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return [error.message for error in Draft202012Validator(schema).iter_errors(document)]


def test_the_description_is_valid_openapi(spec):
    validate(spec)
    assert {"/api/search", "/api/suggest"} <= set(spec["paths"])


def test_search_answers_match_the_description(client, spec, herbarium):
    answer = client.get("/api/search?q=东北虎&f=kingdom:动物&per_page=5").get_json()
    assert answer["hits"], "the check needs real hits"
    assert conforms(spec, "SearchResult", answer) == []
    for hit in answer["hits"]:
        assert conforms(spec, "SearchHit", hit) == []

    invalid = client.get("/api/search?f=nope:x").get_json()
    assert conforms(spec, "Invalid", invalid) == []

    suggestions = client.get("/api/suggest?q=东北").get_json()
    assert suggestions["suggestions"]
    assert conforms(spec, "Suggestions", suggestions) == []


def test_every_documented_parameter_is_accepted(client, spec, herbarium):
    examples = {
        "q": "虎",
        "f": "kingdom:动物",
        "source": "huiku",
        "collection": "changbai",
        "from": "1900",
        "to": "2100",
        "sort": "title",
        "page": "1",
        "per_page": "5",
    }
    for parameter in spec["paths"]["/api/search"]["get"]["parameters"]:
        name = parameter["name"]
        if name == "after":
            continue
        response = client.get("/api/search", query_string={name: examples[name]})
        assert response.status_code == 200, (name, response.get_json())


def test_the_parameters_are_the_parsers_fields_and_never_null(spec):
    parameters = spec["paths"]["/api/search"]["get"]["parameters"]
    names = [field.data_key or name for name, field in SearchArgsSchema().fields.items()]
    assert [parameter["name"] for parameter in parameters] == names
    for parameter in [*parameters, *spec["paths"]["/api/suggest"]["get"]["parameters"]]:
        assert parameter["in"] == "query" and parameter["description"], parameter
        assert "null" not in str(parameter["schema"].get("type")), parameter
        assert "default" not in parameter["schema"], parameter
    facet = next(p for p in parameters if p["name"] == "f")
    assert facet["style"] == "form" and facet["explode"] is True
    assert facet["schema"]["items"]["pattern"].startswith(r"^\s*(?:")
