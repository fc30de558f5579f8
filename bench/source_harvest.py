"""Harvesting another repository: 100,000 records from a local Huiku's ``/oai`` into a second one.

The peer is the database ``bench/oai_harvest.py`` builds (N published records loaded by COPY),
served by ``huiku serve --no-consumer``. Its floor is the same endpoint harvested by sickle alone,
which only parses each page: what the endpoint can serve. The harvester is a second Huiku on a
database of its own, with the peer registered as an OAI-PMH source, running
``huiku harvest run --full`` in the foreground; it maps, stores and matches every record and
writes its index outbox rows, which each page's commit applies (so the run's time includes
indexing). Then ``huiku search sync`` applies whatever is left, and the time from the run's end
until the index holds every record is reported too (the goal: within a minute).

    python bench/source_harvest.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/peer \\
        --harvester-database-url postgresql+psycopg://huiku@127.0.0.1:54330/harvester
    python bench/source_harvest.py … --records 5000 --no-output   # a quick look

Both databases are emptied first: give each one of its own. The harvester's index is the
embedded one in a temporary instance folder, or Elasticsearch with ``--elasticsearch-url``
(index ``huiku-bench-harvest``). Settings fall back to ``HUIKU_BENCH_DATABASE_URL``,
``HUIKU_BENCH_HARVESTER_DATABASE_URL`` and ``HUIKU_BENCH_PORT``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import oai_harvest  # noqa: E402 - the peer's data and server are that bench's

GOAL_INDEX_SECONDS = 60.0
SOURCE_SLUG = "bench-peer"

SETUP = """
from flask_migrate import upgrade
from sqlalchemy import text
from repository.app import create_app
from repository.extensions import db
from repository.models import HarvestSource, Library, SourceCheck, SourceKind
app = create_app()
with app.app_context():
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    library = Library(code="PEER", name_zh="邻馆", name_en="Peer library")
    db.session.add(library)
    db.session.add(HarvestSource(
        slug=%(slug)r, name="Peer Huiku", kind=SourceKind.OAI, base_url=%(endpoint)r,
        library=library, interval_hours=0, check_state=SourceCheck.OK,
    ))
    db.session.commit()
"""

RUN_FIGURES = """
import json
from sqlalchemy import select
from repository.app import create_app
from repository.extensions import db
from repository.models import HarvestRun, HarvestedRecord
from sqlalchemy import func
app = create_app()
with app.app_context():
    run = db.session.scalars(select(HarvestRun).order_by(HarvestRun.id.desc())).first()
    print(json.dumps({
        "state": run.state.value,
        "seconds": (run.finished_at - run.started_at).total_seconds(),
        "pages": run.pages, "created": run.created, "failed": run.failed,
        "stored": db.session.scalar(select(func.count()).select_from(HarvestedRecord)),
    }))
