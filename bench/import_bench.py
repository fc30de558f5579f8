"""Batch-import speed and memory, on PostgreSQL, with real workers (run by hand, not in CI).

1. **Speed.** A seeded CSV of 50,000 ``natural_history`` rows (2,000 Chinese names with their
   own Latin names, each on about 25 rows; coordinates, dates, repeatable fields; no images) is
   uploaded through the JSON API and imported with the duplicate check on: another library's
   5,000 records are there first (imported untimed), a twentieth of them under names the file
   uses too. Timed from the upload to the job's finished state,
   with ``huiku worker --workers 1`` and again with ``--workers 2`` (a fresh database each),
   and, as the peer measured in the same run, with one worker and the file not split.
2. **Memory.** The peak RSS (``VmHWM``) of the worker process that ran an import of 10,000
   and of 100,000 rows, each in a fresh worker, beside its RSS when idle before the job.

A file of more than ``IMPORT_CHUNK_ROWS`` rows (``--chunk-rows``, default 10,000) is split into
chunks after its first pass, which the worker processes take at once. The load average is
recorded before and after each part: the machine may be shared.

Each run empties the PostgreSQL database given with ``--database-url`` (give it one of its
own) and uses a fresh instance folder; the queue is the instance's SQLite file, or Redis with
``--redis-url``. Run::

    python bench/import_bench.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench
    python bench/import_bench.py --database-url … --rows 5000 --memory-rows 1000,5000 --no-output

Results are added to ``bench/results/import.json`` as a run named by ``--name`` (earlier runs
are kept; a run of the same name is replaced).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workers import children, stop  # bench/workers.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "import.json"
SEED = 20261202
HEADERS = [
    "local_id", "title", "scientific_name", "kingdom", "family", "genus", "aliases", "habitat",
    "distribution", "elevation_m", "locality", "latitude", "longitude", "photographer", "date",
    "protection_level", "description",
]  # fmt: skip
QUALIFIERS = ["东北", "长白", "朝鲜", "高山", "岳桦", "林下", "大叶", "细叶", "红皮", "白花"]
TAXA = [
    ("红豆杉", "Taxus cuspidata", "植物", "红豆杉科 Taxaceae"),
    ("红松", "Pinus koraiensis", "植物", "松科 Pinaceae"),
    ("人参", "Panax ginseng", "植物", "五加科 Araliaceae"),
    ("杜鹃", "Rhododendron aureum", "植物", "杜鹃花科 Ericaceae"),
    ("松茸", "Tricholoma matsutake", "真菌", "口蘑科 Tricholomataceae"),
    ("猴头菇", "Hericium erinaceus", "真菌", "猴头菌科 Hericiaceae"),
    ("紫貂", "Martes zibellina", "动物", "鼬科 Mustelidae"),
    ("中华秋沙鸭", "Mergus squamatus", "动物", "鸭科 Anatidae"),
    ("东北虎", "Panthera tigris altaica", "动物", "猫科 Felidae"),
    ("五味子", "Schisandra chinensis", "植物", "五味子科 Schisandraceae"),
]
PEOPLE = ["张三", "李四", "王五", "赵六", "金哲", "朴英", "刘敏", "陈静"]


def table(count: int, prefix: str = "CBS", seed: int = SEED, names: range = range(2000)) -> bytes:
    """A cataloguer's spreadsheet as CSV: ``names`` distinct names (each a taxon of its own),
    each photographed a few times."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for number in range(1, count + 1):
        name, latin, kingdom, family = rng.choice(TAXA)
        qualifier, index = rng.choice(QUALIFIERS), rng.choice(names)
        writer.writerow(
            [
                f"{prefix}-{number:06d}",
                f"{qualifier}{name}{index}号",
                f"{latin.split()[0]} {latin.split()[1]}{index}",
                kingdom,
                family,
                family.split()[0].replace("科", "属"),
                f"{name}{index}；{qualifier}{index}",
                rng.choice(["针阔混交林", "岳桦林", "高山苔原", "河岸湿地"]),
                "吉林省长白山区；黑龙江东部",
                f"{rng.randrange(300, 1500)}-{rng.randrange(1500, 2700)}",
                rng.choice(["长白山北坡", "天池", "二道白河", "漫江", "松江河"]),
                f"{41.5 + rng.random():.5f}",
                f"{127.5 + rng.random():.5f}",
                "; ".join(rng.sample(PEOPLE, 2)),
                f"{rng.randrange(1985, 2024)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",  # noqa: E501
                rng.choice(["国家一级", "国家二级", "省级", "无"]),
                "多年生草本或乔木，生于长白山区海拔较高处，夏季开花，秋季结果。",
            ]
        )
    return out.getvalue().encode("utf-8")


