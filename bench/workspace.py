"""The workspace at scale: 100,000 records of one library, and a bulk publish of 10,000.

Loads the records with COPY into a PostgreSQL database of its own (as ``bench/browse.py`` does),
then, in one process through the Flask app (a signed-in test client: routing, the session,
the query, the template; no network), measures p50/p95 of the workspace's first page, its last
page, the page after the first, a text search with a status filter and a collection+date
filter. The peer, measured in the same run, is the first page's bare SQL (the newest 50 rows of
the library off the index), the floor any page can reach. Then a reviewer publishes 10,000
submitted records as one bulk job (the task run in this process, as a worker would) with
Elasticsearch as the search engine, and the bench times the job and how long until a search
of the collection finds all 10,000.

    python bench/workspace.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench_ws \
        --elasticsearch-url http://127.0.0.1:9251

The database is emptied first: give it one of its own. ``--reuse`` measures the records a
previous run loaded (after migrating the schema to the newest revision), ``--pages-only`` leaves
out the bulk publish, and ``--change`` names what the run measures; each run is appended to the
results file's ``runs``, so a change is read against the runs before it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_P95_MS = 150.0
NAMES = ["红豆杉", "松茸", "人参", "红松", "紫貂", "东北虎", "五味子", "刺五加", "天麻", "木耳"]
QUALIFIERS = ["东北", "长白", "大叶", "小叶", "野", "黄", "红", "白"]
PASSWORD = "bench-password-42"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HUIKU_BENCH_DATABASE_URL"))
    parser.add_argument("--elasticsearch-url", default=os.environ.get("HUIKU_BENCH_ES_URL"))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--bulk", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60, help="per URL, after 5 warm-ups")
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/workspace.json")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the records a previous run loaded"
    )
    parser.add_argument("--pages-only", action="store_true", help="no bulk publish")
    parser.add_argument("--change", default="", help="what this run measures, for the results")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or HUIKU_BENCH_DATABASE_URL is needed")
    return args


def setup(args: argparse.Namespace, instance: Path):
    sys.path.insert(0, str(args.checkout))
    os.environ["HUIKU_DATABASE_URL"] = args.database_url
    os.environ["HUIKU_INSTANCE_PATH"] = str(instance)
    if args.elasticsearch_url:
        os.environ["HUIKU_ELASTICSEARCH_URL"] = args.elasticsearch_url
        os.environ["HUIKU_ELASTICSEARCH_INDEX"] = f"huiku-bench-ws-{uuid.uuid4().hex[:8]}"
    from repository.app import create_app

    app = create_app(
        {"TASKS_IMMEDIATE": True, "WTF_CSRF_ENABLED": False, "SERVER_NAME": "bench.test"}
    )
    return app


def load(app, args: argparse.Namespace) -> dict[str, object]:
    """Schema by the migrations; a library with people; records by COPY."""
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy import text

    from repository.chinese import pinyin_sort_key
    from repository.extensions import db
    from repository.models import Collection
    from repository.services import accounts, record_counts

    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        home = accounts.create_library("BENCH-A", "测试馆甲", "Bench A")
        other = accounts.create_library("BENCH-B", "测试馆乙", "Bench B")
        collections = [
            Collection(slug=slug, profile_name="natural_history", title_zh=slug, title_en=slug)
            for slug in ("plants", "animals", "fungi", "bulk")
        ]
        db.session.add_all(collections)
        db.session.commit()
        cataloguer = accounts.create_user("cat@bench.test", home, "contributor", PASSWORD)
        colleague = accounts.create_user("col@bench.test", home, "contributor", PASSWORD)
        reviewer = accounts.create_user(
            "rev@bench.test", other, "reviewer", PASSWORD, reviews=[collections[3]]
        )
        ids = {
            "home": home.id,
            "other": other.id,
            "collections": [c.id for c in collections],
            "people": [cataloguer.id, colleague.id],
            "reviewer": reviewer.id,
        }
    rng = random.Random(7)
    titles = [q + n for q in QUALIFIERS for n in NAMES]
    sort_keys = {t: pinyin_sort_key(t) for t in titles}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    raw_url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    started = time.perf_counter()
    total = args.records + args.bulk + 20_000
    with psycopg.connect(raw_url) as connection, connection.cursor() as cursor:
        columns = (
            "id, public_id, collection_id, library_id, local_id, status, metadata, title, "
            "title_sort, review_comment, created_at, updated_at, published_at, created_by_id"
        )
        with cursor.copy(f"COPY record ({columns}) FROM STDIN") as copy:
            for n in range(1, total + 1):
                if n <= args.records:  # the measured library's own records
                    library, collection = ids["home"], ids["collections"][n % 3]
                    roll = rng.random()
                    status = "published" if roll < 0.5 else "draft" if roll < 0.9 else "submitted"
                elif n <= args.records + args.bulk:  # submitted, for the bulk publish
                    library, collection, status = ids["home"], ids["collections"][3], "submitted"
                else:  # another library's, which the workspace never shows
                    library, collection, status = ids["other"], ids["collections"][n % 3], "draft"
                name = rng.choice(titles)
                title = f"{name} {n}"
                stamp = (start + timedelta(seconds=n * 97 % 31_000_000)).isoformat()
                metadata = {"title": title, "kingdom": "植物", "local_id": f"W{n}"}
                copy.write_row(
                    (
                        n,
                        f"w{n:09d}",
                        collection,
                        library,
                        f"W{n}",
                        status,
                        json.dumps(metadata, ensure_ascii=False),
                        title,
                        f"{sort_keys[name]} {n:08d}",
                        "",
                        stamp,
                        stamp,
                        stamp if status == "published" else None,
                        ids["people"][n % 2] if library == ids["home"] else None,
                    )
                )
        cursor.execute("SELECT setval('record_id_seq', %s)", (total,))
        cursor.execute(
            "INSERT INTO record_revision (record_id, number, action, user_id, created_at, "
            "status_before, status_after, metadata_after, assets_after, comment) "
            "SELECT id, 1, 'create', created_by_id, created_at, NULL, status, metadata, "
            "'[]'::jsonb, '' FROM record"
        )
        connection.commit()
        cursor.execute("ANALYZE")
    with app.app_context():  # the kept counts, as the ORM would have them after each insert
        record_counts.recount()
        db.session.commit()
    return {**ids, "copy_s": round(time.perf_counter() - started, 1)}


def reloaded(app) -> dict[str, object]:
    """The ids of a previous run's load (``--reuse``), its records untouched and its schema
    brought to the newest migration (an index added since is built on the loaded records)."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from repository.extensions import db
    from repository.models import Collection, Library, User

    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        libraries = {lib.code: lib.id for lib in db.session.scalars(select(Library))}
        people = db.session.scalars(select(User).order_by(User.id)).all()
        collections = db.session.scalars(select(Collection.id).order_by(Collection.id)).all()
        ids = {
            "home": libraries["BENCH-A"],
            "other": libraries["BENCH-B"],
            "collections": list(collections),
            "people": [p.id for p in people if p.library_id == libraries["BENCH-A"]],
            "reviewer": next(p.id for p in people if p.email == "rev@bench.test"),
            "copy_s": 0.0,
        }
        db.session.remove()
    return ids


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def show(name: str, figures: dict[str, float]) -> None:
    print(f"{name:34} p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms")


