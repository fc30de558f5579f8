"""Batch-import speed and memory: 10,000 metadata rows, and 200 photographs of 6000×4000.

Three parts, each in a fresh process with its own instance (SQLite in a temporary folder, or
the PostgreSQL database given with ``--database-url``, which is emptied first):

1. **Metadata rows.** A seeded CSV of N ``natural_history`` rows (Chinese names, Latin binomials,
   coordinates, dates, repeatable fields). Timed, each from ``start_import`` to the end of
   ``run_import``: the dry run, the import as shipped (with the duplicate check of
   ``ingest.duplicates``) and the import with the duplicate check switched off (the engine's own
   share). The floor is a bare SQLAlchemy Core ``executemany`` INSERT of the same rows, already
   validated and with their derived columns computed beforehand, into the record table, run
   before and after the imports (their mean is used). The part runs three times (``--repeat``),
   each in a fresh process, and every figure is the median of the runs: on a small shared
   machine one run varies by about a tenth. For the breakdown it also times the
   profile's own validation and derived columns (``Profile.validate``,
   ``records.derived_columns``) over the same rows: costs every save pays, web form included.
2. **Memory.** The dry run and the import of 5,000, 10,000 and 20,000 rows, each in a new
   process: peak RSS above the RSS before the job, and the tracemalloc peak (Python objects
   only) during the job.
3. **Images.** M distinct 6000×4000 JPEGs (one photograph, each copy with its own JPEG comment,
   so each has its own SHA-256) in a ZIP, one per row. Dry run: images/s for reading and
   verifying; import: images/s for verifying, storing, the derivative pyramid and the IIIF tile
   set; peak RSS of each.

Run::

    python bench/import_bench.py                  # ~10 min; writes bench/results/import.json
    python bench/import_bench.py --quick          # 2,000 rows, 10 images; no results file
    python bench/import_bench.py --database-url postgresql+psycopg://huiku@127.0.0.1:54329/bench \
        --parts metadata --output bench/results/import-postgresql.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "import.json"
GOAL_RATIO = 0.25
PHOTO_SIZE = (6000, 4000)
SEED = 20261126

HEADERS = [
    "local_id", "title", "scientific_name", "kingdom", "family", "genus", "aliases", "habitat",
    "distribution", "elevation_m", "locality", "latitude", "longitude", "photographer", "date",
    "protection_level", "description",
]  # fmt: skip
QUALIFIERS = [
    "东北", "长白", "朝鲜", "高山", "岳桦", "林下", "大叶", "细叶", "红皮", "白花",
    "黄花", "紫花", "毛", "光叶", "狭叶", "兴安", "辽东", "吉林", "天池", "延边",
]  # fmt: skip
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
LOCALITIES = ["长白山北坡", "天池", "二道白河", "漫江", "松江河", "露水河", "白山市", "抚松县"]
PEOPLE = ["张三", "李四", "王五", "赵六", "金哲", "朴英", "刘敏", "陈静"]
LEVELS = ["国家一级", "国家二级", "省级", "无"]


# Data ------------------------------------------------------------------------------------------


def metadata_rows(count: int, seed: int = SEED) -> list[list[str]]:
    """Rows as a cataloguer's spreadsheet has them: 2,000 names, each photographed a few times."""
    rng = random.Random(seed)
    qualifiers = QUALIFIERS
    rows = []
    for number in range(1, count + 1):
        name, latin, kingdom, family = rng.choice(TAXA)
        qualifier = rng.choice(qualifiers)
        variety = rng.randrange(10)
        rows.append(
            [
                f"CBS-{number:06d}",
                f"{qualifier}{name}{'' if variety == 0 else f'（{variety}号）'}",
                f"{latin} var. {qualifier.lower()}{variety}",
                kingdom,
                family,
                family.split()[0].replace("科", "属"),
                "；".join(rng.sample(["山参", "棒槌", "紫杉", "果松", "赤柏松"], 2)),
                rng.choice(["针阔混交林", "岳桦林", "高山苔原", "河岸湿地"]),
                "吉林省长白山区；黑龙江东部",
                f"{rng.randrange(300, 1500)}-{rng.randrange(1500, 2700)}",
                rng.choice(LOCALITIES),
                f"{41.5 + rng.random():.5f}",
                f"{127.5 + rng.random():.5f}",
                "; ".join(rng.sample(PEOPLE, 2)),
                f"{rng.randrange(1985, 2024)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",  # noqa: E501
                rng.choice(LEVELS),
                "多年生草本或乔木，生于长白山区海拔较高处，夏季开花，秋季结果。" * 2,
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[str]], extra_column: str | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADERS + ([extra_column] if extra_column else []))
        writer.writerows(rows)
    return path


