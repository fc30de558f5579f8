"""Every response tells the browser what the page may do: a Content-Security-Policy under which
the record page's IIIF viewer still works, no MIME sniffing, a careful referrer, no framing by
other sites. IIIF and the JSON API keep their CORS headers."""

from __future__ import annotations

import re

import pytest

from repository.models import RecordStatus
from repository.security import InlineScriptNonces

SAME_EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive → sources."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_protected(response) -> None:
    for name, value in SAME_EVERYWHERE.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.path}"
    directives = policy(response)
    assert directives["frame-ancestors"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]


@pytest.fixture
def published(make_collection, make_record):
    return make_record(make_collection(), status=RecordStatus.PUBLISHED, images=1)


def test_pages_carry_the_policy_and_its_companions(client, published):
    for url in ("/", "/login", f"/records/{published.public_id}", "/search?q=人参"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_protected(response)


def test_error_pages_and_static_files_carry_them_too(client):
    missing = client.get("/records/nothing-here")
    assert missing.status_code == 404
    assert_protected(missing)
    assert_protected(client.get("/static/huiku.css"))


def test_the_json_api_carries_them_and_keeps_its_cors(client, published):
    for url in ("/api/openapi.json", "/api/search?q=人参", f"/records/{published.public_id}.json"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.is_json, url
        assert_protected(response)
    assert client.get("/api/openapi.json").headers["Access-Control-Allow-Origin"] == "*"


def test_iiif_responses_carry_them_and_keep_their_cors(client, published):
    asset = published.assets[0].public_id
    urls = (
        f"/iiif/3/manifests/{published.public_id}",
        f"/iiif/image/3/{asset}/info.json",
        f"/iiif/image/3/{asset}/full/max/0/default.jpg",
        "/iiif/3/collections/top",
    )
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert_protected(response)


def test_the_policy_allows_scripts_from_huiku_only(client):
    scripts = policy(client.get("/"))["script-src"]
    assert scripts[0] == "'self'"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "https:", "*"} & set(scripts)
    assert policy(client.get("/"))["object-src"] == ["'none'"]


def test_the_viewer_may_load_iiif_images_and_manifests_from_other_servers(client):
    directives = policy(client.get("/"))
    assert {"'self'", "https:"} <= set(directives["img-src"])
    assert {"'self'", "https:"} <= set(directives["connect-src"])
    # Mirador's components write their own style elements.
    assert {"'self'", "'unsafe-inline'"} <= set(directives["style-src"])


def test_an_inline_script_in_a_template_carries_the_nonce_the_policy_names(app):
    template = "<p>{{ text }}</p><script>start()</script><script src='/static/suggest.js'></script>"
    with app.test_request_context("/"):
        html = app.jinja_env.from_string(template).render(text="<script>evil()</script>")
        response = app.process_response(app.make_response(html))
    nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])[1]
    assert f'<script nonce="{nonce}">start()</script>' in html
    assert "<script src='/static/suggest.js'>" in html  # Huiku's own files need none
    assert "&lt;script&gt;evil()" in html  # markup from data is escaped and never gets it


def test_each_response_has_its_own_nonce(app):
    nonces = set()
    for _ in range(2):
        with app.test_request_context("/"):
            html = app.jinja_env.from_string("<script>start()</script>").render()
            nonces.add(re.search(r'nonce="([^"]+)"', html)[1])
    assert len(nonces) == 2


def test_a_page_without_inline_scripts_names_no_nonce(client):
    assert "'nonce-" not in client.get("/").headers["Content-Security-Policy"]


def test_every_inline_script_of_the_templates_runs_under_the_policy(app):
    extension = InlineScriptNonces(app.jinja_env)
    for name in app.jinja_env.list_templates(extensions=["html"]):
        source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, name)
        prepared = extension.preprocess(source, name)
        for tag in re.findall(r"<script\b[^>]*>", prepared, re.IGNORECASE):
            assert "src=" in tag or "nonce=" in tag, f"{name}: {tag}"