def measure_pages(app, args: argparse.Namespace, ids: dict) -> dict[str, dict[str, float]]:
    import re

    from sqlalchemy import text

    from repository.extensions import db

    client = app.test_client()
    answer = client.post("/login", data={"email": "cat@bench.test", "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    first = client.get("/workspace/").get_data(as_text=True)
    after = re.search(r'href="/workspace/\?after=([0-9.]+)', first).group(1)
    urls = {
        "first page": "/workspace/",
        "last page": "/workspace/?last=1",
        "second page": f"/workspace/?after={after}",
        "search 红豆杉 + status draft": "/workspace/?q=%E7%BA%A2%E8%B1%86%E6%9D%89&status=draft",
        "collection + status + dates": (
            "/workspace/?collection=animals&status=submitted&since=2026-03-01&until=2026-06-30"
        ),
    }
    results = {}
    for name, url in urls.items():
        samples = []
        for attempt in range(args.requests + 5):
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if attempt >= 5:
                samples.append(elapsed)
        results[name] = percentiles(samples)
        show(name, results[name])
    with app.app_context():
        samples = []
        for attempt in range(args.requests + 5):
            began = time.perf_counter()
            db.session.execute(
                text(
                    "SELECT * FROM record WHERE library_id = :library "
                    "ORDER BY updated_at DESC, id DESC LIMIT 51"
                ),
                {"library": ids["home"]},
            ).all()
            elapsed = (time.perf_counter() - began) * 1000
            if attempt >= 5:
                samples.append(elapsed)
        db.session.remove()
    results["peer: the first page's bare SQL"] = percentiles(samples)
    show("peer: the first page's bare SQL", results["peer: the first page's bare SQL"])
    return results


def bulk_publish(app, args: argparse.Namespace, ids: dict) -> dict[str, object]:
    from repository.extensions import db
    from repository.models import User
    from repository.services import review_bulk
    from search.engine import search_backend
    from search.query import SearchRequest

    with app.app_context():
        backend = search_backend(app)
        backend.ensure_index()
        reviewer = db.session.get(User, ids["reviewer"])
        job = review_bulk.start_bulk_action(
            reviewer,
            "publish",
            filter_args={"scope": "review", "status": "submitted", "collection": "bulk"},
        )
        public_id, total = job.public_id, job.total_records
        db.session.remove()
    with app.app_context():
        began = time.perf_counter()
        review_bulk.run_bulk_action(public_id)
        job_s = time.perf_counter() - began
        job = review_bulk.find_job(db.session.get(User, ids["reviewer"]), public_id)
        counts = review_bulk.outcome_counts(job)
        found, waited = 0, time.perf_counter()
        while time.perf_counter() - waited < 120:
            found = backend.search(SearchRequest(collection="bulk", per_page=1)).total
            if found >= total:
                break
            time.sleep(0.2)
        searchable_s = time.perf_counter() - began
        kind = type(backend).__name__
        if args.elasticsearch_url:
            backend.drop()  # the bench's own index, named afresh for each run
        db.session.remove()
    print(
        f"bulk publish of {total}: job {job_s:.1f} s ({total / job_s:.0f} records/s), "
        f"all {found} found in search after {searchable_s:.1f} s ({kind})"
    )
    return {
        "records": total,
        "counts": counts,
        "job_s": round(job_s, 1),
        "records_per_s": round(total / job_s),
        "found_in_search": found,
        "all_searchable_after_s": round(searchable_s, 1),
        "search_backend": kind,
    }


def previous_runs(path: Path) -> list[dict[str, object]]:
    """Earlier runs kept in the results file, newest last, so a change is read against them."""
    if not path.exists():
        return []
    kept = json.loads(path.read_text())
    return kept.get("runs", [kept])


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="huiku-bench-ws-") as folder:
        app = setup(args, Path(folder))
        if args.reuse:
            loaded = reloaded(app)
        else:
            loaded = load(app, args)
            print(f"loaded {args.records} + {args.bulk} + 20000 records in {loaded['copy_s']} s")
        pages = measure_pages(app, args, loaded)
        bulk = None if args.pages_only else bulk_publish(app, args, loaded)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "change": args.change,
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus",
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "note": "in-process (Flask test client, signed in; no HTTP server); shared, loaded machine",
        "records_of_the_library": args.records,
        "goal_p95_ms": GOAL_P95_MS,
        "pages": pages,
        "bulk_publish": bulk,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    runs = previous_runs(args.output)
    document = {"goal_p95_ms": GOAL_P95_MS, "runs": [*runs, result]}
    args.output.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    print(f"load average {result['load_average_1_5_15']}; written to {args.output}")


if __name__ == "__main__":
    main()
