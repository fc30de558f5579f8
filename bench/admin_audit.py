"""The audit log page at scale: N entries (default 200,000) over 40 libraries in PostgreSQL.

Measures p50/p95 of /admin/audit as an alliance administrator (first page, a page deep in the
log, filtered by library, by action, by actor) and as a library administrator (their library's
entries only), in process with the Flask test client. The peer, measured in the same run, is
the page's own query in plain SQL (count and 50 newest rows), so the table shows what the page
adds to its database work.

    python bench/admin_audit.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench

The database is emptied first: give it one of its own. Writes bench/results/admin_audit.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-1"
LIBRARIES = 40
ACTIONS = ["user.update", "user.create", "collection.update", "token.create", "library.update"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HUIKU_BENCH_DATABASE_URL"))
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "admin_audit.json"))
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (or HUIKU_BENCH_DATABASE_URL) of a database of its own")
    return args


def setup(args: argparse.Namespace, instance: str):
    os.environ["HUIKU_INSTANCE_PATH"] = instance
    os.environ["HUIKU_DATABASE_URL"] = args.database_url
    from repository.app import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "SERVER_NAME": "bench.test"})


def load(app, args: argparse.Namespace) -> dict[str, object]:
    """Schema by the migrations, libraries and administrators, then entries by COPY."""
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy import text

    from repository.extensions import db
    from repository.services import accounts

    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        libraries = [
            accounts.create_library(f"LIB-{n:02d}", f"测试馆{n}") for n in range(LIBRARIES)
        ]
        chief = accounts.create_user(
            "chief@bench.test", libraries[0], "admin", PASSWORD, alliance_admin=True
        )
        local = accounts.create_user("local@bench.test", libraries[7], "admin", PASSWORD)
        ids = [library.id for library in libraries]
        chief_id, local_id = chief.id, local.id
    start = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    raw_url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    columns = (
        "created_at, actor_id, actor_label, action, target_type, target_id, target_label, "
        "library_id, before, after"
    )
    with psycopg.connect(raw_url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY audit_entry ({columns}) FROM STDIN") as copy:
            for n in range(args.entries):
                library = ids[n % LIBRARIES]
                actor = chief_id if n % 3 else local_id
                label = "chief@bench.test" if n % 3 else f"staff{n % 500}@bench.test"
                copy.write_row(
                    (
                        (start + timedelta(seconds=n * 13)).isoformat(),
                        actor,
                        label,
                        ACTIONS[n % len(ACTIONS)],
                        "user",
                        n,
                        f"person{n}@bench.test",
                        library,
                        json.dumps({"name": f"旧名{n}"}, ensure_ascii=False),
                        json.dumps({"name": f"新名{n}"}, ensure_ascii=False),
                    )
                )
        cursor.execute("ANALYZE audit_entry")
    return {"copy_s": round(time.perf_counter() - started, 1)}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
    }


PEER = "peer: the first page's SQL alone"


def show(name: str, figures: dict[str, float]) -> None:
    print(f"{name:36} p50 {figures['p50_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms")


def timed(call, repeat: int) -> dict[str, float]:
    call()  # warm
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return percentiles(samples)


def measure(app, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    from sqlalchemy import text

    from repository.extensions import db

    def page_for(email: str, url: str):
        client = app.test_client()
        answer = client.post("/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 302, answer.status_code

        def get() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return get

    last = args.entries // 50 // 2
    cases = {
        "alliance, first page": ("chief@bench.test", "/admin/audit"),
        f"alliance, page {last}": ("chief@bench.test", f"/admin/audit?page={last}"),
        "alliance, one library": ("chief@bench.test", "/admin/audit?library=LIB-13"),
        "alliance, one action": ("chief@bench.test", "/admin/audit?action=token.create"),
        "alliance, actor contains": ("chief@bench.test", "/admin/audit?actor=staff42"),
        "library admin, own library": ("local@bench.test", "/admin/audit"),
    }
    results = {}
    for name, (email, url) in cases.items():
        results[name] = timed(page_for(email, url), args.repeat)
        show(name, results[name])

    def peer() -> None:
        with app.app_context():
            db.session.execute(text("SELECT count(*) FROM audit_entry")).scalar()
            db.session.execute(
                text("SELECT * FROM audit_entry ORDER BY created_at DESC, id DESC LIMIT 50")
            ).all()
            db.session.remove()

    results[PEER] = timed(peer, args.repeat)
    show(PEER, results[PEER])
    return results


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory() as instance:
        app = setup(args, instance)
        loaded = load(app, args)
        print(f"loaded {args.entries} audit entries in {loaded['copy_s']} s")
        pages = measure(app, args)
    result = {
        "entries": args.entries,
        "libraries": LIBRARIES,
        "repeat": args.repeat,
        "pages": pages,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "note": "in-process (Flask test client, signed in; no HTTP server); shared, loaded machine",
        "python": platform.python_version(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    Path(args.output).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"load average {result['load_average_1_5_15']}; written to {args.output}")


if __name__ == "__main__":
    main()
