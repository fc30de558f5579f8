"""Text responses are compressed for clients that accept it; images and tiny bodies are not."""

import gzip
import re

import pytest

from repository import compression


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


GZIP = {"Accept-Encoding": "gzip, deflate"}
#: Each response has a script nonce of its own (repository/security.py).
NONCE = re.compile(rb'nonce="[^"]+"')


def without_nonces(body: bytes) -> bytes:
    return NONCE.sub(b'nonce=""', body)


def assert_gzipped_as_identity(client, url):
    plain = client.get(url)
    packed = client.get(url, headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert without_nonces(gzip.decompress(packed.data)) == without_nonces(plain.data)
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    return plain, packed


def test_html_pages_are_gzipped(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    assert_gzipped_as_identity(client, "/")
    assert_gzipped_as_identity(client, f"/records/{record.public_id}")


def test_json_and_iiif_json_are_gzipped(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    assert_gzipped_as_identity(client, f"/records/{record.public_id}.json")
    assert_gzipped_as_identity(client, f"/iiif/3/manifests/{record.public_id}")


def test_static_files_are_gzipped_and_304_still_works(client):
    _plain, packed = assert_gzipped_as_identity(client, "/static/huiku.css")
    assert packed.headers["ETag"].startswith('W/"')
    again = client.get(
        "/static/huiku.css", headers={**GZIP, "If-None-Match": packed.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == packed.headers["ETag"]
    assert "Accept-Encoding" in again.headers["Vary"]
    # Served again from the per-process cache: the same bytes.
    assert client.get("/static/huiku.css", headers=GZIP).data == packed.data


def test_range_requests_get_identity_bytes(client):
    whole = client.get("/static/huiku.css").data
    part = client.get("/static/huiku.css", headers={**GZIP, "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.data == whole[:100]


def test_images_are_not_compressed(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    response = client.get(f"/assets/{record.assets[0].public_id}/thumb-200.jpg", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.data[:3] == b"\xff\xd8\xff"


def test_tiny_bodies_and_refusing_clients_get_identity(app, client):
    with app.test_request_context(headers=GZIP):
        from flask import Response

        tiny = compression.compress_response(Response("ok", mimetype="text/plain"))
        assert "Content-Encoding" not in tiny.headers
    refused = client.get("/static/huiku.css", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    identity = client.get("/static/huiku.css", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers
