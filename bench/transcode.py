"""Transcoding through the task queue against the same ffmpeg command run alone.

A 60-second 1080p clip (MPEG-4 Part 2 video and PCM sound in a MOV, so it must be encoded to
H.264/AAC) is made once. Then, alternating run by run:

* alone: ``repository.media.derivatives.video_command`` for the clip, run by subprocess
* queue: the clip saved with a record (``ingest.services.save_new_record``) enqueues
  ``build_recording_derivatives`` on a SQLite Huey queue; the run dequeues it and executes it
  as a worker does (app context, database rows, the transcode, poster, thumbnail, the set
  published in the store). Only the dequeue and execute are timed.

The figure is alone / queue (goal ≥ 0.9: the queue and the rest of the task add little). The
queue path also makes the poster and thumbnail, which the lone command does not: that is part
of what the task costs.

    .venv/bin/python bench/transcode.py [--runs 3] [--seconds 60] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--output", default=str(REPO / "bench/results/transcode.json"))
    options = parser.parse_args()

    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.extensions import db
    from repository.images import file_store
    from repository.media.derivatives import video_command
    from repository.media.playback import media_source
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
    alone, queued = [], []
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
        for run in range(options.runs):
            record = save_new_record(
                user, collection, {**data, "local_id": f"B-{run}"}, [ImageUpload(clip, "a.mov")]
            )
            [recording] = record.recordings
            original = file_store().original_path(recording.sha256)
            target = root / f"alone-{run}.mp4"
            command = video_command("ffmpeg", original, target, media_source(recording))
            started = time.perf_counter()
            subprocess.run(command, check=True)
            alone.append(time.perf_counter() - started)
            # The task waits in the queue; remove an earlier run's set so it is built again.
            file_store().remove_derivatives(recording.sha256)
            started = time.perf_counter()
            ran = 0
            while (task := huey.dequeue()) is not None:
                huey.execute(task)
                ran += 1
            queued.append(time.perf_counter() - started)
            db.session.expire_all()
            assert ran >= 1 and record.recordings[0].ready, "the task did not build the set"
            print(f"run {run + 1}: alone {alone[-1]:.1f} s, queue {queued[-1]:.1f} s", flush=True)

    ratio = statistics.median(alone) / statistics.median(queued)
    result = {
        "benchmark": "transcode",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": vars(options),
        "clip": {"seconds": options.seconds, "size": "1920x1080", "codecs": "mpeg4 + pcm_s16le"},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_start,
            "load_average_at_end": os.getloadavg(),
            "note": "a shared machine: other people's work runs on the same cores",
        },
        "ffmpeg": subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True
        ).stdout.splitlines()[0],
        "alone_seconds": {"p50": statistics.median(alone), "p95": percentile(alone, 0.95)},
        "queue_seconds": {"p50": statistics.median(queued), "p95": percentile(queued, 0.95)},
        "runs": {"alone": alone, "queue": queued},
        "ratio_alone_over_queue": ratio,
        "goal": "ratio >= 0.9",
        "met": ratio >= 0.9,
    }
    print(f"{'':10} {'p50 s':>8} {'p95 s':>8}")
    for name, values in (("alone", alone), ("queue", queued)):
        print(f"{name:10} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f}")
    print(f"ratio alone/queue: {ratio:.2f} (goal >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'})")
    Path(options.output).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
