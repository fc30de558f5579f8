"""Lighthouse performance of a record page with the IIIF viewer (desktop preset, Debian's Chromium).

Builds an instance with a few demo records (``huiku demo --no-serve --limit N``), serves it with
``huiku serve`` (gunicorn) and runs Lighthouse (the npm package at the version of
bench/lighthouse/package-lock.json, installed by ``scripts/services/lighthouse.sh``) ``--runs``
times on the page of a record with images; reports the median performance score, its metrics,
and whether every text response was compressed (the ``uses-text-compression`` audit).

Run::

    scripts/services/chromium.sh ensure; scripts/viewer-assets
    python bench/lighthouse.py                 # writes bench/results/lighthouse.json
    python bench/lighthouse.py --runs 1 --port 8300   # or HUIKU_BENCH_PORT
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "lighthouse.json"
GOAL = 95
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "Speed Index",
}
AUDITS = ("uses-text-compression", "render-blocking-resources", "uses-long-cache-ttl")


def tool(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def environment(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUIKU_")}
    env.update(
        HUIKU_INSTANCE_PATH=str(root),
        HUIKU_SECRET_KEY="benchmark-only-secret",
        PYTHONPATH=str(ROOT),  # this checkout, not whichever one is installed
    )
    return env


def record_with_images(root: Path) -> str:
    """The public id of a published record with more than one image."""
    code = (
        "from repository.app import create_app\n"
        "from repository.models import Record, RecordStatus\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    found = [r for r in Record.query.filter_by(status=RecordStatus.PUBLISHED)"
        " if len(r.assets) > 1]\n"
        "    print(found[0].public_id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment(root)
    )
    if done.returncode != 0:
        sys.exit(f"no record found:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def lighthouse(tools: Path, chromium: str, url: str, output: Path) -> dict:
    command = [
        "node",
        str(tools / "node_modules" / "lighthouse" / "cli" / "index.js"),
        url,
        "--preset=desktop",
        "--only-categories=performance",
        "--output=json",
        f"--output-path={output}",
        f"--chrome-path={chromium}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        "--quiet",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    report = json.loads(output.read_text())
    audits = report["audits"]
    return {
        "score": round(report["categories"]["performance"]["score"] * 100),
        "metrics": {
            name: audits[key]["displayValue"] for key, name in METRICS.items() if key in audits
        },
        "metric_values": {
            name: audits[key]["numericValue"] for key, name in METRICS.items() if key in audits
        },
        "audits": {
            key: {
                "score": audits[key]["score"],
                "items": [item.get("url") for item in audits[key]["details"].get("items", [])]
                if audits[key].get("details")
                else [],
            }
            for key in AUDITS
            if key in audits
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=6, help="demo records to load")
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUIKU_BENCH_PORT", 0)))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    chromium = tool("bash", "scripts/services/chromium.sh", "ensure")
    tools = Path(tool("bash", "scripts/services/lighthouse.sh", "ensure"))
    if subprocess.run([sys.executable, "scripts/viewer-assets"], cwd=ROOT).returncode != 0:
        sys.exit("the viewer (Mirador) could not be installed: scripts/viewer-assets")
    port = args.port or free_port()
    root = Path(tempfile.mkdtemp(prefix="huiku-bench-lighthouse-"))
    huiku = str(Path(sys.executable).with_name("huiku"))
    server = None
    try:
        env = environment(root)
        subprocess.run(
            [huiku, "demo", "--no-serve", "--limit", str(args.limit)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        record = record_with_images(root)
        server = subprocess.Popen(
            [huiku, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/records/{record}"
        wait_for(url)
        load_before = [round(v, 2) for v in os.getloadavg()]
        runs = [
            lighthouse(tools, chromium, url, root / f"report-{n}.json") for n in range(args.runs)
        ]
        load_after = [round(v, 2) for v in os.getloadavg()]
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    scores = [run["score"] for run in runs]
    median = statistics.median(scores)
    results = {
        "benchmark": "lighthouse",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "page": "record page with the IIIF viewer (demo record with several images)",
        "preset": "desktop",
        "lighthouse": json.loads((tools / "package.json").read_text())["dependencies"],
        "chromium": subprocess.run(
            [chromium, "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_before": load_before,
        "load_average_after": load_after,
        "scores": scores,
        "median_score": median,
        "goal": f"performance ≥ {GOAL}",
        "goal_met": median >= GOAL,
        "runs": runs,
    }
    print(f"{url}: performance {scores} (median {median}; goal ≥ {GOAL})")
    for run in runs:
        print("  " + ", ".join(f"{name} {value}" for name, value in run["metrics"].items()))
        for key, audit in run["audits"].items():
            print(f"    {key}: {audit['score']} {audit['items'][:3]}")
    print(f"load average {load_before} → {load_after}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {args.output}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 90) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


if __name__ == "__main__":
    main()
