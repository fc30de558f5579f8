"""Transcoding through the task queue against the same ffmpeg commands run alone.

A 60-second 1080p clip (MPEG-4 Part 2 video and PCM sound in a MOV, so it must be encoded to
H.264/AAC) is made once and saved with a record, which enqueues ``build_recording_derivatives``
on a SQLite Huey queue. Each run measures both sides, like with like:

* queue: the task dequeued and executed as a worker does (app context, database rows, the
  transcode, poster and thumbnail, the set published in the store). The ffmpeg commands it
  runs are noted as they run (``repository.media.derivatives.run``).
* alone: exactly those commands (same arguments, same thread count: ffmpeg's default for this
  machine in both) run one after the other by the same ``run``, writing to a scratch folder.

The sides alternate which goes first run by run, and the figure is the median over the runs of
alone / queue (goal ≥ 0.9: the queue and the rest of the task add little). Wall time is what
the goal is about; the CPU time of the child processes (user + system) is reported beside it,
as it moves far less with other work on a shared machine. The lone transcode command (the MP4
only) is timed too, for the share of the task it is.

    .venv/bin/python bench/transcode.py [--runs 5] [--seconds 60] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_clip(folder: Path, seconds: int) -> Path:
    clip = folder / "performance.mov"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=25:duration={seconds}"),
            *("-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={seconds}"),
            *("-c:v", "mpeg4", "-q:v", "4", "-c:a", "pcm_s16le", "-f", "mov", str(clip)),
        ],
        check=True,
    )
    return clip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p95": percentile(values, 0.95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--output", default=str(REPO / "bench/results/transcode.json"))
    options = parser.parse_args()

    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.extensions import db
    from repository.images import file_store
    from repository.media import derivatives
    from repository.services import accounts, collections
    from repository.tasks import huey

    load_start = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="huiku-transcode-"))
    clip = make_clip(root, options.seconds)
    database = f"sqlite:///{root / 'huiku.sqlite3'}"
    app = create_app(
        {
            "DATABASE_URL": database,
            "SQLALCHEMY_DATABASE_URI": database,
            "STORAGE_ROOT": str(root / "storage"),
            "SEARCH_INDEX_PATH": str(root / "search.sqlite3"),
            "IIIF_CACHE_ROOT": str(root / "iiif-cache"),
            "TASKS_SQLITE_PATH": str(root / "tasks.sqlite3"),
            "ELASTICSEARCH_URL": None,
            "REDIS_URL": None,
            "SECRET_KEY": "bench",
        }
    )
    real_run = derivatives.run
    noted: list[list[str]] = []

    def noting_run(command: list[str], timeout: int) -> None:
        noted.append(list(command))
        real_run(command, timeout)

    derivatives.run = noting_run
    timeout = int(app.config["MEDIA_TIMEOUT_SECONDS"])
    wall = {"queue": [], "alone": [], "transcode": []}
    cpu = {"queue": [], "alone": []}
    commands: list[list[str]] = []
    load_by_run: list[tuple[float, float, float]] = []

    def queue_side(record) -> None:
        file_store().remove_derivatives(record.recordings[0].sha256)
        noted.clear()
        cpu_before, started = children_cpu(), time.perf_counter()
        ran = 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            ran += 1
        wall["queue"].append(time.perf_counter() - started)
        cpu["queue"].append(children_cpu() - cpu_before)
        db.session.expire_all()
        assert ran >= 1 and record.recordings[0].ready, "the task did not build the set"
        commands[:] = [list(command) for command in noted]

    def alone_side(run: int) -> None:
        staging = Path(commands[0][-1]).parent  # the task's output folder, gone by now
        scratch = root / f"alone-{run}"
        scratch.mkdir()
        replay = [
            [arg.replace(str(staging), str(scratch)) for arg in command] for command in commands
        ]
        cpu_before, started = children_cpu(), time.perf_counter()
        for number, command in enumerate(replay):
            real_run(command, timeout)
            if number == 0:
                wall["transcode"].append(time.perf_counter() - started)
        wall["alone"].append(time.perf_counter() - started)
        cpu["alone"].append(children_cpu() - cpu_before)
        shutil.rmtree(scratch)

    with app.app_context():
        upgrade()
        library = accounts.create_library("BENCH", "基准馆", "Bench library")
        user = accounts.create_user("bench@example.org", library, "contributor", "x" * 12)
        collection = collections.create_collection("bench-ich", "ich", "基准", "Bench")
        data = {
            "title": "二人转",
            "category": "传统戏剧",
            "level": "省级",
            "region": ["吉林省"],
            "ethnic_group": ["汉族"],
        }
        # Run 0 starts with the queue (which notes the commands); then the order alternates.
        for run in range(options.runs):
            record = save_new_record(
                user, collection, {**data, "local_id": f"B-{run}"}, [ImageUpload(clip, "a.mov")]
            )
            load_by_run.append(os.getloadavg())
            if run % 2 == 0 or not commands:
                queue_side(record)
                alone_side(run)
            else:
                alone_side(run)
                queue_side(record)
            print(
                f"run {run + 1}: alone {wall['alone'][-1]:.1f} s, queue {wall['queue'][-1]:.1f} s"
                f" (cpu {cpu['alone'][-1]:.1f} / {cpu['queue'][-1]:.1f} s)",
                flush=True,
            )

    ratios = [a / q for a, q in zip(wall["alone"], wall["queue"], strict=True)]
    cpu_ratios = [a / q for a, q in zip(cpu["alone"], cpu["queue"], strict=True)]
    ratio = statistics.median(ratios)
    result = {
        "benchmark": "transcode",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": vars(options),
        "clip": {"seconds": options.seconds, "size": "1920x1080", "codecs": "mpeg4 + pcm_s16le"},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_start,
            "load_average_by_run": load_by_run,
            "load_average_at_end": os.getloadavg(),
            "note": "a shared machine: other people's work runs on the same cores",
        },
        "ffmpeg": subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True
        ).stdout.splitlines()[0],
        "commands": [" ".join(command) for command in commands],
        "alone_seconds": summary(wall["alone"]),
        "transcode_command_alone_seconds": summary(wall["transcode"]),
        "queue_seconds": summary(wall["queue"]),
        "alone_cpu_seconds": summary(cpu["alone"]),
        "queue_cpu_seconds": summary(cpu["queue"]),
        "runs": {"wall": wall, "cpu": cpu, "ratios": ratios, "cpu_ratios": cpu_ratios},
        "ratio_alone_over_queue": ratio,
        "ratio_cpu_alone_over_queue": statistics.median(cpu_ratios),
        "goal": "median ratio (wall) >= 0.9",
        "met": ratio >= 0.9,
    }
    print(f"{'':10} {'p50 s':>8} {'p95 s':>8}")
    for name in ("alone", "queue"):
        print(f"{name:10} {statistics.median(wall[name]):8.1f} {percentile(wall[name], 0.95):8.1f}")
    print(f"median ratio alone/queue: {ratio:.2f} (cpu {result['ratio_cpu_alone_over_queue']:.2f})")
    print(f"goal >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'}")
    Path(options.output).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
