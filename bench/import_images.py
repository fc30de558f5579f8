"""Importing camera photographs: a ZIP of 6000×4000 JPEGs until each has its pyramid and tiles.

Run by hand, never in CI. The photographs are made with Pillow: smooth gradients under Gaussian
noise, saved at quality 90 with EXIF (camera make and model), about 7–8 MB each, which
compresses like a photograph does; a few distinct pictures are made and every file gets its own
JPEG comment, so that all of them have different bytes and each is imported and decoded whole.
They are packed into a ZIP (stored: JPEGs do not deflate) with a CSV naming one per row.

1. **Per image.** A sample of the images goes through the import's steps in this process, one
   after the other: the row check, which unpacks the image from the ZIP, hashes it, stores it
   and builds its derivatives and tiles from one decode. (In a tree from before the check
   built them, the steps are the check that only verifies, storing the original with its
   thumbnails, and the derivative task's build.) p50/p95 of each step and of their sum.
2. **End to end.** A fresh instance on the PostgreSQL database given (emptied first: give it
   one of its own) and one ``huiku worker --workers 1`` process (the consumer forks one worker
   process, which may use both cores), or with ``--threads N`` one ``huiku worker --workers N
   --threads`` process (its workers are threads: the import and the derivative tasks run at
   once, on both cores). Timed from ``start_import`` and ``queue_import`` (what
   the upload view and the API call once the files are received) until the job has finished
   and every asset is ``ready``; images/s, with the worker's CPU time per image and the cores
   it kept busy.

``--checkout`` runs another tree (e.g. ``git worktree add /tmp/before <commit>``), for the
figures before a change::

    python bench/import_images.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench
    python bench/import_images.py --database-url … --checkout /tmp/before --label before
    python bench/import_images.py --database-url … --images 40 --no-output
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workers import process_tree, stop  # bench/workers.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "import_images.json"
GOAL_IMAGES_PER_S = 5.0
SIZE = (6000, 4000)
DISTINCT_PICTURES = 4


# The photographs ---------------------------------------------------------------------------


def make_picture(path: Path, number: int) -> None:
    """A 6000×4000 photograph-like JPEG: gradients in three directions under noise."""
    from PIL import Image

    width, height = SIZE
    channels = []
    for band in range(3):
        angle = (number * 37 + band * 60) % 360
        gradient = Image.linear_gradient("L").rotate(angle).resize(SIZE)
        noise = Image.effect_noise(SIZE, 40 + 10 * band)
        channels.append(Image.blend(gradient, noise, 0.22))
    exif = Image.Exif()
    exif[0x010F] = "Huiku Bench"  # Make
    exif[0x0110] = f"Camera {number}"  # Model
    exif[0x0112] = 1  # Orientation
    Image.merge("RGB", channels).save(path, "JPEG", quality=90, exif=exif.tobytes())
    assert (width, height) == Image.open(path).size


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a COM segment after SOI, so that its bytes (and digest) differ."""
    payload = text.encode("ascii")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def make_batch(folder: Path, count: int) -> tuple[Path, Path, list[Path]]:
    """The ZIP, the CSV, and the photographs as loose files (for the per-image part)."""
    pictures = []
    for number in range(DISTINCT_PICTURES):
        path = folder / f"picture-{number}.jpg"
        make_picture(path, number)
        pictures.append(path.read_bytes())
    loose = folder / "loose"
    loose.mkdir()
    archive = folder / "photos.zip"
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["local_id", "title", "images"])
    files = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for index in range(count):
            name = f"IMG_{index + 1:04d}.JPG"
            data = with_comment(pictures[index % DISTINCT_PICTURES], f"frame {index + 1}")
            out.writestr(f"photos/{name}", data)
            (loose / name).write_bytes(data)
            files.append(loose / name)
            writer.writerow([f"PHOTO-{index + 1:04d}", f"照片 {index + 1}", name])
    table = folder / "photos.csv"
    table.write_text(rows.getvalue(), encoding="utf-8")
    return archive, table, files


# The instance ------------------------------------------------------------------------------