def make_photo(path: Path, size: tuple[int, int] = PHOTO_SIZE) -> Path:
    """A photograph-like JPEG: smooth colour fields under fine grain (~7 MB at 6000×4000)."""
    from PIL import Image

    rng = random.Random(SEED)
    fields = Image.frombytes("RGB", (60, 40), rng.randbytes(60 * 40 * 3))
    picture = fields.resize(size, Image.Resampling.BICUBIC)
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).convert("RGB")
    Image.blend(picture, grain, 0.08).save(path, "JPEG", quality=90)
    return path


def distinct_copy(photo: bytes, number: int) -> bytes:
    """The same pixels with a JPEG comment of its own: another file, another digest."""
    comment = f"Huiku import benchmark, photograph {number}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return photo[:2] + segment + photo[2:]


# An instance ---------------------------------------------------------------------------------


def instance(root: Path, database_url: str | None):
    """A migrated, empty instance with one library, its admin and a collection."""
    os.environ["HUIKU_INSTANCE_PATH"] = str(root)
    from flask_migrate import upgrade
    from sqlalchemy import text

    from ingest.batch.checking import start_checkers
    from repository.app import create_app
    from repository.extensions import db
    from repository.services import accounts, collections

    overrides: dict[str, Any] = {
        "ELASTICSEARCH_URL": None,
        "STORAGE_ROOT": str(root / "storage"),
        "SEARCH_INDEX_PATH": str(root / "search.sqlite3"),
        "SECRET_KEY": "benchmark-only-secret",
        "MAX_UPLOAD_BYTES": 200 * 1024 * 1024,
    }
    if database_url:
        overrides["DATABASE_URL"] = overrides["SQLALCHEMY_DATABASE_URI"] = database_url
    app = create_app(overrides)
    context = app.app_context()
    context.push()
    if database_url and database_url.startswith("postgresql"):
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade()
    library = accounts.create_library("BENCH", "测试馆", "Benchmark Library")
    admin = accounts.create_user("admin@bench.example", library, "admin", "pw-123456789")
    collection = collections.create_collection(
        "changbaishan",
        "natural_history",
        "长白山动植菌物",
        default_rights="https://creativecommons.org/licenses/by-nc/4.0/",
    )
    # As ``huiku serve`` does when a worker starts: the checker processes are running before
    # the first import, so no figure below includes starting them.
    started = time.perf_counter()
    start_checkers(app.config["IMPORT_CHECK_WORKERS"])
    app.config["CHECKERS_STARTED_IN_S"] = time.perf_counter() - started
    return app, admin, collection


def timed_import(
    user, collection, table: Path, images: Path | None, **options
) -> tuple[Any, float]:
    from ingest.batch import run_import, start_import

    started = time.perf_counter()
    job = start_import(user, collection, table, images, **options)
    run_import(job)
    return job, time.perf_counter() - started