class Instance:
    """An empty, migrated instance on the given database, with two libraries and a collection."""

    def __init__(
        self, folder: Path, database_url: str, redis_url: str | None, chunk_rows: int
    ) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "HUIKU_INSTANCE_PATH": str(folder),
            "HUIKU_DATABASE_URL": database_url,
            "HUIKU_SECRET_KEY": "benchmark-only-secret",
        }
        if redis_url:
            self.env["HUIKU_REDIS_URL"] = redis_url
        (folder / "huiku.cfg").write_text(
            f"IMPORT_MAX_ROWS = 200_000\nIMPORT_CHUNK_ROWS = {chunk_rows}\n"
        )
        os.environ.update(self.env)
        from flask_migrate import upgrade
        from sqlalchemy import text

        from repository.app import create_app
        from repository.extensions import db
        from repository.services import accounts, collections, tokens

        self.app = create_app({"ELASTICSEARCH_URL": None})
        self.context = self.app.app_context()
        self.context.push()
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        self.collection = collections.create_collection(
            "changbaishan", "natural_history", "长白山动植菌物", default_rights="CC BY-NC 4.0"
        )
        library = accounts.create_library("BENCH", "测试馆", "Benchmark Library")
        self.admin = accounts.create_user("admin@bench.example", library, "admin", "pw-12345678")
        self.token = tokens.create_token(self.admin, self.admin, "bench")[1]
        other = accounts.create_library("OTHER", "另一馆", "Other Library")
        self.other = accounts.create_user("admin@other.example", other, "admin", "pw-12345678")

    def seed_other_library(self, rows: int) -> None:
        """Records of another library, for the duplicate check to find (untimed, in here)."""
        from ingest.imports import run_import, start_import

        path = self.folder / "other.csv"
        # A twentieth of the names the benchmark's file uses, and others of its own.
        path.write_bytes(table(rows, prefix="OTH", seed=SEED + 1, names=range(1900, 3900)))
        run_import(start_import(self.other, self.collection, path, None, dry_run=False))

    def upload(self, data: bytes) -> str:
        """Upload through the JSON API, as a library's cataloguing system does; the job id."""
        response = self.app.test_client().post(
            "/api/collections/changbaishan/imports",
            data={"table": (io.BytesIO(data), "plants.csv")},
            headers={"Authorization": f"Bearer {self.token}"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        return response.get_json()["id"]

    def wait(self, public_id: str, timeout: float = 3600) -> Any:
        from ingest.imports import find_job
        from repository.extensions import db
        from repository.models import JobState

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            db.session.remove()
            job = find_job(public_id)
            if job.state in JobState.final():
                return job
            time.sleep(0.2)
        raise TimeoutError(public_id)

    def worker(self, processes: int) -> subprocess.Popen:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("huiku")), "worker", "--workers", str(processes)],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        from repository.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.context.pop()


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# The parts, each in a process of its own ------------------------------------------------------


