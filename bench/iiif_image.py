"""IIIF Image API speed: Huiku against the IIIF reference implementation, and cached tiles.

Two measurements on one 6000×4000 JPEG, side by side in one run:

1. Uncached CPU time per request (process time, median of ``--repeats``) for a full-resolution
   tile, a quarter-scale tile and the whole image in 512 px: Huiku's whole request path (Flask
   test client, database lookup, rendering, cache write; the response cache emptied before
   each request) against the reference implementation (``iiif`` on PyPI,
   ``IIIFManipulatorPIL.derive`` on the same file). Huiku's pyramid and tiles are built first,
   as ingest and ``huiku iiif-image prepare`` do; their cost is reported separately.
2. Requests per second for one cached tile: through ``huiku serve`` (gunicorn), through nginx
   with ``X-Accel-Redirect``, and through nginx with ``X-Accel-Redirect`` plus a 60 s proxy
   cache in front (the two nginx profiles of docs/nginx-iiif.conf), each as a ratio to nginx
   sending the same file directly. Load comes from ``wrk`` when installed and from a Python
   loop (threads, keep-alive ``http.client``), each against every target.

The reference implementation installs a top-level package named ``iiif``, the same name as
Huiku's own package, so it is never installed into the project's environment: it is installed
with ``pip --target`` into a folder of its own and loaded under another name.

Run::

    apt-get install nginx wrk            # for the throughput part
    python bench/iiif_image.py           # writes bench/results/iiif_image.json
    python bench/iiif_image.py --quick   # fewer repeats, shorter load
"""

from __future__ import annotations

import argparse
import functools
import http.client
import importlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402  (after the path set-up, so the script runs from anywhere)

REFERENCE_VERSION = "1.0.10"
PHOTO_SIZE = (6000, 4000)
UNCACHED_REQUESTS = {
    "full-resolution tile": "0,0,512,512/512,/0/default.jpg",
    "quarter-scale tile": "0,0,2048,2048/512,/0/default.jpg",
    "whole image, !512,512": "full/!512,512/0/default.jpg",
}
CACHED_TILE = "1024,1024,512,512/512,/0/default.jpg"
ACCEL_PREFIX = "/_iiif_cache/"
RESULTS = ROOT / "bench" / "results" / "iiif_image.json"


# The test image ---------------------------------------------------------------------------------


def make_photo(path: Path, size: tuple[int, int] = PHOTO_SIZE) -> Path:
    """A deterministic photograph-like JPEG: smooth colour fields under fine grain (~7 MB,
    about what a 24-megapixel camera writes at this quality)."""
    rng = random.Random(20261126)
    fields = Image.frombytes("RGB", (60, 40), rng.randbytes(60 * 40 * 3))
    picture = fields.resize(size, Image.Resampling.BICUBIC)
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).convert("RGB")
    Image.blend(picture, grain, 0.08).save(path, "JPEG", quality=90)
    return path


# A Huiku instance ----------------------------------------------------------------------------


