"""A method a URL does not take is a 405 that says, in ``Allow``, which ones it does take,
on every route of the app, whether the error comes as an HTML page or as JSON."""

from __future__ import annotations

from werkzeug.routing import AnyConverter, Rule

PROBES = ("DELETE", "PUT", "PATCH", "POST")
SAMPLE_VALUES = {"integer": "1", "path": "x", "default": "x", "float": "1.0", "uuid": "0" * 32}


def sample_path(rule: Rule) -> str:
    """A path this rule matches, each variable filled with a value of its converter's kind."""
    values = {}
    for name in rule.arguments - set(rule.defaults or ()):
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
            continue
        kind = type(converter).__name__.removesuffix("Converter").lower()
        values[name] = SAMPLE_VALUES.get(kind, "x")
    return rule.build({**(rule.defaults or {}), **values}, append_unknown=False)[1]


def test_every_route_names_its_methods_on_a_405(app, client):
    adapter = app.url_map.bind("huiku.test")
    checked = 0
    for rule in app.url_map.iter_rules():
        path = sample_path(rule)
        allowed = set(adapter.allowed_methods(path))
        probe = next((method for method in PROBES if method not in allowed), None)
        if probe is None:
            continue
        response = client.open(path, method=probe)
        assert response.status_code == 405, (rule.rule, probe, response.status_code)
        sent = {method.strip() for method in response.headers.get("Allow", "").split(",")}
        assert sent == allowed, (rule.rule, probe)
        checked += 1
    assert checked > 30  # the app's routes were really walked


def test_the_json_and_html_error_pages_both_keep_allow(client):
    page = client.delete("/")
    assert page.status_code == 405
    assert page.mimetype == "text/html"
    assert {"GET", "HEAD", "OPTIONS"} <= set(page.headers["Allow"].replace(" ", "").split(","))
    api = client.delete("/api/search")
    assert api.status_code == 405
    assert api.is_json
    assert "GET" in api.headers["Allow"]
    document = client.put("/records/x.json")
    assert document.status_code == 405 and document.is_json
    assert "GET" in document.headers["Allow"]
