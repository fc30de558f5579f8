"""Input no endpoint can use gets a clear 4xx, never a 500: NUL and lone surrogates in paths,
JSON bodies, query strings and forms (held to PostgreSQL, where these once failed).

Routes are enumerated from the app's URL map, so a route added later is covered without a
change here.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from repository.extensions import db
from repository.http_guards import MAX_JSON_DEPTH, has_unstorable_characters
from repository.models import Record, RecordStatus
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD
from tests.ingest.api_client import issue_token

NUL = "a\x00b"
SAMPLE = {
    "local_id": "HOSTILE-1",
    "title": "人参",
    "scientific_name": "Panax ginseng",
    "kingdom": "植物",
}


@pytest.fixture
def collection(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def browser(login, admin, app):
    """Signed in as an administrator and carrying an API token, so no route stops at the door."""
    signed_in = login(admin)
    signed_in.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(admin)}"
    return signed_in


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def urls_with(app: Flask, value: str) -> list[tuple[Rule, str]]:
    """Every route with a variable, built with ``value`` in each text variable."""
    adapter = app.url_map.bind("huiku.test")
    built = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static":
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters.get(name)
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = value
        if all(v != value for v in values.values()):
            continue  # no text variable to carry the value
        built.append((rule, adapter.build(rule.endpoint, values)))
    return built


# --- paths -------------------------------------------------------------------------------------


def test_a_nul_in_any_path_variable_is_never_a_server_error(app, browser, collection):
    routes = urls_with(app, NUL)
    assert len(routes) >= 15, [rule.rule for rule, _ in routes]
    answers = {}
    for rule, url in routes:
        assert "%00" in url
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answers[f"{method} {rule.rule}"] = browser.open(url, method=method).status_code
    errors = {route: status for route, status in answers.items() if status >= 500}
    assert errors == {}
    assert {status for route, status in answers.items() if route.startswith("GET")} == {404}


@pytest.mark.parametrize(
    "url",
    [
        "/records/a%00b",
        "/records/a%00b.json",
        "/collections/a%00b",
        "/iiif/3/manifests/a%00b",
        "/iiif/3/collections/a%00b",
        "/assets/a%00b/thumb-200.jpg",
        "/imports/a%00b",
        "/workspace/records/a%00b/edit",
    ],
)
def test_named_pages_with_a_nul_are_not_found(browser, collection, url):
    assert browser.get(url).status_code == 404


def test_the_api_answers_a_nul_in_a_path_with_its_own_404(browser, collection):
    for method, url in [
        ("GET", "/api/records/a%00b"),
        ("PUT", "/api/records/a%00b"),
        ("POST", "/api/collections/a%00b/records"),
        ("GET", "/api/imports/a%00b"),
    ]:
        response = browser.open(url, method=method, json={"metadata": SAMPLE})
        assert response.status_code == 404, (method, url)
        assert response.is_json and set(response.get_json()) >= {"error", "message"}


def test_a_nul_in_a_path_is_404_even_without_a_token(client, collection):
    response = client.get("/api/records/a%00b")
    assert response.status_code == 404 and response.is_json


def test_lone_surrogates_and_nul_are_what_cannot_be_stored():
    assert has_unstorable_characters("a\x00b")
    assert has_unstorable_characters("a\ud800b") and has_unstorable_characters("\udfff")
    assert not has_unstorable_characters("長白山 🌲 \u3000 \x07")


# --- JSON bodies -------------------------------------------------------------------------------

DEEP_LIST = '{"metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
HOSTILE_BODIES = {
    "surrogate in a value": '{"metadata": {"local_id": "X-1", "title": "\\ud800"}}',
    "surrogate in a key": '{"metadata": {"\\udfff": "x", "local_id": "X-1"}}',
    "surrogate in a top-level key": '{"\\ud800": 1}',
    "surrogate in a list": '{"metadata": {"aliases": ["ok", "\\ud800x"]}}',
    "nested 100,000 deep in a list": DEEP_LIST,
    "nested 100,000 deep in objects": DEEP_OBJECT,
    f"nested {MAX_JSON_DEPTH + 1} deep": '{"metadata": '
    + "[" * MAX_JSON_DEPTH
    + "]" * MAX_JSON_DEPTH
    + "}",
}


@pytest.fixture
def draft(make_record, collection, admin) -> Record:
    return make_record(collection, admin, status=RecordStatus.DRAFT, local_id="HOSTILE-0")


@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
def test_hostile_json_is_400_in_the_apis_error_shape(browser, draft, body):
    before = dict(draft.metadata_)
    for method, url in [
        ("POST", "/api/collections/changbaishan/records"),
        ("PUT", f"/api/records/{draft.public_id}"),
        ("PATCH", f"/api/records/{draft.public_id}"),
        ("POST", f"/api/records/{draft.public_id}/submit"),
    ]:
        response = browser.open(url, method=method, data=body, content_type="application/json")
        assert response.status_code == 400, (method, url)
        document = response.get_json()
        assert set(document) == {"error", "message"}
        assert ("surrogate" in document["error"]) or ("nested" in document["error"])
        assert ("代理项" in document["message"]) or ("嵌套" in document["message"])
    assert db.session.scalar(select(func.count(Record.id))) == 1
    assert db.session.get(Record, draft.id).metadata_ == before
    assert db.session.get(Record, draft.id).status is RecordStatus.DRAFT


def test_a_surrogate_is_named_by_its_path(browser, draft):
    response = browser.put(
        f"/api/records/{draft.public_id}",
        data='{"metadata": {"aliases": ["ok", "\\ud800"]}}',
        content_type="application/json",
    )
    assert "metadata.aliases[1]" in response.get_json()["error"]


def test_json_within_the_depth_limit_and_with_real_pairs_is_taken(browser, collection):
    body = {"metadata": {**SAMPLE, "title": "人参 \U0001f33f", "aliases": ["棒槌"]}}
    escaped = json.dumps(body, ensure_ascii=True)  # the plant as the pair \ud83c\udf3f
    assert "\\ud83c\\udf3f" in escaped
    response = browser.post(
        "/api/collections/changbaishan/records", data=escaped, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.get_json()["metadata"]["title"] == "人参 \U0001f33f"


def test_a_nul_in_a_json_text_is_a_validation_error_or_refused(browser, draft):
    metadata = {**SAMPLE, "title": "人\x00参"}
    response = browser.put(f"/api/records/{draft.public_id}", json={"metadata": metadata})
    assert response.status_code == 422
    assert "U+0000" in response.get_json()["errors"]["metadata.title"][0]["en"]
    comment = browser.post(f"/api/records/{draft.public_id}/submit", json={"comment": "a\x00b"})
    assert comment.status_code < 500
    if on_postgresql():
        assert comment.status_code == 400
        assert "cannot be stored" in comment.get_json()["error"]
        assert db.session.get(Record, draft.id).status is RecordStatus.DRAFT


def test_malformed_json_is_still_refused_as_before(browser, draft):
    response = browser.put(
        f"/api/records/{draft.public_id}", data="{not json", content_type="application/json"
    )
    assert response.status_code == 422 and "body" in response.get_json()["errors"]


# --- query strings and forms -------------------------------------------------------------------

QUERIES = [
    "q=%00&page=%00&status=%00&lang=%00&next=%00&collection=%00&f=%00&from=%00&to=%00&sort=%00",
    "q=%ED%A0%80&f=kingdom:%ED%A0%80&next=%ED%A0%80&lang=%ED%A0%80",
    "q=%FF%FE%00&page=99999999999999999999&from=-99999999999999999999&f=kingdom:%00",
]


def test_query_strings_with_nul_or_surrogate_bytes_are_never_a_server_error(
    app, browser, make_record, collection
):
    record = make_record(collection)
    pages = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    pages = [page for page in pages if "<" not in page]
    pages += [
        f"/records/{record.public_id}",
        f"/iiif/3/manifests/{record.public_id}",
        "/collections/changbaishan",
        "/iiif/3/collections/changbaishan",
    ]
    errors = {}
    for page in pages:
        for query in QUERIES:
            status = browser.get(f"{page}?{query}").status_code
            if status >= 500:
                errors[f"{page}?{query}"] = status
    assert errors == {}
    assert browser.get("/search?q=%00").status_code == 200
    assert browser.get("/api/search?q=%ED%A0%80").status_code == 200


def test_a_nul_in_the_sign_in_form_is_refused_not_a_server_error(app, admin):
    browser = app.test_client()
    token = csrf_token_from(browser, "/login")
    response = browser.post(
        "/login", data={"csrf_token": token, "email": admin.email + "\x00", "password": PASSWORD}
    )
    assert response.status_code in (200, 400, 422)  # not signed in (302), and no 500
    if on_postgresql():
        assert response.status_code == 400
        assert "cannot be stored" in response.get_data(as_text=True) or "无法保存" in (
            response.get_data(as_text=True)
        )


def test_a_nul_in_a_review_comment_is_refused_and_the_step_not_taken(login, draft, admin):
    browser = login(admin)
    token = csrf_token_from(browser, f"/records/{draft.public_id}")
    response = browser.post(
        f"/workspace/records/{draft.public_id}/submit",
        data={"csrf_token": token, "comment": "请审核\x00"},
    )
    assert response.status_code < 500
    if on_postgresql():
        assert response.status_code == 400
        assert db.session.get(Record, draft.id).status is RecordStatus.DRAFT


def test_a_nul_typed_into_the_record_form_is_named_on_the_form(login, collection, admin):
    browser = login(admin)
    url = "/workspace/collections/changbaishan/records/new"
    token = csrf_token_from(browser, url)
    response = browser.post(url, data={"csrf_token": token, **SAMPLE, "title": "人\x00参"})
    assert response.status_code == 422
    assert "U+0000" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Record.id))) == 0
