"""Range requests for a recording's playable copy through nginx (the app answers with
``X-Accel-Redirect``, nginx sends the bytes) against nginx sending the same file as a static
file: what seeking costs a player once Huiku is behind nginx.

A 20-second 720p H.264/AAC MP4 is saved with a published record (its copy built), Huiku is
served by gunicorn (2 workers) behind Debian's nginx (tests/media/nginx_media.py). Each side
gets the same seeded list of 64 KB ranges over one keep-alive connection, the sides
alternating request by request after a warm-up. Reported: p50/p95 milliseconds per request
and the ratio of the static p50 to the proxied p50 (how close to nginx alone).

    .venv/bin/python bench/media_ranges.py [--requests 500] [--output FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHUNK = 64 * 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def milliseconds(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values) * 1e3, "p95": percentile(values, 0.95) * 1e3}


def fetch(connection: http.client.HTTPConnection, path: str, start: int) -> float:
    began = time.perf_counter()
    connection.request("GET", path, headers={"Range": f"bytes={start}-{start + CHUNK - 1}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - began
    assert response.status == 206 and len(body) == CHUNK, (path, response.status, len(body))
    return elapsed


def prepare(root: Path) -> tuple[str, str, Path]:
    """An instance with one published record holding the clip; its id and play file."""
    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.images import file_store
    from repository.media.tasks import build_recording_derivatives
    from repository.services import accounts, collections, records

    clip = root / "clip.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=20"),
            *("-f", "lavfi", "-i", "sine=frequency=330:duration=20"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
            *("-shortest", str(clip)),
        ],
        check=True,
    )
    (root / "huiku.cfg").write_text(
        f"DATABASE_URL = 'sqlite:///{root / 'huiku.sqlite3'}'\n"
        f"STORAGE_ROOT = '{root / 'storage'}'\n"
        "MEDIA_X_ACCEL_PREFIX = '/_media/'\nSECRET_KEY = 'bench'\n"
    )
    os.environ["HUIKU_INSTANCE_PATH"] = str(root)
    app = create_app({"TASKS_IMMEDIATE": True})
    with app.app_context():
        upgrade()
        library = accounts.create_library("BENCH", "基准馆", "Bench library")
        user = accounts.create_user("bench@example.org", library, "admin", "x" * 12)
        collection = collections.create_collection("bench-ich", "ich", "基准", "Bench")
        data = {
            "local_id": "B-1",
            "title": "二人转",
            "category": "传统戏剧",
            "level": "省级",
            "region": ["吉林省"],
            "ethnic_group": ["汉族"],
        }
        record = save_new_record(user, collection, data, [ImageUpload(clip, "clip.mp4")])
        [recording] = record.recordings
        build_recording_derivatives.call_local(recording.public_id)
        records.submit_record(user, record)
        records.publish_record(user, record)
        play = file_store().derivative_dir(recording.sha256) / "play.mp4"
        return recording.public_id, str(play.relative_to(root / "storage")), play


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--output", default=str(REPO / "bench/results/media_ranges.json"))
    options = parser.parse_args()

    from tests.media.nginx_media import free_port, nginx_for_media

    load_start = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="huiku-ranges-"))
    recording_id, relative, play = prepare(root)
    size = play.stat().st_size
    app_port = free_port()
    server = subprocess.Popen(
        [
            str(REPO / ".venv/bin/gunicorn"),
            *("--workers", "2", "--bind", f"127.0.0.1:{app_port}", "--log-level", "warning"),
            "repository.app:create_app()",
        ],
        env={**os.environ, "HUIKU_INSTANCE_PATH": str(root)},
        cwd=REPO,
    )
    proxied, static = [], []
    try:
        time.sleep(4)
        with nginx_for_media(root / "nginx", root / "storage", app_port) as (proxy_url, peer_url):
            sides = {
                "proxied": (proxy_url, f"/media/{recording_id}/play", proxied),
                "static": (peer_url, f"/static/{relative}", static),
            }
            connections = {
                name: http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
                for name, (url, _, _) in sides.items()
            }
            starts = random.Random(19).choices(range(size - CHUNK), k=options.requests + 50)
            for number, start in enumerate(starts):
                for name, (_, path, times) in sides.items():
                    elapsed = fetch(connections[name], path, start)
                    if number >= 50:  # warm-up
                        times.append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=20)
    ratio = statistics.median(static) / statistics.median(proxied)
    result = {
        "benchmark": "media_ranges",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": vars(options),
        "file": {"bytes": size, "range_bytes": CHUNK},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_start,
            "load_average_at_end": os.getloadavg(),
            "note": "a shared machine: other people's work runs on the same cores",
        },
        "proxied_ms": {
            "p50": statistics.median(proxied) * 1e3,
            "p95": percentile(proxied, 0.95) * 1e3,
        },
        "static_ms": {
            "p50": statistics.median(static) * 1e3,
            "p95": percentile(static, 0.95) * 1e3,
        },
        "ratio_static_over_proxied_p50": ratio,
    }
    print(f"{'':10} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in (("proxied", proxied), ("static", static)):
        shown = milliseconds(values)
        print(f"{name:10} {shown['p50']:8.2f} {shown['p95']:8.2f}")
    print(f"static p50 / proxied p50: {ratio:.2f}")
    Path(options.output).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
