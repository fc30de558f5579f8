"""IIIF manifest speed: building with iiif-prezi3 against serving the cached bytes.

One published record with 200 images, measured side by side in one run, each figure as a ratio
to ``json.dumps`` of the same manifest (the least any JSON answer costs in Python):

* ``json.dumps``: serialising the finished manifest dict;
* cold build: what the first request after a change costs, i.e. the fingerprint, the build
  with iiif-prezi3 and the cache write (the cache folder emptied before each round);
* cached: what every later request costs, i.e. the fingerprint and reading the cached file;
* the same two through the whole HTTP request (Flask test client: routing, database lookup of
  the record and its images, headers), plus a revalidation answered with 304.

Times are wall-clock medians of ``--repeats`` rounds on one thread.

Run::

    python bench/iiif_manifest.py            # writes bench/results/iiif_manifest.json
    python bench/iiif_manifest.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402  (after the path set-up, so the script runs from anywhere)

IMAGES = 200
RESULTS = ROOT / "bench" / "results" / "iiif_manifest.json"


def small_jpeg(number: int) -> io.BytesIO:
    """A distinct small JPEG per image; the manifest's cost does not depend on pixel count."""
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (number % 256, 80, 160)).save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    return buffer


def publish_record(root: Path):
    """A fresh instance with one published record of ``IMAGES`` images, made by the services."""
    os.environ["HUIKU_INSTANCE_PATH"] = str(root)
    from flask_migrate import upgrade

    from ingest.services import save_new_record
    from ingest.uploads import ImageUpload
    from repository.app import create_app
    from repository.services import accounts, collections, records

    app = create_app({"ELASTICSEARCH_URL": None, "SERVER_NAME": "huiku.bench"})
    with app.app_context():
        upgrade()
        library = accounts.create_library("JL-SL", "吉林省图书馆", "Jilin Provincial Library")
        contributor = accounts.create_user("c@bench.example.org", library, "contributor", "x" * 12)
        admin = accounts.create_user("a@bench.example.org", library, "admin", "x" * 12)
        collection = collections.create_collection(
            "changbaishan", "natural_history", "长白山动植菌物", "Changbai Mountain flora and fauna"
        )
        data = {
            "local_id": "BENCH-1",
            "title": "人参",
            "scientific_name": "Panax ginseng C. A. Mey.",
            "kingdom": "植物",
            "family": "五加科 Araliaceae",
            "aliases": ["棒槌", "山参"],
            "date": "2011-06-18",
            "protection_level": "国家一级",
            "rights": "https://creativecommons.org/licenses/by-nc/4.0/",
        }
        uploads = [ImageUpload(small_jpeg(n), f"ginseng-{n}.jpg", f"图 {n}") for n in range(IMAGES)]
        record = save_new_record(contributor, collection, data, uploads)
        records.submit_record(contributor, record)
        records.publish_record(admin, record)
        return app, record.public_id


def median_seconds(action: Callable[[], object], repeats: int, before=None) -> float:
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(app, public_id: str, repeats: int) -> dict:
    from iiif.manifest_cache import cached_manifest
    from repository.services.records import get_record

    cache = Path(app.config["IIIF_CACHE_ROOT"]) / "manifests"

    def empty_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    with app.test_request_context():
        record = get_record(public_id)
        list(record.assets)  # loaded once, as a request would
        body = cached_manifest(record).body
        document = json.loads(body)
        dumps = median_seconds(lambda: json.dumps(document, ensure_ascii=False), repeats * 10)
        cold = median_seconds(lambda: cached_manifest(record), repeats, before=empty_cache)
        cached = median_seconds(lambda: cached_manifest(record), repeats * 10)

    client = app.test_client()
    url = f"/iiif/3/manifests/{public_id}"
    etag = client.get(url).headers["ETag"]
    http_cold = median_seconds(lambda: client.get(url), repeats, before=empty_cache)
    http_cached = median_seconds(lambda: client.get(url), repeats * 10)
    http_304 = median_seconds(
        lambda: client.get(url, headers={"If-None-Match": etag}), repeats * 10
    )
    assert client.get(url).status_code == 200

    seconds = {
        "json.dumps of the manifest dict": dumps,
        "cold build (fingerprint + iiif-prezi3 + cache write)": cold,
        "cached (fingerprint + file read)": cached,
        "HTTP GET, cold": http_cold,
        "HTTP GET, cached": http_cached,
        "HTTP GET, revalidated (304)": http_304,
    }
    return {
        "manifest_bytes": len(body),
        "canvases": len(document["items"]),
        "rows": [
            {"case": case, "ms": round(value * 1000, 3), "x_json_dumps": round(value / dumps, 2)}
            for case, value in seconds.items()
        ],
    }


def print_table(results: dict) -> None:
    print(f"Manifest of a {results['canvases']}-image record ({results['manifest_bytes']:,} bytes)")
    print(f"{'case':<56} {'ms':>9} {'× json.dumps':>13}")
    for row in results["rows"]:
        print(f"{row['case']:<56} {row['ms']:>9.2f} {row['x_json_dumps']:>13.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats

    root = Path(tempfile.mkdtemp(prefix="huiku-bench-manifest-"))
    try:
        app, public_id = publish_record(root)
        results = measure(app, public_id, repeats)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    results.update(
        {
            "benchmark": "iiif_manifest",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "repeats": repeats,
            "python": platform.python_version(),
            "iiif_prezi3": version("iiif-prezi3"),
            "pydantic": version("pydantic"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        }
    )
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