class Instance:
    """An empty, migrated instance on the given database: one library, one generic collection."""

    def __init__(self, folder: Path, database_url: str, checkout: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "HUIKU_INSTANCE_PATH": str(folder),
            "HUIKU_DATABASE_URL": database_url,
            "HUIKU_SECRET_KEY": "benchmark-only-secret",
            # The test extra's PyPI package ``iiif`` would otherwise shadow Huiku's own.
            "PYTHONPATH": str(checkout),
        }
        os.environ.update(self.env)
        from flask_migrate import upgrade
        from sqlalchemy import text

        from repository.app import create_app
        from repository.extensions import db
        from repository.services import accounts, collections

        self.checkout = checkout
        self.app = create_app({"ELASTICSEARCH_URL": None})
        self.context = self.app.app_context()
        self.context.push()
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        self.collection = collections.create_collection(
            "photos", "generic", "照片", default_rights="CC BY-NC 4.0"
        )
        library = accounts.create_library("BENCH", "测试馆", "Benchmark Library")
        self.admin = accounts.create_user("admin@bench.example", library, "admin", "pw-12345678")

    def worker(self, threads: int) -> subprocess.Popen:
        """One ``huiku worker`` process: one forked worker process, or ``threads`` threads."""
        command = [str(Path(sys.executable).with_name("huiku")), "worker", "--workers", "1"]
        if threads:
            command[-1:] = [str(threads), "--threads"]
        return subprocess.Popen(
            command,
            env=self.env,
            cwd=self.checkout,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "worker.log").open("wb"),
        )

    def import_batch(self, table: Path, archive: Path) -> str:
        from ingest.imports import queue_import, start_import

        job = start_import(
            self.admin, self.collection, table, archive, dry_run=False, move_files=True
        )
        queue_import(job)
        return job.public_id

    def finished(self, job_id: str) -> Any:
        """The job once final, else None."""
        from ingest.imports import find_job
        from repository.extensions import db
        from repository.models import JobState

        db.session.remove()
        job = find_job(job_id)
        return job if job.state in JobState.final() else None

    def assets_by_state(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from repository.extensions import db
        from repository.models import Asset

        db.session.remove()
        rows = db.session.execute(
            select(Asset.derivative_state, func.count()).group_by(Asset.derivative_state)
        )
        return {state.value: count for state, count in rows}

    def close(self) -> None:
        from repository.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.context.pop()


def cpu_seconds(pids: list[int], *, system: bool = True) -> float:
    """User plus system time of these processes, their threads included (without ``system``:
    the user time alone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + (int(fields[12]) if system else 0)
    return total / ticks


def peak_rss_mb(pids: list[int]) -> float:
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return round(peak / 1024, 1)


# The parts ---------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000), "p95_ms": round(p95 * 1000)}


def part_per_image(folder: Path, archive: Path, sample: int) -> dict[str, Any]:
    """The import's steps for ``sample`` images in this process, in a store of their own.

    Where the import builds each image's files as it checks the row (``ImageChecker.check``
    with ``build``), that is the one step ``check``; in a tree before that, the check only
    verifies, and storing with the thumbnails (as the save did) and the derivative task's
    build follow as steps of their own.
    """
    import inspect

    from ingest.imports.image_source import ImageChecker

    try:
        from ingest.imports.zip_images import ZipImages, ZipLimits
    except ImportError:  # a tree from before the ZIP had a module of its own
        from ingest.imports.image_source import ZipImages, ZipLimits
    from repository.images.derivatives import build_thumbnails
    from repository.images.storage import FileStore
    from repository.images.tasks import build_image_files

    store = FileStore(folder / "per-image-store")
    limits = ZipLimits(max_entries=20_000, max_unpacked_bytes=20 * 1024**3, max_ratio=100)
    source = ZipImages(archive, archive.name, limits)
    builds = "build" in inspect.signature(ImageChecker.check).parameters
    checker = ImageChecker(
        source,
        folder / "per-image-unpacked",
        max_bytes=200 * 1024 * 1024,
        max_pixels=300_000_000,
        keep_files=True,
        **({"store": store} if builds else {}),
    )
    names = ["check", "total"] if builds else ["check", "store", "derivatives", "total"]
    steps: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    try:
        for index in range(sample):
            # Wall time and this process's CPU time (all its threads) at each step's end.
            marks = [(time.perf_counter(), time.process_time())]
            name = f"IMG_{index + 1:04d}.JPG"
            checked = checker.check(name, build=True) if builds else checker.check(name)
            marks.append((time.perf_counter(), time.process_time()))
            if not builds:
                assert checked.path is not None
                stored = store.put_original(checked.path)
                build_thumbnails(store, stored.sha256)  # what the save did after storing
                marks.append((time.perf_counter(), time.process_time()))
                build_image_files(store, stored.sha256)
                marks.append((time.perf_counter(), time.process_time()))
            for step, end in zip(names, [*range(1, len(names)), len(names) - 1], strict=True):
                start = 0 if step == "total" else end - 1
                steps[step].append(marks[end][0] - marks[start][0])
                cpu[step].append(marks[end][1] - marks[start][1])
    finally:
        source.close()
        checker.cleanup()  # its files go with the folder, after the timed part (see main)
    return {
        "images": sample,
        **{name: percentiles(values) for name, values in steps.items()},
        "cpu": {name: percentiles(values) for name, values in cpu.items()},
    }


def part_end_to_end(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    archive, table = folder / "photos.zip", folder / "photos.csv"
    bench = Instance(folder / "instance", args.database_url, args.checkout)
    worker = bench.worker(args.threads)
    try:
        deadline = time.monotonic() + 60
        processes = 1 if args.threads else 2
        while len(process_tree(worker.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.2)  # the consumer forks its worker process
        time.sleep(3)  # and the app is loaded in it
        pids = process_tree(worker.pid)
        cpu_before = cpu_seconds(pids)
        user_before = cpu_seconds(pids, system=False)
        started = time.perf_counter()
        job_id = bench.import_batch(table, archive)
        job = None
        while job is None:
            time.sleep(0.25)
            job = bench.finished(job_id)
        job_seconds = time.perf_counter() - started
        states = bench.assets_by_state()
        while states.get("pending", 0):
            time.sleep(0.25)
            states = bench.assets_by_state()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        user = cpu_seconds(pids, system=False) - user_before
        peak = peak_rss_mb(pids)
    finally:
        stop(worker)
        if args.keep_log:
            args.keep_log.write_bytes((bench.folder / "worker.log").read_bytes())
    assert job.state.value == "succeeded", job.error
    assert job.counts.get("images") == args.images, job.counts
    files = files_of_one_image()
    bench.close()
    return {
        "images": args.images,
        "worker": f"{args.threads} threads" if args.threads else "1 forked process",
        "seconds": round(seconds, 1),
        "images_per_s": round(args.images / seconds, 2),
        "import_job_seconds": round(job_seconds, 1),
        "import_job_waited_seconds": round((job.started_at - job.created_at).total_seconds(), 1),
        "import_job_ran_seconds": round((job.finished_at - job.started_at).total_seconds(), 1),
        "derivative_tasks_seconds": round(seconds - job_seconds, 1),
        "worker_cpu_s_per_image": round(cpu / args.images, 3),
        "worker_system_cpu_s_per_image": round((cpu - user) / args.images, 3),
        "worker_cores_busy": round(cpu / seconds, 2),
        "worker_peak_rss_mb": peak,
        "asset_states": states,
        "files_per_image": files,
        "job_counts": job.counts,
    }


def files_of_one_image() -> dict[str, int]:
    """What the first image left in the store: derivative files, and tiles per scale factor."""
    from sqlalchemy import select

    from repository.extensions import db
    from repository.images import file_store
    from repository.images.derivatives import load_derivative_set
    from repository.images.tiles import load_tile_set
    from repository.models import Asset

    store = file_store()
    sha256 = db.session.scalars(select(Asset.sha256).order_by(Asset.id).limit(1)).one()
    derivatives = load_derivative_set(store, sha256)
    tiles = load_tile_set(store, sha256)
    assert derivatives is not None and tiles is not None, "the first image was not built"
    paths = [level.path for level in derivatives.levels[1:]] + [
        thumbnail.path for thumbnail in derivatives.thumbnails
    ]
    assert all(path.is_file() for path in paths)
    counts = {"levels_and_thumbnails": len(paths)}
    for level in tiles.levels:
        count = len(list(level.directory.glob("*.jpg")))
        assert count == level.columns * level.rows
        counts[f"tiles_scale_{level.scale_factor}"] = count
    return counts


def versions() -> dict[str, str]:
    import PIL

    found = {"python": platform.python_version(), "pillow": PIL.__version__}
    try:
        import pyvips

        found["libvips"] = ".".join(str(pyvips.version(n)) for n in range(3))
    except (ImportError, OSError):
        pass
    return found


def decode_anchor(path: Path) -> float:
    """CPU ms (p50 of 5) of one full decode of a photograph with Pillow, in this process: how
    fast the machine is right now, so that runs at different hours can be compared."""
    from PIL import Image

    times = []
    for _ in range(5):
        started = time.process_time()
        with Image.open(path) as image:
            image.load()
        times.append(time.process_time() - started)
    return round(statistics.median(times) * 1000, 1)


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cpus": os.cpu_count(), "cpu": model, "load_before": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to empty")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20, help="images timed step by step")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the tree to run")
    parser.add_argument("--label", default="after")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="run the worker as this many threads of one process (huiku worker --threads)",
    )
    parser.add_argument("--note", default="", help="what the measured code does differently")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-output", action="store_true")
    parser.add_argument("--keep-log", type=Path, help="copy the worker's log here")
    args = parser.parse_args()
    args.checkout = args.checkout.resolve()
    sys.path.insert(0, str(args.checkout))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the worker
    load = machine()
    with tempfile.TemporaryDirectory(prefix="huiku-bench-images-") as name:
        folder = Path(name)
        made = time.perf_counter()
        archive, _table, files = make_batch(folder, args.images)
        print(
            f"{args.images} photographs of {SIZE[0]}×{SIZE[1]}, "
            f"{sum(f.stat().st_size for f in files) / len(files) / 1e6:.1f} MB each on average, "
            f"made in {time.perf_counter() - made:.0f} s"
        )
        load["full_decode_cpu_ms"] = decode_anchor(files[0])
        # Nothing is deleted before the timed import: where ext4 runs without a journal, every
        # file created in the minutes after a mass deletion scans past the freed inodes, which
        # would be charged to the import (about 135 files per photograph).
        per_image = part_per_image(folder, archive, min(args.sample, args.images))
        end_to_end = part_end_to_end(folder, args)  # the ZIP moves into the job's folder
    # Other work on the same cores shows up in the figures: say how busy the machine was.
    load["load_1_5_15_min_after"] = [round(value, 2) for value in os.getloadavg()]
    rate = end_to_end["images_per_s"]
    print()
    print(f"{'end to end (1 worker process)':38} {'figure':>12}")
    for key in (
        "seconds",
        "images_per_s",
        "import_job_seconds",
        "import_job_waited_seconds",
        "import_job_ran_seconds",
        "derivative_tasks_seconds",
    ):
        print(f"{key:38} {end_to_end[key]:>12}")
    for key in (
        "worker_cpu_s_per_image",
        "worker_system_cpu_s_per_image",
        "worker_cores_busy",
        "worker_peak_rss_mb",
    ):
        print(f"{key:38} {end_to_end[key]:>12}")
    print(f"{'files of one image':38} {json.dumps(end_to_end['files_per_image']):>12}")
    print()
    heading = f"per image, {per_image['images']} in sequence"
    print(f"{heading:38} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8}")
    for step in per_image["cpu"]:
        wall, cpu = per_image[step], per_image["cpu"][step]
        print(
            f"{step:38} {wall['p50_ms']:>8} {wall['p95_ms']:>8} "
            f"{cpu['p50_ms']:>8} {cpu['p95_ms']:>8}"
        )
    print(f"\none full decode of a photograph (machine speed): {load['full_decode_cpu_ms']} ms CPU")
    met = rate >= GOAL_IMAGES_PER_S
    verdict = "met" if met else "NOT met"
    print(f"\ngoal ≥ {GOAL_IMAGES_PER_S} images/s per worker process: {verdict}")
    if args.no_output:
        return
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    results.update(
        {
            "benchmark": "import_images",
            "goal": {"images_per_s": GOAL_IMAGES_PER_S},
        }
    )
    results.setdefault("runs", {})[args.label] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": load,
        "versions": versions(),
        "photographs": {"count": args.images, "width": SIZE[0], "height": SIZE[1]},
        "end_to_end": end_to_end,
        "per_image": per_image,
        "goal_met": met,
        **({"note": args.note} if args.note else {}),
    }
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
