"""Range requests for a recording's playable copy: through the nginx profile of
docs/nginx-iiif.conf (the kept file sent by ``try_files``, no Python), through nginx with
``X-Accel-Redirect`` (Huiku answers each request, nginx sends the bytes), and from nginx as a
plain static file: what seeking costs a player once Huiku is behind nginx.

A 20-second 720p H.264/AAC MP4 is saved with a published record (its copy built), Huiku is
served by gunicorn (2 workers, ``HUIKU_IIIF_PUBLIC_ANSWERS=1``) behind Debian's nginx: the
documented profile (tests/iiif/nginx_profile.py, its local-disk server) and the X-Accel setup
of docs/media.md (tests/media/nginx_media.py). The first request through the profile reaches
Huiku, which keeps the file under its URL; the warm-up takes that one. Each side then gets the
same seeded list of 64 KB ranges over one keep-alive connection, the sides alternating request
by request. Reported: p50/p95 milliseconds per request, requests/s, and the ratio of the
static p50 to each side's p50 (1.0: as fast as nginx alone), with the load average.

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


def gunicorn(root: Path, port: int, environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(REPO / ".venv/bin/gunicorn"),
            *("--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
            "repository.app:create_app()",
        ],
        env={**os.environ, "HUIKU_INSTANCE_PATH": str(root), **environment},
        cwd=REPO,
    )


def wait_for(port: int, seconds: float = 120) -> None:
    """Until gunicorn's workers answer (slow to start on a busy machine)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/robots.txt")
            connection.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


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
        f"IIIF_CACHE_ROOT = '{root / 'iiif-cache'}'\nIIIF_PUBLIC_ANSWERS = True\n"
        "SECRET_KEY = 'bench'\n"
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

    from tests.iiif.nginx_profile import Profile, nginx
    from tests.media.nginx_media import free_port, nginx_for_media

    load_start = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="huiku-ranges-"))
    recording_id, _, play = prepare(root)
    size = play.stat().st_size
    app_port, accel_port = free_port(), free_port()
    servers = [
        gunicorn(root, app_port, {}),  # the profile's: only its first request reaches it
        gunicorn(root, accel_port, {"HUIKU_MEDIA_X_ACCEL_PREFIX": "/_media/"}),
    ]
    public = root / "iiif-cache" / "public"
    ports = {name: free_port() for name in ("disk", "s3", "static")}
    profile = Profile(app_port, ports["disk"], ports["s3"], public)
    times: dict[str, list[float]] = {"profile": [], "x_accel": [], "static": []}
    spent = dict.fromkeys(times, 0.0)
    try:
        wait_for(app_port)
        wait_for(accel_port)
        with (
            nginx_for_media(root / "nginx", root / "storage", accel_port) as (proxy_url, _),
            nginx(root / "nginx-profile", profile, ports["static"]),
        ):
            static = f"127.0.0.1:{ports['static']}"
            sides = {
                "profile": (f"127.0.0.1:{ports['disk']}", f"/media/{recording_id}/play"),
                "x_accel": (proxy_url.removeprefix("http://"), f"/media/{recording_id}/play"),
                # the peer: the very file the profile sends, as a plain static file
                "static": (
                    static,
                    f"/static/media/{recording_id}/play.mp4",
                ),
            }
            connections = {
                name: http.client.HTTPConnection(host, timeout=30)
                for name, (host, _) in sides.items()
            }
            # The profile's first answer comes from Huiku, which keeps the file under its URL.
            fetch(connections["profile"], sides["profile"][1], 0)
            kept = sorted(p.name for p in (public / "media" / recording_id).glob("*"))
            assert kept == ["play.mp4"], f"the profile kept nothing: {kept}"
            starts = random.Random(19).choices(range(size - CHUNK), k=options.requests + 50)
            for number, start in enumerate(starts):
                for name, (_, path) in sides.items():
                    elapsed = fetch(connections[name], path, start)
                    if number >= 50:  # warm-up
                        times[name].append(elapsed)
                        spent[name] += elapsed
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    static_p50 = statistics.median(times["static"])
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
        "sides": {
            "profile": "docs/nginx-iiif.conf, local disk: the kept file by try_files",
            "x_accel": "nginx asks Huiku, which answers X-Accel-Redirect (docs/media.md)",
            "static": "nginx sending the same file as a plain static file",
        },
        **{
            f"{name}_ms": {
                "p50": statistics.median(values) * 1e3,
                "p95": percentile(values, 0.95) * 1e3,
            }
            for name, values in times.items()
        },
        "requests_per_second": {name: len(times[name]) / spent[name] for name in times},
        "ratio_static_over_profile_p50": static_p50 / statistics.median(times["profile"]),
        "ratio_static_over_x_accel_p50": static_p50 / statistics.median(times["x_accel"]),
    }
    print(f"{'':10} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'static÷':>8}")
    for name, values in times.items():
        shown = milliseconds(values)
        rate = result["requests_per_second"][name]
        ratio = static_p50 / statistics.median(values)
        print(f"{name:10} {shown['p50']:8.2f} {shown['p95']:8.2f} {rate:8.0f} {ratio:8.2f}")
    Path(options.output).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
