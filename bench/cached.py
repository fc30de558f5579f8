"""Cached IIIF answers: nginx static against the nginx profile and gunicorn alone, before and after.

One run, side by side, for a cached tile (a 512 px full-resolution tile of a 4000×3000 photograph,
asked as viewers ask: ``x,y,512,512/512,512/0/default.jpg``) and a cached manifest (a record of
200 images), each through:

* nginx static: the same bytes sent as a plain file by nginx (the peer every ratio is against);
* the nginx profile of docs/nginx-iiif.conf, used as documented: local disk (``try_files``) and
  object storage (proxied from the S3 bucket);
* the S3 server itself, an anonymous GET of the kept object: what the object-storage figures
  cannot exceed (moto's Python server in CI, far slower than a real store);
* gunicorn alone (``huiku serve``, 2 workers), before (``HUIKU_IIIF_PUBLIC_ANSWERS`` off: the
  view routes, asks the database and sends the cache file; the manifest loads the record and its
  200 images for the fingerprint) and after (on: the kept answer is sent before Flask, from the
  disk or from the bucket).

Each figure is requests/s with p50/p95 latency of the whole HTTP request, from ``wrk`` (2
threads, ``--connections`` keep-alive connections) when installed, else from Python threads.
Each target is loaded ``--rounds`` times on new connections and its median round is reported:
gunicorn's workers take keep-alive connections as they come, and when one worker happens to
take all of a round's connections that round runs at about a third of the others.
The machine's load average is recorded before and after: on a shared machine it moves figures.

Run::

    apt-get install nginx wrk
    scripts/services/s3.sh start      # or HUIKU_TEST_S3_URL / --s3-url; without it S3 is skipped
    python bench/cached.py             # writes bench/results/cached.json
    python bench/cached.py --quick     # 3 s per target
    python bench/cached.py --app-port 8100 --nginx-port 8180   # fixed ports (or HUIKU_BENCH_*)
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from tests.iiif.nginx_profile import Profile, find_nginx, free_port, nginx  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cached.json"
PHOTO = (4000, 3000)
TILE = "1024,1024,512,512/512,512/0/default.jpg"
CANVASES = 200
PRESENTATION = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
GOAL_NGINX_RATIO = 0.5
GOAL_GUNICORN_SPEEDUP = 3.0
LATENCY_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP95 %d\\nNON2XX %d\\n", latency:percentile(50),
    latency:percentile(95), summary.errors.status))
end
"""


def port(args_value: int | None, variable: str) -> int:
    """A port from the command line, else ``HUIKU_BENCH_<NAME>``, else any free one."""
    if args_value:
        return args_value
    value = os.environ.get(variable)
    return int(value) if value else free_port()


# Servers ---------------------------------------------------------------------------------


def make_photo(path: Path, size: tuple[int, int]) -> None:
    """A deterministic photograph-like JPEG: smooth colour fields under fine grain."""
    rng = random.Random(20261203)
    fields = Image.frombytes("RGB", (40, 30), rng.randbytes(40 * 30 * 3))
    picture = fields.resize(size, Image.Resampling.BICUBIC)
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).convert("RGB")
    Image.blend(picture, grain, 0.08).save(path, "JPEG", quality=90)