"""


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HUIKU_BENCH_DATABASE_URL"))
    parser.add_argument(
        "--harvester-database-url",
        default=os.environ.get("HUIKU_BENCH_HARVESTER_DATABASE_URL"),
    )
    parser.add_argument("--elasticsearch-url", help="index into this node instead of embedded")
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUIKU_BENCH_PORT", 8713)))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--skip-load", action="store_true", help="the peer is loaded already")
    parser.add_argument("--page-size", type=int, help="the peer's OAI_PAGE_SIZE")
    parser.add_argument("--no-output", action="store_true", help="print only; write no JSON")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/source_harvest.json")
    args = parser.parse_args()
    if not (args.database_url and args.harvester_database_url):
        parser.error("--database-url and --harvester-database-url are needed")
    return args


def harvester_environment(args: argparse.Namespace, instance: Path) -> dict[str, str]:
    (instance / "huiku.cfg").write_text('HARVEST_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]\n')
    environment = {
        **os.environ,
        "HUIKU_DATABASE_URL": args.harvester_database_url,
        "HUIKU_INSTANCE_PATH": str(instance),
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("HUIKU_ELASTICSEARCH_URL", None)
    if args.elasticsearch_url:
        environment["HUIKU_ELASTICSEARCH_URL"] = args.elasticsearch_url
        environment["HUIKU_ELASTICSEARCH_INDEX"] = "huiku-bench-harvest"
    return environment


def python(code: str, environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the harvester failed:\n{done.stderr[-3000:]}")
    return done.stdout


def huiku(arguments: list[str], environment: dict[str, str]) -> tuple[float, str]:
    """Run a ``huiku`` command; its wall time and output. A failure ends the bench."""
    command = [str(Path(sys.executable).with_name("huiku")), *arguments]
    started = time.perf_counter()
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"huiku {' '.join(arguments)} failed:\n{done.stdout}{done.stderr[-3000:]}")
    return elapsed, done.stdout


def harvest_into_second_huiku(args: argparse.Namespace, endpoint: str, instance: Path) -> dict:
    environment = harvester_environment(args, instance)
    python(SETUP % {"slug": SOURCE_SLUG, "endpoint": endpoint}, environment)
    wall, output = huiku(["harvest", "run", SOURCE_SLUG, "--full"], environment)
    figures = json.loads(python(RUN_FIGURES, environment))
    if figures["state"] != "succeeded" or figures["failed"]:
        raise SystemExit(f"the harvest did not succeed: {output}")
    sync_s, _ = huiku(["search", "sync"], environment)
    _, status = huiku(["search", "status"], environment)
    indexed = next(
        int(line.split()[-1]) for line in status.splitlines() if line.startswith("documents in")
    )
    return {
        **figures,
        "records_per_s": figures["created"] / figures["seconds"],
        "command_wall_s": round(wall, 2),
        "index_sync_s": round(sync_s, 2),
        "indexed": indexed,
    }


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="huiku-source-harvest-") as folder:
        peer_instance, harvester_instance = Path(folder, "peer"), Path(folder, "harvester")
        peer_instance.mkdir()
        harvester_instance.mkdir()
        app = oai_harvest.make_app(args, peer_instance)
        if not args.skip_load:
            oai_harvest.load(app, args)
        with oai_harvest.serving(args.database_url, args.port, peer_instance) as endpoint:
            # sickle before and after, so a change in the machine's load weighs on both sides
            before = oai_harvest.sickle_harvest(endpoint)
            harvested = harvest_into_second_huiku(args, endpoint, harvester_instance)
            after = oai_harvest.sickle_harvest(endpoint)
    load_average = os.getloadavg()
    floor_rate = (before["records_per_s"] + after["records_per_s"]) / 2
    ratio = harvested["records_per_s"] / floor_rate
    complete = harvested["stored"] == harvested["indexed"] == before["records"]
    print(f"{'':40} {'records/s':>10} {'seconds':>9}")
    print(
        f"{'floor: sickle alone over HTTP':40} {floor_rate:>10.0f} "
        f"{(before['seconds'] + after['seconds']) / 2:>9.1f}  "
        f"(runs: {before['records_per_s']:.0f}, {after['records_per_s']:.0f})"
    )
    print(
        f"{'huiku harvest run --full':40} {harvested['records_per_s']:>10.0f} "
        f"{harvested['seconds']:>9.1f}  ({harvested['pages']} pages)"
    )
    print(
        f"ratio {ratio:.2f}× of sickle alone; index in step {harvested['index_sync_s']} s "
        f"after the run (goal ≤ {GOAL_INDEX_SECONDS:.0f} s); stored {harvested['stored']}, "
        f"indexed {harvested['indexed']} of {before['records']}; load {load_average[0]:.1f}"
    )
    if not complete:
        raise SystemExit("the harvester did not store and index every record")
    if args.no_output:
        return
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    result = {
        "benchmark": "source_harvest",
        "records": args.records,
        "page_size": args.page_size,
        "commit": commit,
        "index": "elasticsearch" if args.elasticsearch_url else "embedded",
        "floor": {
            "records_per_s": round(floor_rate),
            "runs": [round(before["records_per_s"]), round(after["records_per_s"])],
            "page_p50_ms": before["page_p50_ms"],
            "page_p95_ms": before["page_p95_ms"],
        },
        "harvest": {**harvested, "records_per_s": round(harvested["records_per_s"])},
        "ratio": round(ratio, 3),
        "goal": {
            "index_seconds": GOAL_INDEX_SECONDS,
            "index_met": harvested["index_sync_s"] <= GOAL_INDEX_SECONDS,
        },
        "load_average": [round(value, 2) for value in load_average],
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
