"""IIIF Image API speed: Huiku against IIPImage on the same pyramid, and nginx sending files.

Two photographs (a 6000×4000 camera JPEG and a 1600×1200 demo-size one), each published in a
fresh Huiku instance (SQLite, no other services) ``--copies`` times with different bytes, so
that first requests can be sampled more than once. Huiku's pyramid and tiles are built as the
derivative task does; IIPImage gets a vips pyramidal TIFF of the same file (JPEG tiles of the
same size as Huiku's, quality 85). Servers, all started by the bench and stopped afterwards:

* Huiku: ``huiku serve`` (gunicorn, 2 workers) behind nginx with ``X-Accel-Redirect``
  (profile 1 of docs/nginx-iiif.conf: the application answers each request, nginx sends the
  cached file); for throughput also profile 2 (the same behind a 60 s nginx proxy cache).
* IIPImage: Debian's ``iipsrv`` (IIIF Image API 2), two FastCGI processes behind the same
  nginx, installed by ``scripts/services/iipsrv.sh``.
* nginx sending Huiku's cached answer files directly (the floor for cached files).

Request classes (IIIF 2 and 3 read these paths the same way): a full-resolution tile, a
quarter-scale tile, ``full/pct:25`` and a 200-px-wide thumbnail. **Cold**: the first request
for that URL after ingest (Huiku's response cache empty, each sample another tile or another
copy). **Warm**: the same URLs again. p50/p95 of the wall time seen by one keep-alive client.
**Throughput**: requests per second at ``--connections`` (8) keep-alive connections cycling
through the warm URLs of every class and both images, from ``wrk`` when installed (else a
Python client), with the load average before and after.

Ports come from arguments (free ports by default). Run by hand, never in CI::

    scripts/services/iipsrv.sh ensure          # iipsrv and vips from Debian
    python bench/iiif_image.py --label before  # writes bench/results/iiif_image.json
    python bench/iiif_image.py --label after --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402  (after the path set-up, so the script runs from anywhere)

RESULTS = ROOT / "bench" / "results" / "iiif_image.json"
IMAGES = {"photo 6000×4000": (6000, 4000), "demo 1600×1200": (1600, 1200)}
CLASSES = ("full-resolution tile", "quarter-scale tile", "pct:25", "thumbnail 200,")
TILE = 512
ACCEL_PREFIX = "/_iiif_cache/"
GOAL_LATENCY_RATIO = 1.5
GOAL_THROUGHPUT_RATIO = 0.7


# The photographs ---------------------------------------------------------------------------


def make_photo(path: Path, size: tuple[int, int]) -> bytes:
    """A deterministic photograph-like JPEG: smooth colour fields under fine grain (a 6000×4000
    one is about 7 MB, what a 24-megapixel camera writes at this quality)."""
    rng = random.Random(20261126 + size[0])
    fields = Image.frombytes("RGB", (60, 40), rng.randbytes(60 * 40 * 3))
    picture = fields.resize(size, Image.Resampling.BICUBIC)
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).convert("RGB")
    Image.blend(picture, grain, 0.08).save(path, "JPEG", quality=90)
    return path.read_bytes()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a COM segment after SOI, so that its bytes (and digest) differ."""
    payload = text.encode("ascii")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


# Requests ----------------------------------------------------------------------------------


def class_paths(width: int, height: int) -> dict[str, list[str]]:
    """Each class's request paths (after the identifier), distinct tiles first in the middle."""

    def tiles(scale: int) -> list[str]:
        span = TILE * scale
        found = []
        for y in range(0, height, span):
            for x in range(0, width, span):
                w, h = min(span, width - x), min(span, height - y)
                found.append(((x - width / 2) ** 2 + (y - height / 2) ** 2, x, y, w, h))
        found.sort()
        return [
            f"{x},{y},{w},{h}/{math.ceil(w / scale)},/0/default.jpg" for *_, x, y, w, h in found
        ]

    return {
        "full-resolution tile": tiles(1),
        "quarter-scale tile": tiles(4),
        "pct:25": ["full/pct:25/0/default.jpg"],
        "thumbnail 200,": ["full/200,/0/default.jpg"],
    }


# Servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def instance_environment(root: Path, **extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HUIKU_")}
    environment.update(
        HUIKU_INSTANCE_PATH=str(root),
        HUIKU_DATABASE_URL=f"sqlite:///{root / 'huiku.sqlite3'}",
        HUIKU_STORAGE_ROOT=str(root / "storage"),
        HUIKU_IIIF_CACHE_ROOT=str(root / "iiif-cache"),
        HUIKU_SEARCH_INDEX_PATH=str(root / "search.sqlite3"),
        HUIKU_SECRET_KEY="benchmark-only-secret",
        # The PyPI package ``iiif`` (a test extra) would otherwise shadow Huiku's own.
        PYTHONPATH=str(ROOT),
    )
    environment.update(extra)
    return environment


def publish(root: Path, photos: list[tuple[str, Path]]) -> tuple[dict[str, dict], dict]:
    """A fresh instance with the photos published and their derivatives built (as the task
    does): per photo its asset id, sha256 and build seconds; and the store's file counts."""
    os.environ.update(instance_environment(root))
    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.images import file_store
    from repository.images.tasks import build_image_files
    from repository.services import accounts, collections, records

    app = create_app({"ELASTICSEARCH_URL": None})
    published = {}
    with app.app_context():
        upgrade()
        library = accounts.create_library("BENCH", "测试馆", "Benchmark Library")
        contributor = accounts.create_user("c@bench.example", library, "contributor", "pw-123456")
        admin = accounts.create_user("a@bench.example", library, "admin", "pw-123456")
        collection = collections.create_collection("bench", "generic", "测试库", "Bench")
        store = file_store()
        for number, (key, photo) in enumerate(photos):
            started = time.perf_counter()
            with photo.open("rb") as stream:
                record = save_new_record(
                    contributor,
                    collection,
                    {"title": f"长白山林海 {number}", "local_id": f"BENCH-{number}"},
                    [ImageUpload(stream, photo.name)],
                )
            saved = time.perf_counter() - started
            records.submit_record(contributor, record)
            records.publish_record(admin, record)
            asset = record.assets[0]
            started = time.perf_counter()
            build_image_files(store, asset.sha256)
            published[key] = {
                "asset": asset.public_id,
                "sha256": asset.sha256,
                "save_s": saved,
                "derivatives_s": time.perf_counter() - started,
                "objects": count_objects(store, asset.sha256),
            }
    return published, {}


def count_objects(store: Any, sha256: str) -> dict[str, int]:
    """Files kept for one image (what object storage would hold), by kind."""
    from repository.images.tiles import tile_set_dir

    derivatives = [p for p in store.derivative_dir(sha256).rglob("*") if p.is_file()]
    tiles = [p for p in tile_set_dir(store, sha256).rglob("*") if p.is_file()]
    counts = {
        "original": 1,
        "derivatives": len(derivatives),
        "tiles": len(tiles),
    }
    counts["total"] = sum(counts.values())
    return counts


