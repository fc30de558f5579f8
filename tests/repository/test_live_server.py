"""The live server that external clients (validators, harvesters, browsers) talk to."""

from urllib.request import urlopen

from repository.services.collections import create_collection


def test_serves_pages_over_http_with_data_written_through_the_services(live_server):
    with live_server.context():
        create_collection("live-herbarium", "natural_history", "实况标本库", "Live herbarium")

    with urlopen(f"{live_server.url}/collections/live-herbarium") as response:
        assert response.status == 200
        assert "实况标本库" in response.read().decode()
