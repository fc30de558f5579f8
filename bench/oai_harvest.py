"""OAI-PMH harvest: 100,000 published records through ``ListRecords`` with sickle, over HTTP.

Loads N published records (default 100,000) into a PostgreSQL database of its own with COPY,
serves the checkout with ``huiku serve --no-consumer`` (gunicorn) and harvests the whole list
(``oai_dc``, pages of ``OAI_PAGE_SIZE``) with sickle, as a union catalogue would. The floor is
the same rows read with SQLAlchemy in one process, in the list's order, each serialised by the
same lxml crosswalk (``interop.oai.formats``) into the same ``record`` element; the goal is a
harvest at least half as fast as that floor.

    python bench/oai_harvest.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench
    python bench/oai_harvest.py --database-url … --records 5000 --no-output   # a quick look

The database is emptied first: give it one of its own. Settings fall back to
``HUIKU_BENCH_DATABASE_URL`` and ``HUIKU_BENCH_PORT``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.5
PLANTS = ["人参", "红松", "美人松", "五味子", "刺五加", "黄芪", "细辛", "天麻", "岳桦", "花楸"]
FAMILIES = ["五加科 Araliaceae", "松科 Pinaceae", "桦木科 Betulaceae", "兰科 Orchidaceae"]
LEVELS = ["国家一级", "国家二级", "省级", "无"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HUIKU_BENCH_DATABASE_URL"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUIKU_BENCH_PORT", 8713)))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--skip-load", action="store_true", help="the database is loaded already")
    parser.add_argument("--page-size", type=int, help="OAI_PAGE_SIZE (default: the app's)")
    parser.add_argument("--no-output", action="store_true", help="print only; write no JSON")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/oai_harvest.json")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or HUIKU_BENCH_DATABASE_URL is needed")
    return args


def make_app(args: argparse.Namespace, instance: Path):
    sys.path.insert(0, str(ROOT))
    os.environ["HUIKU_DATABASE_URL"] = args.database_url
    os.environ["HUIKU_INSTANCE_PATH"] = str(instance)
    from repository.app import create_app

    if args.page_size:  # read by the served app too, from the instance's configuration file
        (instance / "huiku.cfg").write_text(f"OAI_PAGE_SIZE = {args.page_size}\n")
    app = create_app({"SERVER_NAME": f"127.0.0.1:{args.port}"})
    args.page_size = app.config["OAI_PAGE_SIZE"]
    return app


def load(app, args: argparse.Namespace) -> float:
    """Schema by the migrations, two libraries, one collection, the records by COPY."""
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy import text

    from repository.extensions import db
    from repository.models import Collection, Library

    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        libraries = [Library(code=f"LIB-{n}", name_zh=f"馆{n}", name_en=f"L{n}") for n in (1, 2)]
        flora = Collection(
            slug="changbaishan",
            profile_name="natural_history",
            title_zh="长白山动植菌物",
            title_en="Changbai Mountain",
            published=True,
            coordinating_library=libraries[0],
        )
        db.session.add_all([*libraries, flora])
        db.session.commit()
        collection_id, library_ids = flora.id, [library.id for library in libraries]
    rng = random.Random(14)
    raw_url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    columns = (
        "id, public_id, collection_id, library_id, local_id, status, metadata, title, "
        "title_sort, review_comment, created_at, updated_at, published_at"
    )
    with psycopg.connect(raw_url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY record ({columns}) FROM STDIN") as copy:
            for n in range(1, args.records + 1):
                name = rng.choice(PLANTS)
                metadata = {
                    "title": f"{name} {n}",
                    "scientific_name": "Panax ginseng C. A. Mey.",
                    "kingdom": "植物",
                    "family": rng.choice(FAMILIES),
                    "aliases": ["棒槌", "山参"][: rng.randint(0, 2)],
                    "date": f"20{rng.randint(0, 25):02d}-06-18",
                    "latitude": "42.05",
                    "longitude": "128.06",
                    "protection_level": rng.choice(LEVELS),
                    "local_id": f"H{n}",
                }
                copy.write_row(
                    (
                        n,
                        f"h{n:09d}",
                        collection_id,
                        library_ids[n % 2],
                        f"H{n}",
                        "published",
                        json.dumps(metadata, ensure_ascii=False),
                        metadata["title"],
                        f"{n:09d}",
                        "",
                        "2026-01-01T00:00:00+00",
                        _timestamp(n),
                        "2026-01-01T00:00:00+00",
                    )
                )
        cursor.execute("SELECT setval('record_id_seq', %s)", (args.records,))
        connection.commit()
    with psycopg.connect(raw_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _timestamp(n: int) -> str:
    """One datestamp per second from 1 January, as a stream of edits would leave them."""
    day, second = divmod(n, 86400)
    hours, rest = divmod(second, 3600)
    return f"2026-01-{1 + day:02d}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00"


def floor(app) -> dict[str, float]:
    """The same rows, read in one process and serialised by the same crosswalk, no HTTP."""
    from lxml import etree
    from sqlalchemy import select
    from sqlalchemy.orm import contains_eager

    from interop.oai.formats import FORMATS
    from interop.oai.items import Item
    from interop.oai.verbs import _record
    from interop.web import as_utc
    from repository.extensions import db
    from repository.models import Collection, Record, RecordStatus

    render = FORMATS["oai_dc"]
    with app.test_request_context("/oai"):
        started = time.perf_counter()
        count = size = 0
        rows = db.session.scalars(
            select(Record)
            .join(Record.collection)
            .join(Record.library)
            .options(contains_eager(Record.collection), contains_eager(Record.library))
            .where(Record.status == RecordStatus.PUBLISHED, Collection.published)
            .order_by(Record.updated_at, Record.public_id)
            .execution_options(yield_per=1000)
        )
        for record in rows:
            item = Item(
                public_id=record.public_id,
                datestamp=as_utc(record.updated_at),
                deleted=False,
                collection_slug=record.collection.slug,
                library_code=record.library.code,
                record_id=record.id,
                record=record,
            )
            size += len(etree.tostring(_record(item, render), encoding="UTF-8"))
            count += 1
        elapsed = time.perf_counter() - started
        db.session.remove()
    return {
        "records": count,
        "seconds": round(elapsed, 2),
        "records_per_s": count / elapsed,
        "bytes": size,
    }


@contextlib.contextmanager
def serving(database_url: str, port: int, instance: Path) -> Iterator[str]:
    """``huiku serve`` (gunicorn, no consumer) on the database; yields its ``/oai`` address."""
    environment = {
        **os.environ,
        "HUIKU_DATABASE_URL": database_url,
        "HUIKU_INSTANCE_PATH": str(instance),
        "PYTHONPATH": str(ROOT),
    }
    huiku = Path(sys.executable).with_name("huiku")
    log = open(instance / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(huiku), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-consumer"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}/oai"
    try:
        _wait(endpoint + "?verb=Identify", server)
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def sickle_harvest(endpoint: str) -> dict[str, float]:
    """Every record of the endpoint through sickle's ``ListRecords``, each page timed."""
    from sickle import Sickle

    page_ms: list[float] = []

    class TimedSickle(Sickle):
        def harvest(self, **kwargs):
            started = time.perf_counter()
            response = super().harvest(**kwargs)
            page_ms.append((time.perf_counter() - started) * 1000)
            return response

    client = TimedSickle(endpoint, max_retries=0, timeout=120)
    started = time.perf_counter()
    count = 0
    for record in client.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False):
        count += 1
        assert record.header.identifier
    elapsed = time.perf_counter() - started
    page_ms.sort()
    return {
        "records": count,
        "pages": len(page_ms),
        "seconds": round(elapsed, 2),
        "records_per_s": count / elapsed,
        "page_p50_ms": round(statistics.median(page_ms), 1),
        "page_p95_ms": round(page_ms[max(0, int(len(page_ms) * 0.95) - 1)], 1),
        "server_share": round(sum(page_ms) / 1000 / elapsed, 3),
    }