@contextmanager
def process(command: list[str], log: Path, **env: str) -> Iterator[subprocess.Popen]:
    """A server process in a session of its own, stopped (and its children) afterwards."""
    with log.open("wb") as output:
        child = subprocess.Popen(
            command,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield child
        finally:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def nginx_config(root: Path, ports: dict[str, int], iipsrv_ports: list[int]) -> str:
    """Profile 1 and 2 of docs/nginx-iiif.conf for Huiku, iipsrv by FastCGI, and the files."""
    cache = root / "instance" / "iiif-cache"
    folder = root / "nginx"
    user = "user root;" if os.geteuid() == 0 else ""
    iip_servers = "".join(f"server 127.0.0.1:{port}; " for port in iipsrv_ports)
    return f"""
{user}
worker_processes 2;
error_log {folder}/error.log warn;
pid {folder}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    types {{ image/jpeg jpg; }}
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    proxy_cache_path {folder}/tile-cache levels=1:2 keys_zone=iiif_tiles:10m
                     max_size=1g inactive=10m use_temp_path=off;
    upstream huiku {{ server 127.0.0.1:{ports["huiku"]}; keepalive 32; }}
    # No kept-alive FastCGI connections: iipsrv serves one connection at a time and would wait
    # on an idle one while nginx sends the next request on another.
    upstream iipsrv {{ {iip_servers} }}

    server {{
        listen 127.0.0.1:{ports["nginx"]};
        location /iiif/ {{  # Huiku, profile 1: the app decides, nginx sends the cached file
            proxy_pass http://huiku;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
        location {ACCEL_PREFIX} {{
            internal;
            alias {cache}/;
            etag off;
            add_header Access-Control-Allow-Origin "*" always;
            add_header Link $upstream_http_link always;
            add_header ETag $upstream_http_etag always;
        }}
        location /direct/ {{  # nginx sending Huiku's cached answers, no application involved
            alias {cache}/;
        }}
        location ~ ^/iip/(.*)$ {{  # IIPImage: /iip/<file>/<region>/<size>/<rotation>/<q>.<f>
            fastcgi_pass iipsrv;
            fastcgi_param QUERY_STRING "IIIF=$1";
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param SERVER_NAME $host;
            fastcgi_param SERVER_PORT $server_port;
            fastcgi_param HTTP_HOST $http_host;
        }}
    }}

    server {{  # Huiku, profile 2: profile 1 behind a 60-second proxy cache
        listen 127.0.0.1:{ports["microcache"]};
        location /iiif/ {{
            proxy_pass http://127.0.0.1:{ports["nginx"]};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_cache iiif_tiles;
            proxy_cache_valid 200 60s;
            proxy_cache_lock on;
            proxy_ignore_headers Cache-Control Expires;
        }}
    }}
}}
"""


@contextmanager
def servers(root: Path, args: argparse.Namespace, iipsrv: str) -> Iterator[dict[str, int]]:
    """gunicorn, two iipsrv processes and nginx, answering once this yields their ports."""
    huiku = str(Path(sys.executable).with_name("huiku"))
    ports = {
        "huiku": args.huiku_port or free_port(),
        "nginx": args.nginx_port or free_port(),
        "microcache": args.microcache_port or free_port(),
    }
    iip_ports = args.iipsrv_ports or [free_port(), free_port()]
    folder = root / "nginx"
    folder.mkdir(exist_ok=True)
    (folder / "nginx.conf").write_text(nginx_config(root, ports, iip_ports))
    instance = root / "instance"
    with ExitStack() as stack:
        command = [huiku, "serve", "--host", "127.0.0.1", "--port", str(ports["huiku"])]
        command += ["--workers", "2", "--no-consumer"]
        stack.enter_context(
            process(
                command,
                root / "gunicorn.log",
                **instance_environment(instance, HUIKU_IIIF_X_ACCEL_PREFIX=ACCEL_PREFIX),
            )
        )
        for number, port in enumerate(iip_ports):
            stack.enter_context(
                process(
                    [iipsrv, "--bind", f"127.0.0.1:{port}"],
                    root / f"iipsrv-{number}.log",
                    LOGFILE=str(root / f"iipsrv-{number}.log"),
                    VERBOSITY="0",
                    FILESYSTEM_PREFIX=f"{root / 'tiff'}/",
                    JPEG_QUALITY="85",
                    MAX_IMAGE_CACHE_SIZE="64",
                    MEMCACHED_SERVERS="",
                )
            )
        command = ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf")]
        stack.enter_context(process([*command, "-g", "daemon off;"], folder / "stderr.log"))
        try:
            wait_for(f"http://127.0.0.1:{ports['huiku']}/")
            wait_for(f"http://127.0.0.1:{ports['nginx']}/direct/")
        except RuntimeError:
            for log in (root / "gunicorn.log", folder / "stderr.log", folder / "error.log"):
                if log.exists():
                    sys.stderr.write(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
            raise
        yield ports


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            get(url, timeout=5)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


def get(url: str, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# Measuring ---------------------------------------------------------------------------------


class Client:
    """One keep-alive connection per host, timing each request from sending to the last byte."""

    def __init__(self) -> None:
        self.connections: dict[str, http.client.HTTPConnection] = {}

    def time(self, url: str) -> tuple[float, bytes]:
        host, _, path = url.removeprefix("http://").partition("/")
        connection = self.connections.get(host)
        if connection is None:
            connection = self.connections[host] = http.client.HTTPConnection(host, timeout=60)
        started = time.perf_counter()
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}: {body[:200]!r}")
        return elapsed, body

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "n": len(ordered),
    }


def latencies(
    published: dict[str, dict], urls: dict[str, Any], ports: dict[str, int], args
) -> dict[str, Any]:
    """p50/p95 per image and class, cold then warm, for Huiku, iipsrv and (warm) nginx."""
    base = f"http://127.0.0.1:{ports['nginx']}"
    app = f"http://127.0.0.1:{ports['huiku']}"
    client = Client()
    results: dict[str, Any] = {}
    try:
        for image in IMAGES:
            copies = [key for key in published if key[0] == image]
            results[image] = {}
            for name in CLASSES:
                cold: dict[str, list[float]] = {"huiku": [], "iipsrv": []}
                for key in copies:
                    for path in urls[image][name][: args.tiles_per_copy]:
                        asset, tiff = published[key]["asset"], published[key]["tiff"]
                        cold["huiku"].append(client.time(f"{base}/iiif/image/3/{asset}/{path}")[0])
                        cold["iipsrv"].append(client.time(f"{base}/iip/{tiff}/{path}")[0])
                first = published[copies[0]]
                path = urls[image][name][0]
                targets = {
                    "huiku": f"{base}/iiif/image/3/{first['asset']}/{path}",
                    "iipsrv": f"{base}/iip/{first['tiff']}/{path}",
                    "nginx static": f"{base}/direct/{accel_path(app, first['asset'], path)}",
                }
                warm: dict[str, list[float]] = {target: [] for target in targets}
                for url in targets.values():
                    client.time(url)
                for _ in range(args.warm):
                    for target, url in targets.items():
                        warm[target].append(client.time(url)[0])
                row = {
                    "request": path,
                    "cold": {target: percentiles(values) for target, values in cold.items()},
                    "warm": {target: percentiles(values) for target, values in warm.items()},
                }
                for phase in ("cold", "warm"):
                    ours, theirs = row[phase]["huiku"]["p50_ms"], row[phase]["iipsrv"]["p50_ms"]
                    row[phase]["huiku_to_iipsrv_p50"] = round(ours / theirs, 2)
                results[image][name] = row
    finally:
        client.close()
    return results


def accel_path(app: str, asset: str, path: str) -> str:
    """Where Huiku's cache keeps this answer: the X-Accel-Redirect the application sends."""
    status, headers, _ = get(f"{app}/iiif/image/3/{asset}/{path}", timeout=20)
    assert status == 200, status
    return headers["X-Accel-Redirect"].removeprefix(ACCEL_PREFIX)


def throughput(targets: dict[str, list[str]], args) -> dict[str, Any]:
    """Requests per second per target, each cycling through its warm URLs."""
    rates: dict[str, float] = {}
    failed: dict[str, int] = {}
    client = "wrk" if shutil.which("wrk") and not args.python_load else "python"
    for name, urls in targets.items():
        for url in urls:  # every answer is cached (and in iipsrv's memory) before loading
            assert get_retrying(url) == 200, url
        load = wrk_load if client == "wrk" else python_load
        rates[name], failed[name] = load(urls, args.seconds, args.connections)
    return {
        "client": f"{client}, {args.connections} connections, {args.seconds:g} s per target",
        "requests_per_second": {name: round(rate) for name, rate in rates.items()},
        "failed_requests": failed,
    }


def get_retrying(url: str, tries: int = 4) -> int:
    """The status of ``url``, asked again after a timeout (a gunicorn worker that hung is
    replaced after its 30 s timeout)."""
    for attempt in range(tries):
        try:
            return get(url, timeout=20)[0]
        except TimeoutError:
            print(f"timed out: {url} (attempt {attempt + 1})", file=sys.stderr)
    raise RuntimeError(f"no answer from {url}")


def wrk_load(urls: list[str], seconds: float, connections: int) -> tuple[float, int]:
    """wrk cycling through ``urls`` (all on one host) with a Lua script."""
    host = urls[0].removeprefix("http://").partition("/")[0]
    paths = ", ".join(
        json.dumps("/" + url.removeprefix("http://").partition("/")[2]) for url in urls
    )
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        f"local paths = {{{paths}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    )
    try:
        run = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                str(script),
                f"http://{host}/",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        script.unlink()
    if "Non-2xx" in run.stdout:
        raise RuntimeError(f"non-2xx answers under load:\n{run.stdout}")
    rate = float(run.stdout.split("Requests/sec:")[1].split()[0])
    errors = 0
    if "Socket errors:" in run.stdout:
        line = run.stdout.split("Socket errors:")[1].splitlines()[0]
        errors = sum(int(part.split()[-1]) for part in line.split(","))
    return rate, errors


def python_load(urls: list[str], seconds: float, connections: int) -> tuple[float, int]:
    """Threads with keep-alive connections cycling through ``urls``: requests/s and failures."""
    counts, errors = [0] * connections, [0] * connections
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        client = Client()
        position = index
        while time.perf_counter() < deadline:
            try:
                client.time(urls[position % len(urls)])
            except (OSError, RuntimeError):
                errors[index] += 1
                client.close()
                client = Client()
            counts[index] += 1
            position += 1
        client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(errors)


# Report ------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "pillow": Image.__version__}
    for package in ("iipimage-server", "libvips-tools", "nginx-core", "nginx"):
        run = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True
        )
        if run.returncode == 0 and run.stdout:
            found[package] = run.stdout
    return found