@dataclass(frozen=True)
class Earlier:
    """A checkout of an earlier commit and the Python of an environment it is installed in."""

    checkout: Path
    python: str

    @cached_property
    def name(self) -> str:
        ref = subprocess.run(
            ["git", "-C", str(self.checkout), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"gunicorn alone, code at {ref}"


@contextmanager
def huiku_server(
    root: Path, port: int, log: Path, earlier: Earlier | None = None, **extra: str
) -> Iterator[None]:
    """``huiku serve`` (gunicorn, 2 workers) on an instance folder, stopped afterwards.

    With ``earlier``, that checkout's code is served by the same gunicorn settings instead.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUIKU_")}
    env.update(
        HUIKU_INSTANCE_PATH=str(root),
        HUIKU_DATABASE_URL=f"sqlite:///{root / 'huiku.sqlite3'}",
        HUIKU_STORAGE_ROOT=str(root / "storage"),
        HUIKU_IIIF_CACHE_ROOT=str(root / "iiif-cache"),
        HUIKU_SEARCH_INDEX_PATH=str(root / "search.sqlite3"),
        HUIKU_SECRET_KEY="benchmark-only-secret",
        PYTHONPATH=str(earlier.checkout if earlier else ROOT),  # not whichever is installed
        **extra,
    )
    command = [str(Path(sys.executable).with_name("huiku")), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2", "--no-consumer"]
    if earlier:
        command = [earlier.python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", "2", "--threads", "4", "--worker-class", "gthread"]
        command += ["--access-logfile", "-", "repository.app:create_app()"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=earlier.checkout if earlier else ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/", process)
            yield
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def wait_for(url: str, process: subprocess.Popen | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            get(url, timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


def get(
    url: str, headers: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.request("GET", "/" + path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# The data --------------------------------------------------------------------------------


def small_jpeg(number: int) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (number % 256, 80, 160)).save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    return buffer


def build_instance(root: Path, photo: Path, s3: dict[str, str] | None) -> dict[str, str]:
    """A fresh instance (SQLite) with a published photograph and a published 200-image record,
    their derivatives built; in the bucket when ``s3`` is given."""
    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.extensions import db
    from repository.services import accounts, collections, records

    database = f"sqlite:///{root / 'huiku.sqlite3'}"
    config = {
        "DATABASE_URL": database,
        "SQLALCHEMY_DATABASE_URI": database,
        "STORAGE_ROOT": str(root / "storage"),
        "IIIF_CACHE_ROOT": str(root / "iiif-cache"),
        "SEARCH_INDEX_PATH": str(root / "search.sqlite3"),
        "SECRET_KEY": "benchmark-only-secret",
        "ELASTICSEARCH_URL": None,
        "TASKS_IMMEDIATE": True,
    }
    if s3:
        config.update({key.removeprefix("HUIKU_"): value for key, value in s3.items()})
    app = create_app(config)
    app.instance_path = str(root)
    with app.app_context():
        upgrade()
        library = accounts.create_library("JL-SL", "吉林省图书馆", "Jilin Provincial Library")
        contributor = accounts.create_user("c@bench.example.org", library, "contributor", "x" * 12)
        admin = accounts.create_user("a@bench.example.org", library, "admin", "x" * 12)
        collection = collections.create_collection(
            "changbaishan", "natural_history", "长白山动植菌物", "Changbai Mountain"
        )
        base = {"kingdom": "植物", "family": "五加科 Araliaceae", "date": "2011-06-18"}

        def published(local_id: str, uploads: list[ImageUpload]):
            data = {**base, "local_id": local_id, "title": "人参", "scientific_name": "Panax"}
            record = save_new_record(contributor, collection, data, uploads)
            records.submit_record(contributor, record)
            records.publish_record(admin, record)
            return record

        with photo.open("rb") as stream:
            single = published("PHOTO-1", [ImageUpload(stream, "photo.jpg", "照片")])
        many = published(
            "MANY-1",
            [ImageUpload(small_jpeg(n), f"p-{n}.jpg", f"图 {n}") for n in range(CANVASES)],
        )
        ids = {"asset": single.assets[0].public_id, "record": many.public_id}
        db.session.remove()
        db.engine.dispose()
    return ids


def make_bucket(s3_url: str) -> dict[str, str]:
    """A new bucket whose ``bench/public/`` objects anyone may read (docs/nginx-iiif.conf)."""
    import boto3

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"huiku-bench-{os.getpid()}-{int(time.time())}"
    client = boto3.client("s3", endpoint_url=s3_url)
    client.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/bench/public/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return {
        "HUIKU_S3_BUCKET": bucket,
        "HUIKU_S3_ENDPOINT_URL": s3_url,
        "HUIKU_S3_PREFIX": "bench",
        "HUIKU_S3_REGION": "us-east-1",
        "HUIKU_S3_ADDRESSING_STYLE": "path",
    }


# Load ------------------------------------------------------------------------------------


def wrk_load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LATENCY_SCRIPT)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        run = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    finally:
        script.unlink()
    found = {
        key: re.search(pattern, run.stdout)
        for key, pattern in {
            "rps": r"Requests/sec:\s+([\d.]+)",
            "p50": r"P50 (\d+)",
            "p95": r"P95 (\d+)",
            "non2xx": r"NON2XX (\d+)",
        }.items()
    }
    if any(match is None for match in found.values()):
        raise RuntimeError(f"unexpected wrk output:\n{run.stdout}")
    if int(found["non2xx"].group(1)):
        raise RuntimeError(f"{url} gave non-2xx answers under load:\n{run.stdout}")
    return {
        "requests_per_second": round(float(found["rps"].group(1))),
        "p50_ms": round(int(found["p50"].group(1)) / 1000, 2),
        "p95_ms": round(int(found["p95"].group(1)) / 1000, 2),
    }


def median_round(rounds: list[dict]) -> dict:
    """The round of median requests/s, with every round's figure beside it."""
    ordered = sorted(rounds, key=lambda figures: figures["requests_per_second"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["rounds_requests_per_second"] = [figures["requests_per_second"] for figures in rounds]
    return middle


def python_load(url: str, seconds: float, threads: int, headers: dict[str, str]) -> dict:
    """The same from keep-alive ``http.client`` connections in threads (no wrk installed)."""
    host, _, path = url.removeprefix("http://").partition("/")
    times: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.perf_counter() + seconds
    wrong: list[int] = []

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(host, timeout=10)
        while time.perf_counter() < deadline and not wrong:
            started = time.perf_counter()
            connection.request("GET", "/" + path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                wrong.append(response.status)
            times[index].append(time.perf_counter() - started)
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    if wrong:
        raise RuntimeError(f"{url} answered {wrong[0]} under load")
    every = sorted(t for chunk in times for t in chunk)
    return {
        "requests_per_second": round(len(every) / elapsed),
        "p50_ms": round(statistics.median(every) * 1000, 2),
        "p95_ms": round(every[int(len(every) * 0.95)] * 1000, 2),
    }


def check(url: str, headers: dict[str, str], expected: bytes | None, content_type: str) -> bytes:
    """The answer is the kept bytes (when known) with the API's headers."""
    status, sent, body = get(url, headers)
    lowered = {key.lower(): value for key, value in sent.items()}
    assert status == 200, f"{url}: {status}"
    assert expected is None or body == expected, f"{url} sent other bytes"
    if content_type:
        assert lowered.get("content-type") == content_type, f"{url}: {lowered}"
        assert lowered.get("access-control-allow-origin") == "*", f"{url}: {lowered}"
        assert "cookie" not in lowered.get("vary", "").lower(), f"{url}: {lowered}"
    return body


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


# The run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="load per target")
    parser.add_argument("--quick", action="store_true", help="3 s per target")
    parser.add_argument("--rounds", type=int, default=3, help="loads per target (median kept)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=8, help="Python load threads")
    parser.add_argument("--app-port", type=int, help="first gunicorn port (HUIKU_BENCH_APP_PORT)")
    parser.add_argument("--nginx-port", type=int, help="first nginx port (HUIKU_BENCH_NGINX_PORT)")
    parser.add_argument("--s3-url", default=os.environ.get("HUIKU_TEST_S3_URL"))
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--earlier-checkout",
        type=Path,
        help="a checkout of an earlier commit, served too (gunicorn alone) as the goal's anchor",
    )
    parser.add_argument(
        "--earlier-python",
        default=sys.executable,
        help="Python of an environment it is installed in",
    )
    args = parser.parse_args()
    earlier = (
        Earlier(args.earlier_checkout.resolve(), args.earlier_python)
        if args.earlier_checkout
        else None
    )
    seconds = 3.0 if args.quick else args.seconds
    rounds = max(1, args.rounds)
    if find_nginx() is None:
        sys.exit("nginx is not installed: apt-get install nginx (scripts/services/nginx.sh)")
    app_base = port(args.app_port, "HUIKU_BENCH_APP_PORT")
    nginx_base = port(args.nginx_port, "HUIKU_BENCH_NGINX_PORT")
    fixed = bool(args.app_port or os.environ.get("HUIKU_BENCH_APP_PORT"))
    apps = {
        name: (app_base + i if fixed else free_port())
        for i, name in enumerate(("before", "after", "after_s3", "earlier"))
    }
    fixed_nginx = bool(args.nginx_port or os.environ.get("HUIKU_BENCH_NGINX_PORT"))
    web = [nginx_base + i if fixed_nginx else free_port() for i in range(6)]
    if shutil.which("wrk"):
        client = f"wrk (2 threads, {args.connections} connections)"

        def load_once(url: str, headers: dict[str, str]) -> dict:
            return wrk_load(url, seconds, args.connections, headers)
    else:
        client = f"python ({args.threads} threads)"

        def load_once(url: str, headers: dict[str, str]) -> dict:
            return python_load(url, seconds, args.threads, headers)

    def load(url: str, headers: dict[str, str]) -> dict:
        return median_round([load_once(url, headers) for _ in range(rounds)])

    work = Path(tempfile.mkdtemp(prefix="huiku-bench-cached-"))
    results: dict = {
        "benchmark": "cached",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "client": client,
        "seconds_per_round": seconds,
        "rounds_per_target": rounds,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "load_average_before": load_average(),
        "notes": [],
    }
    try:
        results.update(run(work, apps, web, args.s3_url, load, earlier))
    finally:
        if not os.environ.get("HUIKU_BENCH_KEEP"):  # kept for looking at the servers' logs
            shutil.rmtree(work, ignore_errors=True)
    results["load_average_after"] = load_average()
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {args.output}")


def run(
    work: Path,
    apps: dict[str, int],
    web: list[int],
    s3_url: str | None,
    load,
    earlier: Earlier | None,
) -> dict:
    photo = work / "photo.jpg"
    make_photo(photo, PHOTO)
    disk_root, s3_root = work / "disk", work / "s3"
    disk_root.mkdir()
    ids = build_instance(disk_root, photo, None)
    if earlier:  # its own copy: an earlier release may lay out its caches differently
        shutil.copytree(disk_root, work / "earlier")
    s3: dict[str, str] | None = None
    notes = []
    if s3_url:
        s3_root.mkdir()
        s3 = make_bucket(s3_url)
    else:
        notes.append("no S3 server (HUIKU_TEST_S3_URL or --s3-url): object storage not measured")
    try:
        return measure(work, apps, web, load, photo, disk_root, s3_root, ids, s3, notes, earlier)
    finally:
        if s3 is not None:
            remove_bucket(s3_url, s3["HUIKU_S3_BUCKET"])


def remove_bucket(s3_url: str, bucket: str) -> None:
    """The benchmark's bucket and everything in it."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_url)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def measure(
    work: Path,
    apps: dict[str, int],
    web: list[int],
    load,
    photo: Path,
    disk_root: Path,
    s3_root: Path,
    ids: dict[str, str],
    s3: dict[str, str] | None,
    notes: list[str],
    earlier: Earlier | None = None,
) -> dict:
    if s3 is not None:
        s3_ids = build_instance(s3_root, photo, s3)
    tile = f"/iiif/image/3/{ids['asset']}/{TILE}"
    manifest = f"/iiif/3/manifests/{ids['record']}"
    accept = {"Accept": PRESENTATION}
    public = {"HUIKU_IIIF_PUBLIC_ANSWERS": "1"}
    with ExitStack() as stack:
        base_url = f"http://127.0.0.1:{web[0]}"
        for name, root, extra in (
            ("before", disk_root, {}),
            ("after", disk_root, {**public, "HUIKU_BASE_URL": base_url}),
        ):
            stack.enter_context(huiku_server(root, apps[name], work / f"{name}.log", **extra))
        disk_profile = Profile(apps["after"], web[0], web[1], disk_root / "iiif-cache" / "public")
        stack.enter_context(nginx(work / "nginx-disk", disk_profile, web[2], workers=2))
        targets: dict[str, dict[str, str]] = {
            "tile": {
                "nginx static": f"http://127.0.0.1:{web[2]}/static{tile}",
                "nginx profile, local disk": f"{base_url}{tile}",
                "gunicorn alone, before": f"http://127.0.0.1:{apps['before']}{tile}",
                "gunicorn alone, after (disk)": f"http://127.0.0.1:{apps['after']}{tile}",
            },
            "manifest": {
                "nginx static": f"http://127.0.0.1:{web[2]}/static{manifest}",
                "nginx profile, local disk": f"{base_url}{manifest}",
                "gunicorn alone, before": f"http://127.0.0.1:{apps['before']}{manifest}",
                "gunicorn alone, after (disk)": f"http://127.0.0.1:{apps['after']}{manifest}",
            },
        }
        if earlier:
            log = work / "earlier.log"
            stack.enter_context(huiku_server(work / "earlier", apps["earlier"], log, earlier))
            for kind, path in (("tile", tile), ("manifest", manifest)):
                targets[kind][earlier.name] = f"http://127.0.0.1:{apps['earlier']}{path}"
        check(f"http://127.0.0.1:{apps['before']}{tile}", {}, None, "image/jpeg")
        check(f"{base_url}{tile}", {}, None, "image/jpeg")  # kept now
        check(f"{base_url}{manifest}", accept, None, PRESENTATION)
        if s3 is not None:
            s3_url_base = f"http://127.0.0.1:{web[4]}"
            extra = {**public, **s3, "HUIKU_BASE_URL": base_url}
            for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
                extra[variable] = os.environ[variable]
            stack.enter_context(huiku_server(s3_root, apps["after_s3"], work / "s3.log", **extra))
            s3_profile = Profile(
                apps["after_s3"],
                web[3],
                web[4],
                s3_root / "iiif-cache" / "public",
                s3_url=s3["HUIKU_S3_ENDPOINT_URL"],
                bucket=s3["HUIKU_S3_BUCKET"],
                prefix="bench",
            )
            stack.enter_context(nginx(work / "nginx-s3", s3_profile, web[5], workers=2))
            s3_tile = f"/iiif/image/3/{s3_ids['asset']}/{TILE}"
            s3_manifest = f"/iiif/3/manifests/{s3_ids['record']}"
            check(f"http://127.0.0.1:{apps['after_s3']}{s3_tile}", {}, None, "image/jpeg")
            check(f"http://127.0.0.1:{apps['after_s3']}{s3_manifest}", accept, None, PRESENTATION)
            app_s3 = f"http://127.0.0.1:{apps['after_s3']}"
            targets["tile"]["nginx profile, object storage"] = f"{s3_url_base}{s3_tile}"
            targets["tile"]["gunicorn alone, after (S3)"] = f"{app_s3}{s3_tile}"
            targets["manifest"]["nginx profile, object storage"] = f"{s3_url_base}{s3_manifest}"
            targets["manifest"]["gunicorn alone, after (S3)"] = f"{app_s3}{s3_manifest}"
            endpoint = s3["HUIKU_S3_ENDPOINT_URL"].rstrip("/")
            bucket_url = f"{endpoint}/{s3['HUIKU_S3_BUCKET']}/bench/public"
            targets["tile"]["S3 server itself (peer)"] = f"{bucket_url}{s3_tile}"
            targets["manifest"]["S3 server itself (peer)"] = f"{bucket_url}{s3_manifest}"
        measured: dict = {}
        for kind, urls in targets.items():
            headers = accept if kind == "manifest" else {}
            expected = None
            for name, url in urls.items():
                wait_for(url)
                body = check(url, headers, None, "")
                expected = expected or body
                if "S3" not in name and "object" not in name and "code at" not in name:
                    assert body == expected or kind == "manifest", f"{name} sent other bytes"
            measured[kind] = {name: load(url, headers) for name, url in urls.items()}
            static = measured[kind]["nginx static"]["requests_per_second"]
            before = measured[kind]["gunicorn alone, before"]["requests_per_second"]
            anchor = measured[kind].get(earlier.name) if earlier else None
            for figures in measured[kind].values():
                figures["x_nginx_static"] = round(figures["requests_per_second"] / static, 3)
                figures["x_before"] = round(figures["requests_per_second"] / before, 2)
                if anchor:
                    speedup = figures["requests_per_second"] / anchor["requests_per_second"]
                    figures["x_earlier"] = round(speedup, 2)
    goals = {}
    for kind, rows in measured.items():
        for name, figures in rows.items():
            if name.startswith("nginx profile"):
                goals[f"{kind}: {name} ≥ {GOAL_NGINX_RATIO}× nginx static"] = (
                    figures["x_nginx_static"] >= GOAL_NGINX_RATIO
                )
            if name.startswith("gunicorn alone, after"):
                goals[f"{kind}: {name} ≥ {GOAL_GUNICORN_SPEEDUP}× before"] = (
                    figures["x_before"] >= GOAL_GUNICORN_SPEEDUP
                )
                if "x_earlier" in figures:
                    goals[f"{kind}: {name} ≥ {GOAL_GUNICORN_SPEEDUP}× {earlier.name}"] = (
                        figures["x_earlier"] >= GOAL_GUNICORN_SPEEDUP
                    )
    return {
        "tile": TILE,
        "photo": list(PHOTO),
        "manifest_canvases": CANVASES,
        "results": measured,
        "goals_met": goals,
        "notes": notes,
    }


def print_table(results: dict) -> None:
    print(
        f"client: {results['client']}, {results['rounds_per_target']} rounds of "
        f"{results['seconds_per_round']} s per target (median round shown)"
    )
    print(f"load average: {results['load_average_before']} → {results['load_average_after']}")
    for kind, rows in results.get("results", {}).items():
        print(f"\ncached {kind}")
        head = f"{'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'× static':>9} {'× before':>9}"
        earlier = any("x_earlier" in f for f in rows.values())
        print(f"{'target':<36} {head}" + (f" {'× earlier':>10}" if earlier else ""))
        for name, f in rows.items():
            print(
                f"{name:<36} {f['requests_per_second']:>8} {f['p50_ms']:>8.2f} {f['p95_ms']:>8.2f}"
                f" {f['x_nginx_static']:>9.3f} {f['x_before']:>9.2f}"
                + (f" {f['x_earlier']:>10.2f}" if earlier else "")
            )
    for goal, met in results.get("goals_met", {}).items():
        print(f"{'met' if met else 'NOT met'}: {goal}")
    for note in results.get("notes", []):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
