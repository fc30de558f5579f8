"""Smoke tests for the live services that scripts/test starts.

They use no application code: when these fail, the problem is the service set-up.
"""

import uuid

import pytest

from tests.conftest import service_url


def _service_url(env_var: str, service: str) -> str:
    url = service_url(env_var, service)
    if not url:
        pytest.skip(f"{service} is not available: {env_var} is not set (scripts/test sets it)")
    return url


@pytest.mark.elasticsearch
def test_elasticsearch_indexes_and_finds_chinese_text():
    url = _service_url("HUIKU_TEST_ELASTICSEARCH_URL", "Elasticsearch")
    from elasticsearch import Elasticsearch

    es = Elasticsearch(url, request_timeout=30)
    index = f"huiku-smoke-{uuid.uuid4().hex[:12]}"
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {
                "kind": {"type": "keyword"},
                "title": {"type": "text", "analyzer": "standard"},
            }
        },
    )
    try:
        es.index(index=index, id="ginseng", document={"kind": "herb", "title": "长白山人参"})
        es.index(index=index, id="lake", document={"kind": "place", "title": "长白山天池"})
        es.indices.refresh(index=index)

        def search(kind):
            return es.search(
                index=index,
                query={
                    "bool": {
                        "must": [{"match": {"title": "人参"}}],
                        "filter": [{"term": {"kind": kind}}],
                    }
                },
            )["hits"]["hits"]

        hits = search("herb")
        assert [hit["_id"] for hit in hits] == ["ginseng"]
        assert hits[0]["_source"]["title"] == "长白山人参"
        assert search("place") == []
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)
        es.close()


@pytest.mark.postgres
def test_postgres_round_trips_chinese_text():
    url = _service_url("HUIKU_TEST_DATABASE_URL", "PostgreSQL")
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE TEMPORARY TABLE huiku_smoke (id serial PRIMARY KEY, title text)")
            )
            conn.execute(
                sa.text("INSERT INTO huiku_smoke (title) VALUES (:title)"), {"title": "长白山人参"}
            )
            title = conn.execute(
                sa.text("SELECT title FROM huiku_smoke WHERE title LIKE :pattern"),
                {"pattern": "%人参%"},
            ).scalar_one()
            encoding = conn.execute(sa.text("SHOW server_encoding")).scalar_one()
        assert title == "长白山人参"
        assert encoding == "UTF8"
    finally:
        engine.dispose()