def ensure_tools() -> tuple[str, str]:
    """iipsrv's and vips's paths, installed from Debian by scripts/services/iipsrv.sh."""
    run = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services" / "iipsrv.sh"), "ensure"],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"iipsrv is needed: {run.stderr.strip()}")
    iipsrv, vips = run.stdout.split()
    return iipsrv, vips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="after", help="name of this run in the results")
    parser.add_argument("--copies", type=int, default=4, help="copies of each photograph")
    parser.add_argument("--tiles-per-copy", type=int, default=4, help="cold tiles per copy")
    parser.add_argument("--warm", type=int, default=30, help="warm requests per URL")
    parser.add_argument("--seconds", type=float, default=8.0, help="load per target")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--python-load", action="store_true", help="a Python client, not wrk")
    parser.add_argument("--huiku-port", type=int, help="gunicorn's port (default: a free one)")
    parser.add_argument("--nginx-port", type=int, help="nginx's port (default: a free one)")
    parser.add_argument("--microcache-port", type=int, help="profile 2's port")
    parser.add_argument("--iipsrv-ports", type=int, nargs=2, help="the two iipsrv processes")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-output", action="store_true")
    args = parser.parse_args()

    iipsrv, vips = ensure_tools()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="huiku-iiif-bench-") as folder:
        root = Path(folder)
        (root / "tiff").mkdir()
        photos, tiff_seconds = [], {}
        for image, size in IMAGES.items():
            jpeg = make_photo(root / "picture.jpg", size)
            for copy in range(args.copies):
                path = root / f"{size[0]}x{size[1]}-{copy}.jpg"
                path.write_bytes(with_comment(jpeg, f"copy {copy}"))
                photos.append(((image, copy), path))
                started = time.perf_counter()
                command = [vips, "tiffsave", str(path), str(root / "tiff" / f"{path.stem}.tif")]
                command += ["--tile", "--pyramid", "--compression", "jpeg", "--Q", "85"]
                command += [f"--tile-width={TILE}", f"--tile-height={TILE}"]
                subprocess.run(command, check=True)
                tiff_seconds.setdefault(image, []).append(time.perf_counter() - started)
        published, _ = publish(root / "instance", photos)
        for (image, copy), path in photos:
            published[(image, copy)]["tiff"] = f"{path.stem}.tif"
        urls = {image: class_paths(*size) for image, size in IMAGES.items()}
        with servers(root, args, iipsrv) as ports:
            measured = latencies(published, urls, ports, args)
            load_between = os.getloadavg()
            app = f"http://127.0.0.1:{ports['huiku']}"
            base = f"http://127.0.0.1:{ports['nginx']}"
            cached = f"http://127.0.0.1:{ports['microcache']}"
            warm = [
                (published[(image, 0)], urls[image][name][0])
                for image in IMAGES
                for name in CLASSES
            ]
            targets = {
                "huiku (nginx + X-Accel-Redirect)": [
                    f"{base}/iiif/image/3/{p['asset']}/{path}" for p, path in warm
                ],
                "huiku (+ 60 s nginx proxy cache)": [
                    f"{cached}/iiif/image/3/{p['asset']}/{path}" for p, path in warm
                ],
                "iipsrv (nginx + FastCGI)": [f"{base}/iip/{p['tiff']}/{path}" for p, path in warm],
                "nginx static (cached files)": [
                    f"{base}/direct/{accel_path(app, p['asset'], path)}" for p, path in warm
                ],
            }
            served = throughput(targets, args)
    rates = served["requests_per_second"]
    iip_rate = rates["iipsrv (nginx + FastCGI)"]
    static_rate = rates["nginx static (cached files)"]
    served["ratio_to_iipsrv"] = {name: round(rate / iip_rate, 2) for name, rate in rates.items()}
    served["ratio_to_nginx_static"] = {
        name: round(rate / static_rate, 2) for name, rate in rates.items()
    }
    photo = next(iter(IMAGES))
    first = published[(photo, 0)]
    latency_met = all(
        row[phase]["huiku_to_iipsrv_p50"] <= GOAL_LATENCY_RATIO
        for classes in measured.values()
        for row in classes.values()
        for phase in ("cold", "warm")
    )
    run = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_1_5_15_min_before": [round(v, 2) for v in load_before],
            "load_1_5_15_min_after_latency": [round(v, 2) for v in load_between],
            "load_1_5_15_min_after": [round(v, 2) for v in os.getloadavg()],
        },
        "versions": versions(),
        "settings": {
            "copies": args.copies,
            "cold_tiles_per_copy": args.tiles_per_copy,
            "warm_requests_per_url": args.warm,
        },
        "preparation_s": {
            image: {
                "huiku_save_p50": round(
                    statistics.median(v["save_s"] for k, v in published.items() if k[0] == image),
                    3,
                ),
                "huiku_derivatives_p50": round(
                    statistics.median(
                        v["derivatives_s"] for k, v in published.items() if k[0] == image
                    ),
                    3,
                ),
                "vips_pyramid_tiff_p50": round(statistics.median(tiff_seconds[image]), 3),
            }
            for image in IMAGES
        },
        "objects_per_24_megapixel_image": {"huiku": first["objects"], "iipsrv": 1},
        "latency": measured,
        "throughput": served,
        "goals": {
            "latency_p50_at_most_iipsrv_times": GOAL_LATENCY_RATIO,
            "latency_met": latency_met,
            "throughput_at_least_iipsrv_times": GOAL_THROUGHPUT_RATIO,
            "throughput_met": served["ratio_to_iipsrv"]["huiku (nginx + X-Accel-Redirect)"]
            >= GOAL_THROUGHPUT_RATIO,
        },
    }
    print_table(args.label, run)
    if args.no_output:
        return
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    if results.get("benchmark") != "iiif_image" or "runs" not in results:
        results = {}
    results["benchmark"] = "iiif_image"
    results.setdefault("runs", {})[args.label] = run
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output}")