def instance_environment(root: Path, **extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HUIKU_")}
    environment.update(
        HUIKU_INSTANCE_PATH=str(root),
        HUIKU_DATABASE_URL=f"sqlite:///{root / 'huiku.sqlite3'}",
        HUIKU_STORAGE_ROOT=str(root / "storage"),
        HUIKU_IIIF_CACHE_ROOT=str(root / "iiif-cache"),
        HUIKU_SEARCH_INDEX_PATH=str(root / "search.sqlite3"),
        HUIKU_SECRET_KEY="benchmark-only-secret",
    )
    environment.update(extra)
    return environment


def publish_photo(root: Path, photo: Path) -> tuple[object, str, Path, dict[str, float]]:
    """A fresh instance with the photo published: app, asset id, stored original, timings."""
    os.environ.update(instance_environment(root))
    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.images import file_store
    from repository.images.tasks import build_image_files
    from repository.services import accounts, collections, records

    app = create_app({"ELASTICSEARCH_URL": None})
    with app.app_context():
        upgrade()
        library = accounts.create_library("BENCH", "测试馆", "Benchmark Library")
        contributor = accounts.create_user("c@bench.example", library, "contributor", "pw-123456")
        admin = accounts.create_user("a@bench.example", library, "admin", "pw-123456")
        collection = collections.create_collection("bench", "generic", "测试库", "Bench")
        started = time.perf_counter()
        with photo.open("rb") as stream:
            record = save_new_record(
                contributor,
                collection,
                {"title": "长白山林海", "local_id": "BENCH-1"},
                [ImageUpload(stream, photo.name)],
            )
        ingest_seconds = time.perf_counter() - started
        records.submit_record(contributor, record)
        records.publish_record(admin, record)
        asset = record.assets[0]
        store = file_store()
        started = time.perf_counter()
        build_image_files(store, asset.sha256)  # what the derivative task does
        tiles_seconds = time.perf_counter() - started
        timings = {"ingest_s": ingest_seconds, "tile_set_s": tiles_seconds}
        return app, asset.public_id, store.original_path(asset.sha256), timings


# 1. CPU per uncached request -------------------------------------------------------------------


def huiku_cpu(app, asset_id: str, path: str, repeats: int) -> list[float]:
    cache_root = Path(app.config["IIIF_CACHE_ROOT"])
    client = app.test_client()
    url = f"/iiif/image/3/{asset_id}/{path}"
    assert client.get(url).status_code == 200  # warm: imports, file system cache
    times = []
    for _ in range(repeats):
        shutil.rmtree(cache_root, ignore_errors=True)
        started = time.process_time()
        response = client.get(url)
        times.append(time.process_time() - started)
        assert response.status_code == 200 and len(response.data) > 1000
    return times


def load_reference(folder: Path) -> tuple[ModuleType, ModuleType]:
    """The reference implementation's request and PIL manipulator modules, from ``folder``."""
    package = folder / "iiif"
    if not (package / "manipulator_pil.py").is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(folder),
                f"iiif=={REFERENCE_VERSION}",
            ],
            check=True,
        )
    # Its __init__ imports itself as "iiif" (which is Huiku here); the modules needed import
    # each other relatively, so a bare package under another name is enough to load them.
    alias = ModuleType("iiif_reference")
    alias.__path__ = [str(package)]
    sys.modules["iiif_reference"] = alias
    return (
        importlib.import_module("iiif_reference.request"),
        importlib.import_module("iiif_reference.manipulator_pil"),
    )


def reference_cpu(reference, photo: Path, path: str, repeats: int) -> list[float]:
    request_module, manipulator_module = reference

    def once() -> float:
        started = time.process_time()
        request = request_module.IIIFRequest(api_version="3.0", identifier="photo")
        request.parse_url(path)
        manipulator = manipulator_module.IIIFManipulatorPIL(api_version="3.0")
        try:
            manipulator.derive(srcfile=str(photo), request=request)
            data = Path(manipulator.outfile).read_bytes()
            elapsed = time.process_time() - started
        finally:
            manipulator.cleanup()
        assert len(data) > 1000
        return elapsed

    once()
    return [once() for _ in range(repeats)]


# 2. Cached tiles per second --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@functools.cache
def serve_options(root: Path) -> tuple[str, ...]:
    """``--outbox-interval 0`` where ``huiku serve`` has it: the search outbox thread it starts
    in the gunicorn master is not part of serving images, and a thread running in the master
    while workers are forked can leave a worker stuck (seen here inside sqlite3.connect)."""
    help_text = subprocess.run(
        [str(Path(sys.executable).with_name("huiku")), "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=instance_environment(root),
    ).stdout
    return ("--outbox-interval", "0") if "--outbox-interval" in help_text else ()


@contextmanager
def huiku_server(root: Path, port: int, log: Path, **extra: str) -> Iterator[None]:
    """``huiku serve`` (gunicorn, 2 workers) on this instance, stopped afterwards."""
    command = [str(Path(sys.executable).with_name("huiku")), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2", *serve_options(root)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=instance_environment(root, **extra),
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            try:
                wait_for(f"http://127.0.0.1:{port}/", process)
            except RuntimeError:
                output.flush()
                sys.stderr.write(log.read_text(errors="replace")[-4000:])
                raise
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def nginx_server(root: Path, config: str) -> Iterator[None]:
    folder = root / "nginx"
    folder.mkdir(exist_ok=True)
    (folder / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "stderr.log").open("wb"),
        start_new_session=True,
    )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGQUIT)
        process.wait(timeout=30)