def harvest(args: argparse.Namespace, instance: Path) -> dict[str, float]:
    """Start ``huiku serve`` and harvest every record with sickle, timing each page."""
    with serving(args.database_url, args.port, instance) as endpoint:
        return sickle_harvest(endpoint)


def _wait(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("huiku serve exited")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("huiku serve did not answer")


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="huiku-oai-bench-") as folder:
        instance = Path(folder)
        app = make_app(args, instance)
        load_s = None if args.skip_load else load(app, args)
        # The floor runs before and after the harvest and their mean is compared, so a change
        # in what else the machine is doing weighs on both sides alike.
        before = floor(app)
        over_http = harvest(args, instance)
        after = floor(app)
    if not over_http["records"] == before["records"] == after["records"]:
        raise SystemExit(f"harvested {over_http['records']} records, expected {before['records']}")
    local = {
        "records": before["records"],
        "seconds": round((before["seconds"] + after["seconds"]) / 2, 2),
        "records_per_s": (before["records_per_s"] + after["records_per_s"]) / 2,
        "runs_records_per_s": [round(before["records_per_s"]), round(after["records_per_s"])],
        "bytes": before["bytes"],
    }
    ratio = over_http["records_per_s"] / local["records_per_s"]
    print(f"{'':36} {'records/s':>10} {'seconds':>9}")
    print(
        f"{'floor: SQLAlchemy + lxml, 1 process':36} {local['records_per_s']:>10.0f} "
        f"{local['seconds']:>9}  (runs: {local['runs_records_per_s']})"
    )
    print(
        f"{'harvest: sickle over HTTP':36} {over_http['records_per_s']:>10.0f} "
        f"{over_http['seconds']:>9}"
    )
    print(
        f"ratio {ratio:.2f}× (goal ≥ {GOAL_RATIO}×); {over_http['pages']} pages, "
        f"p50 {over_http['page_p50_ms']} ms, p95 {over_http['page_p95_ms']} ms per page, "
        f"{over_http['server_share']:.0%} of the harvest waiting for the server"
    )
    if args.no_output:
        return
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    result = {
        "benchmark": "oai_harvest",
        "records": args.records,
        "page_size": args.page_size,
        "commit": commit,
        "load_s": round(load_s, 1) if load_s is not None else None,
        "floor": {**local, "records_per_s": round(local["records_per_s"])},
        "harvest": {**over_http, "records_per_s": round(over_http["records_per_s"])},
        "ratio": round(ratio, 3),
        "goal": {"ratio": GOAL_RATIO, "met": ratio >= GOAL_RATIO},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
    }
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
