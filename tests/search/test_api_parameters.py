"""The search API refuses what its description does not allow, in its own error shape."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=", "page"),
        ("from=-5000", "from"),
        ("to=", "to"),
        ("per_page=", "per_page"),
        ("sort=", "sort"),
        ("f=", "f"),
        ("f=nope:x", "f"),
        ("f=kingdom:", "f"),
        ("after=", "after"),
    ],
)
def test_a_parameter_outside_the_description_is_400_naming_it(client, query, parameter):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["error"] == "invalid search"
    assert set(answer["errors"]) == {parameter}
    assert {"en", "zh"} <= set(answer["errors"][parameter][0])


def test_suggest_without_q_is_400_and_with_an_empty_q_suggests_nothing(client):
    missing = client.get("/api/suggest")
    assert missing.status_code == 400
    assert missing.get_json()["error"] == "invalid suggestion request"
    assert set(missing.get_json()["errors"]) == {"q"}
    assert "q" in missing.get_json()["errors"]["q"][0]["en"]

    empty = client.get("/api/suggest?q=")
    assert empty.status_code == 200
    assert empty.get_json() == {"suggestions": []}


def test_the_facet_filter_pattern_names_the_real_facets(client):
    from search.documents import facet_names

    spec = client.get("/api/openapi.json").get_json()
    f = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "f")
    pattern = f["schema"]["items"]["pattern"]
    for name in facet_names():
        assert name in pattern
    page = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["minimum"] == 1
