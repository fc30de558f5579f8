"""The ingest API's OpenAPI description is valid and matches the routes the app really serves.

That each response matches its documented schema is checked by every API test through
``tests.ingest.api_client``.
"""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from repository.profiles import get_profile, profiles


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def ingest_operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and "ingest" in operation.get("tags", ()):
                yield path, method, operation


def test_the_description_is_valid_openapi(spec):
    validate(spec)
    assert {
        "/api/collections/{slug}/records",
        "/api/records/{public_id}",
        "/api/records/{public_id}/submit",
        "/api/records/{public_id}/images",
        "/api/collections/{slug}/imports",
        "/api/imports/{job_id}",
        "/api/imports/{job_id}/report",
    } <= set(spec["paths"])


def test_every_operation_needs_the_bearer_token_and_says_so(spec):
    schemes = spec["components"].get("securitySchemes", {})
    assert "bearerToken" in schemes, "repository.openapi must pass on securitySchemes"
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerToken"]["description"],
    }
    for path, method, operation in ingest_operations(spec):
        assert operation["security"] == [{"bearerToken": []}], (method, path)
        assert "401" in operation["responses"], (method, path)


def test_the_served_routes_and_the_described_paths_are_the_same(app, spec):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("ingest_api."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        kinds = ("csv", "xlsx") if "{kind}" in path else ("",)  # report.<any(csv, xlsx):kind>
        for kind in kinds:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add(f"{method.lower()} {path.replace('{kind}', kind)}")
    described = {f"{method} {path}" for path, method, _ in ingest_operations(spec)}
    assert served == described


def test_the_metadata_schemas_follow_the_profiles(spec):
    schemas = spec["components"]["schemas"]
    for name in ("generic", "ich", "natural_history"):
        profile = get_profile(name)
        stored = schemas[f"Metadata_{name}"]
        assert set(stored["properties"]) == {field.key for field in profile.metadata_fields}
        assert set(stored["required"]) == {f.key for f in profile.metadata_fields if f.required}
    kingdom = schemas["Metadata_natural_history"]["properties"]["kingdom"]
    assert kingdom["enum"] == ["植物", "动物", "真菌"]  # in declaration order
    assert schemas["Metadata_ich"]["properties"]["batch_year"]["type"] == "integer"


def test_each_profile_has_its_schemas_with_exactly_its_fields(spec):
    schemas = spec["components"]["schemas"]
    for profile in profiles():
        keys = [field.key for field in profile.metadata_fields]
        required = {field.key for field in profile.metadata_fields if field.required}
        for kind in ("Metadata", "MetadataInput", "MetadataPatch"):
            schema = schemas[f"{kind}_{profile.name}"]
            assert sorted(schema["properties"]) == sorted(keys), (kind, profile.name)
            assert schema["additionalProperties"] is False, (kind, profile.name)
            expected = set() if kind == "MetadataPatch" else required
            assert set(schema.get("required", ())) == expected, (kind, profile.name)
        sent = schemas[f"MetadataInput_{profile.name}"]["properties"]
        for field in profile.metadata_fields:
            if field.vocabulary:
                terms = [t for term in field.vocabulary for t in (term.value, term.label_en)]
                assert sent[field.key]["enum"] == [*dict.fromkeys(terms), None]
            if field.repeatable:
                assert "anyOf" in sent[field.key], field.key


def test_a_record_is_one_schema_per_profile_told_apart_by_its_profile(spec):
    schemas = spec["components"]["schemas"]
    names = [profile.name for profile in profiles()]
    record = schemas["IngestRecord"]
    assert record["discriminator"] == {
        "propertyName": "profile",
        "mapping": {name: f"#/components/schemas/IngestRecord_{name}" for name in names},
    }
    assert record["oneOf"] == [{"$ref": f"#/components/schemas/IngestRecord_{n}"} for n in names]
    for name in names:
        variant = schemas[f"IngestRecord_{name}"]
        assert variant["properties"]["profile"]["enum"] == [name]
        assert variant["properties"]["metadata"] == {
            "$ref": f"#/components/schemas/Metadata_{name}"
        }
        assert {"profile", "metadata"} <= set(variant["required"])
    for body, kind in (("RecordWrite", "MetadataInput"), ("RecordPatch", "MetadataPatch")):
        choices = schemas[body]["properties"]["metadata"]["anyOf"]
        assert choices == [{"$ref": f"#/components/schemas/{kind}_{n}"} for n in names]
        assert schemas[body]["additionalProperties"] is False


def test_a_record_answer_matches_exactly_one_profile(spec):
    schema = {"$ref": "#/components/schemas/IngestRecord", "components": spec["components"]}
    record = {
        "id": "abc",
        "url": "http://x/records/abc",
        "collection": "c",
        "profile": "natural_history",
        "library": "L",
        "contributors": [],
        "local_id": "1",
        "status": "draft",
        "metadata": {"local_id": "1", "title": "人参", "scientific_name": "P", "kingdom": "植物"},
        "years": None,
        "images": [],
        "dublin_core": {"title": ["红松"], "identifier": ["http://x/records/abc"]},
        "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
    }
    assert list(Draft202012Validator(schema).iter_errors(record)) == []
    assert list(Draft202012Validator(schema).iter_errors({**record, "profile": "generic"}))