def floor_insert(collection, rows: list[list[str]], library_code: str) -> float:
    """Core executemany of the rows, validated and derived beforehand (not timed)."""
    from sqlalchemy import insert

    from repository.extensions import db
    from repository.models import Record
    from repository.models.base import new_public_id, utcnow
    from repository.services import accounts, records

    library = accounts.create_library(library_code, "下限馆")
    profile = collection.profile
    now = utcnow()
    values = []
    for row in rows:
        metadata = profile.validate(dict(zip(HEADERS, row, strict=True)))
        values.append(
            {
                "public_id": new_public_id(),
                "collection_id": collection.id,
                "library_id": library.id,
                "status": "draft",
                "metadata": metadata,
                **records.derived_columns(profile, metadata),
                "review_comment": "",
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.commit()
    started = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(insert(Record.__table__), values)
    return time.perf_counter() - started


def inherent_costs(collection, rows: list[list[str]]) -> dict[str, float]:
    """Seconds for the profile's validation and derived columns alone, over all rows."""
    from repository.services import records

    profile = collection.profile
    data = [dict(zip(HEADERS, row, strict=True)) for row in rows]
    started = time.perf_counter()
    cleaned = [profile.validate(item) for item in data]
    validated = time.perf_counter() - started
    started = time.perf_counter()
    for metadata in cleaned:
        records.derived_columns(profile, metadata)
    derived = time.perf_counter() - started
    return {"validate_s": validated, "derive_s": derived}


# The three parts, each run in a child process ---------------------------------------------------


def part_metadata(root: Path, rows: int, database_url: str | None) -> dict[str, Any]:
    app, admin, collection = instance(root, database_url)
    from ingest.batch import run as job_run

    data = metadata_rows(rows)
    table = write_csv(root / "records.csv", data)
    floor_before = floor_insert(collection, data, "FLOOR-A")
    dry, dry_seconds = timed_import(admin, collection, table, None, dry_run=True)
    assert dry.counts["created"] == rows, dry.counts
    job, import_seconds = timed_import(admin, collection, table, None, dry_run=False)
    assert job.counts["created"] == rows, job.counts
    again, again_seconds = timed_import(admin, collection, table, None, dry_run=False)
    assert again.counts["unchanged"] == rows, again.counts

    from repository.services import accounts

    other = accounts.create_user(
        "admin@bench2.example",
        accounts.create_library("BENCH-2", "测试二馆"),
        "admin",
        "pw-1234567",
    )
    third = accounts.create_user(
        "admin@bench3.example",
        accounts.create_library("BENCH-3", "测试三馆"),
        "admin",
        "pw-1234567",
    )
    # The same rows from other libraries, without the duplicate check (every row would be a
    # possible duplicate): once as shipped, once with the rows checked in the job's process.
    flagger = job_run.flag_new_records
    job_run.flag_new_records = lambda collection, library_id, created: {}
    try:
        alone, alone_seconds = timed_import(other, collection, table, None, dry_run=False)
        app.config["IMPORT_CHECK_WORKERS"] = 0
        inline, inline_seconds = timed_import(third, collection, table, None, dry_run=False)
    finally:
        job_run.flag_new_records = flagger
        app.config["IMPORT_CHECK_WORKERS"] = 1
    assert alone.counts["created"] == rows, alone.counts
    assert inline.counts["created"] == rows, inline.counts
    floor_after = floor_insert(collection, data, "FLOOR-B")
    costs = inherent_costs(collection, data)
    floor = (floor_before + floor_after) / 2
    return {
        "rows": rows,
        "database": app.config["DATABASE_URL"].split(":", 1)[0],
        "seconds": {
            "floor_core_executemany": [round(floor_before, 3), round(floor_after, 3)],
            "dry_run": round(dry_seconds, 3),
            "import": round(import_seconds, 3),
            "import_without_duplicate_check": round(alone_seconds, 3),
            "reimport_unchanged": round(again_seconds, 3),
            "import_checked_in_process": round(inline_seconds, 3),
            "checkers_started_once": round(app.config["CHECKERS_STARTED_IN_S"], 3),
            "profile_validate_only": round(costs["validate_s"], 3),
            "derived_columns_only": round(costs["derive_s"], 3),
        },
        "rows_per_second": {
            "floor_core_executemany": round(rows / floor),
            "dry_run": round(rows / dry_seconds),
            "import": round(rows / import_seconds),
            "import_without_duplicate_check": round(rows / alone_seconds),
            "reimport_unchanged": round(rows / again_seconds),
            "import_checked_in_process": round(rows / inline_seconds),
        },
        "ratio_to_floor": {
            "dry_run": round(floor / dry_seconds, 3),
            "import": round(floor / import_seconds, 3),
            "import_without_duplicate_check": round(floor / alone_seconds, 3),
            "reimport_unchanged": round(floor / again_seconds, 3),
            "import_checked_in_process": round(floor / inline_seconds, 3),
        },
        "possible_duplicates_flagged": job.counts.get("possible_duplicates", 0),
    }


def part_memory(root: Path, rows: int, database_url: str | None) -> dict[str, Any]:
    _app, admin, collection = instance(root, database_url)
    from ingest.batch.run import JobRun

    table = write_csv(root / "records.csv", metadata_rows(rows))
    figures: dict[str, Any] = {"rows": rows}
    # The peak while rows are read, checked and written, apart from the peak of putting the
    # finished report (which has an entry per row) into the job row at the end.
    before_report: list[float] = []
    complete = JobRun._complete

    def measured_complete(self, *args, **kwargs):
        before_report.append(tracemalloc.get_traced_memory()[1])
        return complete(self, *args, **kwargs)

    JobRun._complete = measured_complete
    for name, dry_run in (("dry_run", True), ("import", False)):
        baseline = _current_rss()
        before_report.clear()
        tracemalloc.start()
        job, _seconds = timed_import(admin, collection, table, None, dry_run=dry_run)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert job.counts["created"] == rows, job.counts
        figures[name] = {
            "tracemalloc_peak_mb": round(peak / 2**20, 1),
            "tracemalloc_peak_before_report_mb": round(before_report[0] / 2**20, 1),
            "rss_peak_above_start_mb": round(max(0, _peak_rss() - baseline) / 2**20, 1),
            "checker_rss_peak_mb": round(_checker_peak_rss() / 2**20, 1),
            "report_json_mb": round(len(json.dumps(job.report, ensure_ascii=False)) / 2**20, 1),
        }
    return figures


def part_images(root: Path, count: int, database_url: str | None) -> dict[str, Any]:
    _app, admin, collection = instance(root, database_url)
    photo = make_photo(root / "photo.jpg").read_bytes()
    archive = root / "photos.zip"
    rows = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for number in range(1, count + 1):
            out.writestr(f"photos/IMG_{number:04d}.JPG", distinct_copy(photo, number))
            rows.append(metadata_rows(1, seed=number)[0] + [f"img_{number:04d}.jpg"])
            rows[-1][0] = f"IMG-{number:04d}"
    table = write_csv(root / "images.csv", rows, extra_column="images")
    figures: dict[str, Any] = {"images": count, "size": list(PHOTO_SIZE), "bytes_each": len(photo)}
    for name, dry_run in (("dry_run", True), ("import", False)):
        baseline = _current_rss()
        job, seconds = timed_import(admin, collection, table, archive, dry_run=dry_run)
        assert job.counts["created"] == count and job.counts["images"] == count, job.counts
        figures[name] = {
            "seconds": round(seconds, 2),
            "images_per_second": round(count / seconds, 2),
            "rss_peak_above_start_mb": round(max(0, _peak_rss() - baseline) / 2**20, 1),
            "checker_rss_peak_mb": round(_checker_peak_rss() / 2**20, 1),
        }
    return figures


def _current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _checker_peak_rss() -> int:
    """The checker processes' peak resident memory (VmHWM), summed over them."""
    from ingest.batch import checking

    total = 0
    for pid in list(getattr(checking._executor, "_processes", {}) or {}):
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
    return total


PARTS = {"metadata": part_metadata, "memory": part_memory, "images": part_images}


def median_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each number (and each number of a list) as the median of the runs; other values as in
    the first run. Ratios are the median of each run's own ratio, floor and import measured
    side by side in the same process."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: median_figures([run[key] for run in runs]) for key in first}
    if isinstance(first, list):
        return [median_figures(list(items)) for items in zip(*runs, strict=True)]
    if isinstance(first, int | float) and not isinstance(first, bool):
        middle = statistics.median(runs)
        return round(middle, 3) if isinstance(middle, float) else middle
    return first


def run_part(part: str, size: int, database_url: str | None, keep: Path | None) -> dict[str, Any]:
    """One part in a fresh Python process, so its memory figures are its own."""
    root = Path(tempfile.mkdtemp(prefix=f"huiku-import-{part}-", dir=keep))
    command = [sys.executable, __file__, "--child", part, "--size", str(size), "--root", str(root)]
    if database_url:
        command += ["--database-url", database_url]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUIKU_")}
    environment["PYTHONPATH"] = str(ROOT)
    try:
        output = subprocess.run(
            command, check=True, capture_output=True, text=True, env=environment
        ).stdout
    except subprocess.CalledProcessError as error:
        sys.stderr.write(error.stderr)
        raise
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return json.loads(output.strip().splitlines()[-1])


# Report --------------------------------------------------------------------------------------


def print_table(results: dict[str, Any]) -> None:
    meta = results["metadata"]
    rate, ratio, seconds = meta["rows_per_second"], meta["ratio_to_floor"], meta["seconds"]
    print(f"{meta['rows']:,} metadata rows ({meta['database']})")
    print(f"{'':<44}{'seconds':>9}{'rows/s':>10}{'× floor':>9}")
    floor = sum(seconds["floor_core_executemany"]) / 2
    print(
        f"{'floor: Core executemany of validated rows':<44}{floor:>9.2f}"
        f"{rate['floor_core_executemany']:>10,}{1:>9.2f}"
    )
    for key, label in (
        ("dry_run", "dry run"),
        ("import", "import (with the duplicate check)"),
        ("import_without_duplicate_check", "import, duplicate check off"),
        ("reimport_unchanged", "same file again (all unchanged)"),
        ("import_checked_in_process", "  and rows checked in the job's process"),
    ):
        print(f"{label:<44}{seconds[key]:>9.2f}{rate[key]:>10,}{ratio[key]:>9.3f}")
    print(f"{'(starting the checker process, once)':<44}{seconds['checkers_started_once']:>9.2f}")
    for key, label in (
        ("profile_validate_only", "of which every save pays: Profile.validate"),
        ("derived_columns_only", "  and records.derived_columns (pinyin, years)"),
    ):
        print(f"{label:<44}{seconds[key]:>9.2f}")
    goal = results["goals"]["import_ratio"]
    each = meta["import_ratio_of_each_run"]
    listed = ", ".join(f"{ratio:.3f}" for ratio in each)
    print(f"(medians of {len(each)} runs; the import's ratio in each run: {listed})")
    print(f"goal: import ≥ {goal['goal']}× floor: {'met' if goal['met'] else 'not met'}")
    if results["memory"]:
        print()
        print(
            "memory, MB   rows   tracemalloc peak: rows  with report   RSS above start   report"
            "   checker RSS"
        )
        for item in results["memory"]:
            for name in ("dry_run", "import"):
                figures = item[name]
                print(
                    f"{name:<10}{item['rows']:>8,}{figures['tracemalloc_peak_before_report_mb']:>24}"
                    f"{figures['tracemalloc_peak_mb']:>13}{figures['rss_peak_above_start_mb']:>18}"
                    f"{figures['report_json_mb']:>9}{figures['checker_rss_peak_mb']:>14}"
                )
        flat = results["goals"]["memory_flat"]
        print(
            f"import peak before the report, {flat['rows'][0]:,} → {flat['rows'][-1]:,} rows: "
            f"{' → '.join(str(mb) for mb in flat['import_peak_before_report_mb'])} MB "
            f"({'flat' if flat['met'] else 'grows'}); the report adds the rest"
        )
    if results["images"]:
        print()
        images = results["images"]
        size = "×".join(str(s) for s in images["size"])
        print(f"{images['images']} JPEGs of {size} ({images['bytes_each'] / 2**20:.1f} MB each)")
        for name, label in (
            ("dry_run", "verify (dry run)"),
            ("import", "verify, store, pyramid, tiles"),
        ):
            figures = images[name]
            print(
                f"  {label:<34}{figures['images_per_second']:>7.2f} images/s"
                f"{figures['seconds']:>9.1f} s   RSS +{figures['rss_peak_above_start_mb']} MB,"
                f" checker {figures['checker_rss_peak_mb']} MB"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL database of its own (emptied)")
    parser.add_argument("--quick", action="store_true", help="2,000 rows, 10 images, no file")
    parser.add_argument("--keep", type=Path, help="keep the instances under this folder")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the metadata part, each in a fresh process; each figure is their median",
    )
    parser.add_argument(
        "--parts",
        default="metadata,memory,images",
        help="which parts to run, comma-separated (default: all three)",
    )
    parser.add_argument("--child", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = PARTS[args.child](args.root, args.size, args.database_url)
        print(json.dumps(figures, ensure_ascii=False))
        return
    if args.quick:
        args.rows, args.images = 2_000, 10
    # Half, as many and twice as many rows as the metadata part: from about 5,000 rows on, the
    # batches on their way through the checker and the writer are all full, so what the peak
    # does beyond that is what the number of rows does to it.
    sizes = (args.rows // 2, args.rows, args.rows * 2)
    parts = set(args.parts.split(","))
    started = time.perf_counter()
    runs = [
        run_part("metadata", args.rows, args.database_url, args.keep)
        for _ in range(1 if args.quick else max(1, args.repeat))
    ]
    metadata = median_figures(runs)
    metadata["import_ratio_of_each_run"] = [run["ratio_to_floor"]["import"] for run in runs]
    memory = (
        [run_part("memory", size, args.database_url, args.keep) for size in sizes]
        if "memory" in parts
        else []
    )
    images = (
        run_part("images", args.images, args.database_url, args.keep) if "images" in parts else {}
    )
    ratio = metadata["ratio_to_floor"]["import"]
    engine_growth = (
        memory[-1]["import"]["tracemalloc_peak_before_report_mb"]
        - memory[0]["import"]["tracemalloc_peak_before_report_mb"]
        if memory
        else 0.0
    )
    results = {
        "benchmark": "import",
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "metadata": metadata,
        "memory": memory,
        "images": images,
        "goals": {
            "import_ratio": {"goal": GOAL_RATIO, "measured": ratio, "met": ratio >= GOAL_RATIO},
            "memory_flat": None
            if not memory
            else {
                "rows": [item["rows"] for item in memory],
                "import_peak_before_report_mb": [
                    item["import"]["tracemalloc_peak_before_report_mb"] for item in memory
                ],
                "import_peak_with_report_mb": [
                    item["import"]["tracemalloc_peak_mb"] for item in memory
                ],
                "growth_before_report_mb": round(engine_growth, 1),
                "met": engine_growth < 2.0,
            },
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print_table(results)
    if not args.quick:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
