"""Relevance benchmark: recall@5 and nDCG@10 per query class, per backend, against a baseline.

    python bench/relevance.py [--generated 2000] [--elasticsearch URL] [--output PATH]

The corpus and the judged queries are bench/relevance_corpus.py's. Each query runs four ways:
Huiku's search (search.service.forgiving_search: folding, pinyin, synonyms, the near-miss
fallback) on the embedded backend and on Elasticsearch, and a baseline on each engine: the same
engine with a plain match on the raw text (title, other names and text as catalogued; FTS5's
default ``unicode61`` tokenizer with the query's words ORed, Elasticsearch's ``match`` with the
``standard`` analyzer), ranked by BM25. It prints a table and writes bench/results/relevance.json
with the figures and the judged set.

recall@5: of the records a query names (gain 2), the share in the first five, out of at most
five. nDCG@10: graded gains 2 and 1, (2^gain − 1) / log2(rank + 1), over the ideal order.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from elasticsearch import Elasticsearch, helpers  # noqa: E402

from bench.relevance_corpus import CLASSES, Judged, corpus, documents, judged_queries  # noqa: E402
from search.backends.elasticsearch import ElasticsearchBackend  # noqa: E402
from search.backends.embedded import EmbeddedBackend  # noqa: E402
from search.query import SearchRequest  # noqa: E402
from search.service import forgiving_search  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "relevance.json"
AGREEMENT_POINTS = 10.0
Ranker = Callable[[str], list[str]]


def _record_maker() -> Any:
    """bench/search.py's generator of synthetic natural-history records."""
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.RecordMaker(module.SEED)


def huiku_ranker(backend: Any) -> Ranker:
    def rank(query: str) -> list[str]:
        request = SearchRequest(text=query, per_page=10, facet_size=0)
        return [hit.id for hit in forgiving_search(backend, request).result.hits]

    return rank


def _raw_text(document: dict[str, Any]) -> str:
    display = document["display"]
    return "\n".join([display["title"], *display["names"], *display["text"]])


def fts_baseline(docs: list[dict[str, Any]]) -> Ranker:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE raw USING fts5(id UNINDEXED, text)")
    connection.executemany(
        "INSERT INTO raw (id, text) VALUES (?, ?)", [(d["id"], _raw_text(d)) for d in docs]
    )

    def rank(query: str) -> list[str]:
        words = re.findall(r"\w+", query)
        if not words:
            return []
        match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        rows = connection.execute(
            "SELECT id FROM raw WHERE raw MATCH ? ORDER BY bm25(raw) LIMIT 10", (match,)
        )
        return [row[0] for row in rows]

    return rank


def es_baseline(client: Elasticsearch, index: str, docs: list[dict[str, Any]]) -> Ranker:
    client.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"text": {"type": "text", "analyzer": "standard"}}},
    )
    helpers.bulk(
        client,
        ({"_index": index, "_id": d["id"], "text": _raw_text(d)} for d in docs),
        refresh=True,
    )

    def rank(query: str) -> list[str]:
        body = {"query": {"match": {"text": query}}, "size": 10, "_source": False}
        return [hit["_id"] for hit in client.search(index=index, body=body)["hits"]["hits"]]

    return rank


def recall_at_5(ranked: list[str], gains: dict[str, int]) -> float:
    named = {key for key, gain in gains.items() if gain == 2}
    if not named:
        return 1.0
    return len(named & set(ranked[:5])) / min(len(named), 5)


def ndcg_at_10(ranked: list[str], gains: dict[str, int]) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(values[:10]))

    ideal = dcg(sorted(gains.values(), reverse=True))
    return dcg([gains.get(key, 0) for key in ranked]) / ideal if ideal else 1.0


def evaluate(rank: Ranker, judged: list[Judged]) -> dict[str, Any]:
    per_class: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    misses = []
    for kind in CLASSES:
        queries = [j for j in judged if j.kind == kind]
        recalls, ndcgs = [], []
        for j in queries:
            ranked = rank(j.query)
            recalls.append(recall_at_5(ranked, j.gains))
            ndcgs.append(ndcg_at_10(ranked, j.gains))
            if recalls[-1] < 1:
                misses.append(f"{kind}: {j.query}")
        per_class[kind] = {
            "queries": len(queries),
            "recall_at_5": round(100 * sum(recalls) / max(len(recalls), 1), 1),
            "ndcg_at_10": round(100 * sum(ndcgs) / max(len(ndcgs), 1), 1),
        }
    return {
        "classes": per_class,
        "seconds": round(time.perf_counter() - started, 2),
        "missed": misses,
    }


def table(systems: dict[str, dict[str, Any]]) -> str:
    names = list(systems)
    lines = ["recall@5 / nDCG@10 (%)", "class".ljust(13) + "".join(n.rjust(24) for n in names)]
    for kind in CLASSES:
        cells = []
        for name in names:
            figures = systems[name]["classes"][kind]
            cells.append(f"{figures['recall_at_5']:5.1f} / {figures['ndcg_at_10']:5.1f}".rjust(24))
        lines.append(kind.ljust(13) + "".join(cells))
    return "\n".join(lines)


def agreement(systems: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per class, how far Huiku's two backends are apart (goal: within 10 points)."""
    rows = []
    for kind in CLASSES:
        a = systems["huiku_embedded"]["classes"][kind]
        b = systems["huiku_elasticsearch"]["classes"][kind]
        gap = max(abs(a[m] - b[m]) for m in ("recall_at_5", "ndcg_at_10"))
        rows.append({"class": kind, "gap_points": round(gap, 1), "within": gap <= AGREEMENT_POINTS})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generated", type=int, default=2000, help="synthetic records (2000)")
    parser.add_argument("--elasticsearch", default="http://127.0.0.1:9250")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    maker = _record_maker()
    entries = corpus(args.generated, maker.metadata)
    docs = list(documents(entries))
    judged = judged_queries(entries)
    suffix = uuid.uuid4().hex[:8]
    client = Elasticsearch(args.elasticsearch, request_timeout=60)
    es = ElasticsearchBackend(args.elasticsearch, index=f"huiku-relevance-{suffix}", timeout=30)
    baseline_index = f"huiku-relevance-baseline-{suffix}"
    systems: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        embedded = EmbeddedBackend(Path(folder) / "relevance.sqlite3")
        try:
            for backend in (embedded, es):
                backend.ensure_index()
                backend.apply(docs, refresh=True)
            systems["huiku_embedded"] = evaluate(huiku_ranker(embedded), judged)
            systems["huiku_elasticsearch"] = evaluate(huiku_ranker(es), judged)
            systems["baseline_embedded"] = evaluate(fts_baseline(docs), judged)
            systems["baseline_elasticsearch"] = evaluate(
                es_baseline(client, baseline_index, docs), judged
            )
        finally:
            es.drop()
            client.indices.delete(index=baseline_index, ignore_unavailable=True)
    report = {
        "benchmark": "relevance",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "corpus": {"demo": sum(e.demo for e in entries), "generated": args.generated},
        "systems": systems,
        "agreement": agreement(systems),
        "judged": [{"class": j.kind, "query": j.query, "gains": j.gains} for j in judged],
    }
    print(table(systems))
    for row in report["agreement"]:
        print(f"  {row['class']:<13} backends {row['gap_points']:4.1f} points apart")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    print(f"written to {args.output}")
    return 0 if all(row["within"] for row in report["agreement"]) else 1


if __name__ == "__main__":
    sys.exit(main())
