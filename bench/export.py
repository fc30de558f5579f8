"""Exports at scale: peak memory and time of a streamed export of 10,000 and 100,000 records.

Loads two ``natural_history`` collections (10,000 and 100,000 published records with full
metadata) into a PostgreSQL database of its own with COPY, then exports each through the app's
HTTP interface (``GET /collections/<slug>/export.<format>``, read as a stream and thrown away),
each export in a fresh process, and reports the process's peak RSS (``ru_maxrss``) before and
after the export, the time and the size of the file. Memory is flat when the 100,000-record
export peaks no higher than the 10,000-record one, give or take a few megabytes.

    python bench/export.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench_export

The database is emptied first: give it one of its own. The streaming limit is raised for the
run, so the export streams rather than becoming a task.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"ten-k": 10_000, "hundred-k": 100_000}
FORMATS = ("csv", "xlsx", "jsonl", "xml")
GOAL_GROWTH_MB = 20.0  # the 100k export may peak at most this much above the 10k one
TAXA = ["红豆杉", "松茸", "人参", "红松", "美人松", "紫貂", "东北虎", "五味子", "刺五加", "天麻"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HUIKU_BENCH_DATABASE_URL"))
    parser.add_argument("--skip-load", action="store_true", help="the database is loaded already")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/export.json")
    parser.add_argument("--measure", nargs=2, metavar=("SLUG", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or HUIKU_BENCH_DATABASE_URL is needed")
    return args


def _app(args: argparse.Namespace, instance: Path):
    sys.path.insert(0, str(ROOT))
    os.environ["HUIKU_DATABASE_URL"] = args.database_url
    os.environ["HUIKU_INSTANCE_PATH"] = str(instance)
    from repository.app import create_app

    return create_app({"EXPORT_STREAM_MAX": 10_000_000, "SERVER_NAME": "bench.huiku.test"})


def _metadata(rng: random.Random, n: int) -> dict:
    name = rng.choice(TAXA)
    return {
        "local_id": f"B{n}",
        "title": f"{name} {n}",
        "scientific_name": "Panax ginseng C. A. Mey.",
        "kingdom": "植物",
        "family": "五加科 Araliaceae",
        "aliases": ["棒槌", "山参"],
        "habitat": "生于海拔 500-1100 米的针阔混交林或杂木林下。" * 3,
        "distribution": "吉林长白山区；黑龙江、辽宁东部。",
        "elevation_m": "500-1100",
        "locality": "长白山北坡",
        "latitude": 42.05,
        "longitude": 128.06,
        "photographer": ["王小明"],
        "date": "2011-06-18",
        "protection_level": "国家一级",
        "description": f"第 {n} 号记录。=SUM(1,2) 这样的值会被中和。",
        "rights": "https://creativecommons.org/licenses/by-nc/4.0/",
    }


def load(args: argparse.Namespace, instance: Path) -> float:
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy import text

    from repository.extensions import db
    from repository.models import Collection, Library

    app = _app(args, instance)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        library = Library(code="BENCH", name_zh="基准图书馆", name_en="Bench Library")
        db.session.add(library)
        collections = {
            slug: Collection(slug=slug, profile_name="natural_history", title_zh=slug)
            for slug in SIZES
        }
        db.session.add_all(collections.values())
        db.session.commit()
        ids = {slug: c.id for slug, c in collections.items()}
        library_id = library.id
    rng = random.Random(7)
    started = time.perf_counter()
    raw_url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    columns = (
        "id, public_id, collection_id, library_id, local_id, status, metadata, title, "
        "title_sort, review_comment, created_at, updated_at, published_at"
    )
    stamp = "2026-01-01T00:00:00+00"
    with psycopg.connect(raw_url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY record ({columns}) FROM STDIN") as copy:
            n = 0
            for slug, size in SIZES.items():
                for _ in range(size):
                    n += 1
                    meta = _metadata(rng, n)
                    copy.write_row(
                        (n, f"b{n:010d}", ids[slug], library_id, meta["local_id"], "published",
                         json.dumps(meta, ensure_ascii=False), meta["title"], meta["title"], "",
                         stamp, stamp, stamp)
                    )  # fmt: skip
        cursor.execute("SELECT setval('record_id_seq', %s)", (n,))
        connection.commit()
    with psycopg.connect(raw_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_one(args: argparse.Namespace, instance: Path, slug: str, fmt: str) -> dict:
    """In this (fresh) process: one export, streamed and discarded."""
    app = _app(args, instance)
    client = app.test_client()
    client.get("/")  # imports, templates, connections: everything but the export itself
    before = _peak_mb()
    started = time.perf_counter()
    response = client.get(f"/collections/{slug}/export.{fmt}", buffered=False)
    assert response.status_code == 200, response.status_code
    size = chunks = 0
    for chunk in response.response:
        size += len(chunk)
        chunks += 1
    response.close()
    return {
        "records": SIZES[slug],
        "format": fmt,
        "seconds": round(time.perf_counter() - started, 2),
        "bytes": size,
        "chunks": chunks,
        "peak_rss_before_mb": round(before, 1),
        "peak_rss_after_mb": round(_peak_mb(), 1),
    }


def main() -> None:
    args = arguments()
    instance = Path(os.environ.get("HUIKU_BENCH_INSTANCE") or tempfile.mkdtemp(prefix="bench-"))
    if args.measure:
        print(json.dumps(measure_one(args, instance, *args.measure)))
        return
    load_s = None if args.skip_load else round(load(args, instance), 1)
    runs = []
    for fmt in FORMATS:
        for slug in SIZES:
            output = subprocess.run(
                [sys.executable, __file__, "--database-url", args.database_url,
                 "--measure", slug, fmt],
                check=True, capture_output=True, text=True,
                env={**os.environ, "HUIKU_BENCH_INSTANCE": str(instance)},
            ).stdout  # fmt: skip
            runs.append(json.loads(output.strip().splitlines()[-1]))
    print(f"{'format':6} {'records':>8} {'seconds':>8} {'MB':>7} {'peak before':>12} {'after':>7}")
    for run in runs:
        print(
            f"{run['format']:6} {run['records']:>8,} {run['seconds']:>8} "
            f"{run['bytes'] / 2**20:>7.1f} {run['peak_rss_before_mb']:>12} "
            f"{run['peak_rss_after_mb']:>7}"
        )
    goals = {}
    for fmt in FORMATS:
        small, large = (
            next(r for r in runs if r["format"] == fmt and r["records"] == n)
            for n in SIZES.values()
        )
        growth = large["peak_rss_after_mb"] - small["peak_rss_after_mb"]
        goals[f"{fmt}_flat_memory"] = {
            "growth_mb_10k_to_100k": round(growth, 1),
            "goal_mb": GOAL_GROWTH_MB,
            "met": growth <= GOAL_GROWTH_MB,
        }
    print(json.dumps(goals, indent=2))
    result = {
        "benchmark": "export",
        "load_seconds": load_s,
        "runs": runs,
        "goals": goals,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