def print_table(label: str, run: dict) -> None:
    machine = run["machine"]
    print(f"IIIF Image API, run '{label}', load {machine['load_1_5_15_min_before']} before")
    print(
        f"{'image / class':<40}{'phase':<6}{'Huiku p50/p95':>16}{'iipsrv p50/p95':>16}"
        f"{'ratio':>7}{'nginx p50':>10}"
    )
    for image, classes in run["latency"].items():
        for name, row in classes.items():
            for phase in ("cold", "warm"):
                ours, theirs = row[phase]["huiku"], row[phase]["iipsrv"]
                static = row[phase].get("nginx static")
                print(
                    f"{image + ' / ' + name:<40}{phase:<6}"
                    f"{ours['p50_ms']:>8.2f}/{ours['p95_ms']:<7.2f}"
                    f"{theirs['p50_ms']:>8.2f}/{theirs['p95_ms']:<7.2f}"
                    f"{row[phase]['huiku_to_iipsrv_p50']:>7.2f}"
                    f"{static['p50_ms'] if static else '':>10}"
                )
    served = run["throughput"]
    print(f"\nthroughput, {served['client']}")
    for name, rate in served["requests_per_second"].items():
        print(
            f"  {name:<40}{rate:>8} req/s  {served['ratio_to_iipsrv'][name]:>5.2f}× iipsrv"
            f"  {served['ratio_to_nginx_static'][name]:>5.2f}× nginx static"
        )
    print(f"objects per 24-megapixel image: {run['objects_per_24_megapixel_image']}")
    print(f"load after: {machine['load_1_5_15_min_after']}; goals: {run['goals']}")


if __name__ == "__main__":
    main()