def nginx_config(root: Path, app_port: int, ports: dict[str, int]) -> str:
    """The two deployment profiles of docs/nginx-iiif.conf, plus the file sent directly."""
    cache = root / "iiif-cache"
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 2;
error_log {root}/nginx/error.log warn;
pid {root}/nginx/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    types {{ image/jpeg jpg; image/png png; image/webp webp; }}
    client_body_temp_path {root}/nginx/body;
    proxy_temp_path {root}/nginx/proxy;
    proxy_cache_path {root}/nginx/tile-cache levels=1:2 keys_zone=iiif_tiles:10m
                     max_size=1g inactive=10m use_temp_path=off;
    upstream huiku {{ server 127.0.0.1:{app_port}; keepalive 32; }}

    server {{  # profile 1: the app decides, nginx sends the cached file
        listen 127.0.0.1:{ports["accel"]};
        location /iiif/ {{
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
            add_header Access-Control-Expose-Headers "Link, ETag, Last-Modified" always;
            add_header Link $upstream_http_link always;
            add_header ETag $upstream_http_etag always;
        }}
        location /direct/ {{  # the baseline: the same file, no application involved
            alias {cache}/;
        }}
    }}

    server {{  # profile 2: profile 1 behind a 60-second proxy cache
        listen 127.0.0.1:{ports["microcache"]};
        location /iiif/ {{
            proxy_pass http://127.0.0.1:{ports["accel"]};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_cache iiif_tiles;
            proxy_cache_valid 200 60s;
            proxy_cache_lock on;
            proxy_ignore_headers Cache-Control Expires;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


def wait_for(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            get(url, timeout=5)
            return
        except OSError:
            time.sleep(0.2)
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


def python_load(url: str, seconds: float, threads: int) -> tuple[float, int]:
    """Requests per second from ``threads`` keep-alive connections in this process, and the
    number of requests that failed (timed out or refused; the connection is then reopened)."""
    host, _, path = url.removeprefix("http://").partition("/")
    path = "/" + path
    counts = [0] * threads
    errors = [0] * threads
    wrong: list[int] = []
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(host, timeout=5)
        while time.perf_counter() < deadline:
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except OSError:
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection(host, timeout=5)
                continue
            if response.status != 200:
                wrong.append(response.status)
                break
            counts[index] += 1
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
    return sum(counts) / elapsed, sum(errors)


def wrk_load(url: str, seconds: float, connections: int) -> tuple[float, int]:
    """Requests per second from wrk, and its count of socket errors (timeouts included)."""
    run = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in run.stdout:
        raise RuntimeError(f"{url} gave non-2xx answers under load:\n{run.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{run.stdout}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", run.stdout
    )
    return float(match.group(1)), sum(int(n) for n in errors.groups()) if errors else 0


def check_profile_headers(url: str, expected_body: bytes) -> dict[str, str]:
    """The tile through a profile: same bytes as the cache file, and the API's headers kept."""
    status, headers, body = get(url)
    assert status == 200 and body == expected_body, f"{url} did not send the cached file"
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in ("access-control-allow-origin", "link", "etag", "cache-control"):
        assert name in lowered, f"{url} lost the {name} header: {headers}"
    return lowered


def throughput(root: Path, app, asset_id: str, args) -> dict:
    cache_root = Path(app.config["IIIF_CACHE_ROOT"])
    shutil.rmtree(cache_root, ignore_errors=True)
    tile_path = f"/iiif/image/3/{asset_id}/{CACHED_TILE}"
    plain_port, accel_app_port = free_port(), free_port()
    ports = {"accel": free_port(), "microcache": free_port()}
    clients: dict[str, Callable[[str], tuple[float, int]]] = {
        f"python ({args.threads} threads)": lambda url: python_load(url, args.seconds, args.threads)
    }
    if shutil.which("wrk"):
        clients[f"wrk (2 threads, {args.connections} connections)"] = lambda url: wrk_load(
            url, args.seconds, args.connections
        )
    have_nginx = shutil.which("nginx") is not None
    results: dict = {"server_options": list(serve_options(root)), "clients": {}, "headers": {}}
    results["notes"] = []
    with (
        huiku_server(root, plain_port, root / "gunicorn-plain.log"),
        huiku_server(
            root,
            accel_app_port,
            root / "gunicorn-accel.log",
            HUIKU_IIIF_X_ACCEL_PREFIX=ACCEL_PREFIX,
        ),
    ):
        status, _headers, body = get(f"http://127.0.0.1:{plain_port}{tile_path}")  # renders
        assert status == 200, status
        cached = [p for p in cache_root.rglob("*.jpg")]
        assert len(cached) == 1 and cached[0].read_bytes() == body
        relative = cached[0].relative_to(cache_root).as_posix()
        targets = {"huiku serve (gunicorn)": f"http://127.0.0.1:{plain_port}{tile_path}"}
        if not have_nginx:
            results["notes"].append("nginx is not installed: apt-get install nginx")
            runs = _run_clients(clients, targets, None)
        else:
            with nginx_server(root, nginx_config(root, accel_app_port, ports)):
                direct = f"http://127.0.0.1:{ports['accel']}/direct/{relative}"
                targets["nginx + X-Accel-Redirect"] = (
                    f"http://127.0.0.1:{ports['accel']}{tile_path}"
                )
                targets["nginx + X-Accel-Redirect + 60 s proxy cache"] = (
                    f"http://127.0.0.1:{ports['microcache']}{tile_path}"
                )
                wait_for(direct)
                kept = ("content-type", "cache-control", "etag", "last-modified", "link")
                kept += ("access-control-allow-origin", "x-cache-status")
                for name, url in list(targets.items())[1:]:
                    check_profile_headers(url, body)
                    seen = check_profile_headers(url, body)  # the proxy cache has it now
                    results["headers"][name] = {k: v for k, v in seen.items() if k in kept}
                runs = _run_clients(clients, targets, direct)
        results["clients"] = runs
    return results


def _run_clients(clients, targets: dict[str, str], direct: str | None) -> dict:
    runs = {}
    for client_name, load in clients.items():
        measured = {name: load(url) for name, url in targets.items()}
        rates = {name: round(rate) for name, (rate, _errors) in measured.items()}
        row: dict = {
            "requests_per_second": rates,
            "failed_requests": {name: errors for name, (_rate, errors) in measured.items()},
        }
        if direct is not None:
            baseline = round(load(direct)[0])
            row["nginx_direct_requests_per_second"] = baseline
            row["ratio_to_nginx_direct"] = {
                name: round(rate / baseline, 3) for name, rate in rates.items()
            }
        runs[client_name] = row
    return runs


# Report ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter load")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=8.0, help="load per target")
    parser.add_argument("--threads", type=int, default=8, help="Python load threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument(
        "--reference-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / f"huiku-bench-iiif-reference-{REFERENCE_VERSION}",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.seconds = 5, 3.0

    reference = load_reference(args.reference_dir)
    with tempfile.TemporaryDirectory(prefix="huiku-iiif-bench-") as folder:
        root = Path(folder)
        photo = make_photo(root / "photo.jpg")
        photo_bytes = photo.stat().st_size
        app, asset_id, original, preparation = publish_photo(root / "instance", photo)

        cpu = {}
        for name, path in UNCACHED_REQUESTS.items():
            with app.app_context():
                huiku = statistics.median(huiku_cpu(app, asset_id, path, args.repeats))
            ours = huiku * 1000
            theirs = statistics.median(reference_cpu(reference, original, path, args.repeats))
            theirs *= 1000
            cpu[name] = {
                "request": path,
                "huiku_ms": round(ours, 2),
                "reference_ms": round(theirs, 2),
                "ratio": round(ours / theirs, 3),
            }
        served = {} if args.no_throughput else throughput(root / "instance", app, asset_id, args)

    results = {
        "benchmark": "iiif_image",
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "pillow": Image.__version__,
            "reference": f"iiif {REFERENCE_VERSION} (IIIFManipulatorPIL)",
        },
        "image": {"size": list(PHOTO_SIZE), "bytes": photo_bytes},
        "preparation_seconds": {k: round(v, 3) for k, v in preparation.items()},
        "uncached_cpu_per_request": cpu,
        "cached_tile": {"request": CACHED_TILE, **served},
        "settings": {
            "repeats": args.repeats,
            "load_seconds": args.seconds,
            "python_threads": args.threads,
            "wrk_connections": args.connections,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(results)


def print_table(results: dict) -> None:
    print(f"IIIF Image API, {results['image']['size'][0]}×{results['image']['size'][1]} JPEG")
    prep = results["preparation_seconds"]
    print(f"ingest (verify, store, pyramid): {prep['ingest_s']:.2f} s", end="; ")
    print(f"tile set: {prep['tile_set_s']:.2f} s")
    print()
    print(f"{'uncached CPU per request':<28}{'Huiku ms':>10}{'reference ms':>14}{'ratio':>8}")
    for name, row in results["uncached_cpu_per_request"].items():
        print(f"{name:<28}{row['huiku_ms']:>10.1f}{row['reference_ms']:>14.1f}{row['ratio']:>8.3f}")
    print()
    for client, row in results["cached_tile"].get("clients", {}).items():
        print(f"cached tile, load from {client}")
        baseline = row.get("nginx_direct_requests_per_second")
        if baseline:
            print(f"  {'nginx sending the file directly':<48}{baseline:>10.0f} req/s   1.00×")
        for name, rate in row["requests_per_second"].items():
            ratio = row.get("ratio_to_nginx_direct", {}).get(name)
            shown = f"{ratio:>7.2f}×" if ratio is not None else ""
            failed = row["failed_requests"].get(name)
            shown += f"  ({failed} requests failed)" if failed else ""
            print(f"  {name:<48}{rate:>10.0f} req/s {shown}")
    for note in results["cached_tile"].get("notes", []):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