def part_speed(
    folder: Path, args: argparse.Namespace, processes: int, *, split: bool = True
) -> dict[str, Any]:
    chunk_rows = args.chunk_rows if split else 10**9
    bench = Instance(folder, args.database_url, args.redis_url, chunk_rows)
    bench.seed_other_library(args.other_rows)
    data = table(args.rows)
    worker = bench.worker(processes)
    try:
        time.sleep(3)  # the worker has loaded the app
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        job = bench.wait(bench.upload(data))
        seconds = time.perf_counter() - started
    finally:
        stop(worker)
    assert job.state.value == "succeeded", job.error
    result = {
        "workers": processes,
        "rows": args.rows,
        "seconds": round(seconds, 1),
        "rows_per_s": round(args.rows / seconds),
        "counts": job.counts,
        "other_library_records": args.other_rows,
        "chunks": job.chunk_count,
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    bench.close()
    return result


def part_memory(folder: Path, args: argparse.Namespace, rows: int) -> dict[str, Any]:
    bench = Instance(folder, args.database_url, args.redis_url, args.chunk_rows)
    data = table(rows)
    worker = bench.worker(1)
    try:
        deadline = time.monotonic() + 60
        while not children(worker.pid) and time.monotonic() < deadline:
            time.sleep(0.5)  # the consumer starts its worker process
        time.sleep(2)
        idle = {pid: memory_kb(pid, "VmRSS") for pid in children(worker.pid)}
        load_before = os.getloadavg()[0]
        job_id = bench.upload(data)
        peak: dict[int, int] = {}
        job = None
        while job is None:
            for pid in children(worker.pid):
                peak[pid] = max(peak.get(pid, 0), memory_kb(pid, "VmHWM"))
            try:
                job = bench.wait(job_id, timeout=1)
            except TimeoutError:
                continue
        for pid in children(worker.pid):
            peak[pid] = max(peak.get(pid, 0), memory_kb(pid, "VmHWM"))
    finally:
        stop(worker)
    assert job.state.value == "succeeded", job.error
    ran = max(peak, key=peak.get)
    result = {
        "rows": rows,
        "worker_idle_rss_mb": round(idle.get(ran, 0) / 1024, 1),
        "worker_peak_rss_mb": round(peak[ran] / 1024, 1),
        "report_mb": round(len(json.dumps(job.report, ensure_ascii=False)) / 1e6, 1),
        "chunks": job.chunk_count,
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    bench.close()
    return result


def run_part(args: argparse.Namespace, part: str, value: int) -> dict[str, Any]:
    """One part in a fresh Python process (its own imports, its own memory)."""
    command = [sys.executable, __file__, "--one", f"{part}:{value}", *sys.argv[1:]]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{part} {value} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to empty")
    parser.add_argument("--redis-url", help="queue on Redis (default: the instance's SQLite)")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--other-rows", type=int, default=5_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--memory-rows", default="10000,100000")
    parser.add_argument("--chunk-rows", type=int, default=10_000, help="IMPORT_CHUNK_ROWS")
    parser.add_argument("--name", default="chunks", help="the name of this run in the results")
    parser.add_argument(
        "--no-peer",
        dest="peer",
        action="store_false",
        help="leave out the peer: the same file, one worker, not split into chunks",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-output", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        # Stopped from outside: still stop the workers (every worker on a database must see
        # the same files; a stray one would take up the next run's jobs and miss them).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        part, value = args.one.split(":")
        with tempfile.TemporaryDirectory(prefix="huiku-bench-") as folder:
            if part == "memory":
                result = part_memory(Path(folder), args, int(value))
            else:
                result = part_speed(Path(folder), args, int(value), split=part == "speed")
            print(json.dumps(result))
        return
    speed = [run_part(args, "speed", int(n)) for n in args.workers.split(",") if n]
    if args.peer:
        # The peer, measured in the same run: one worker, the same file as one job run.
        speed.append(run_part(args, "whole", 1))
    for line in speed:
        how = f"{line['chunks']} chunks" if line["chunks"] else "not split (peer)"
        print(
            f"{line['rows']:,} rows, {line['workers']} worker process(es), {how}: "
            f"{line['seconds']} s from upload to finished, {line['rows_per_s']:,} rows/s, "
            f"load {line['load_average_1min']}"
        )
    memory = [run_part(args, "memory", int(n)) for n in args.memory_rows.split(",") if n]
    for line in memory:
        print(
            f"{line['rows']:,} rows: worker peak RSS {line['worker_peak_rss_mb']} MB "
            f"(idle {line['worker_idle_rss_mb']} MB), report {line['report_mb']} MB"
        )
    if args.no_output:
        return
    run = {
        "name": args.name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "database": "postgresql",
        "queue": "redis" if args.redis_url else "sqlite",
        "chunk_rows": args.chunk_rows,
        "speed": speed,
        "memory": memory,
    }
    runs = earlier_runs(args.output)
    runs = [earlier for earlier in runs if earlier.get("name") != args.name] + [run]
    results = {"benchmark": "import", "runs": runs}
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output} (run {args.name!r})")


def earlier_runs(path: Path) -> list[dict[str, Any]]:
    """The runs already in the results file; a file of one unnamed run (before runs had
    names) is that run, named for what it measured."""
    if not path.exists():
        return []
    earlier = json.loads(path.read_text())
    if "runs" in earlier:
        return earlier["runs"]
    earlier.pop("benchmark", None)
    return [{"name": "one task per job (before chunks)", **earlier}]


if __name__ == "__main__":
    main()
