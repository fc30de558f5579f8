"""Schemathesis holds the served API to its published description, operation by operation.

A real server (``tests.live_server``: a werkzeug thread on its own SQLite database, so what is
seeded here is committed and visible to the server's threads) is seeded with a library, an
account with an API token, one collection per profile and records in every state; then the
``st run`` command generates requests from ``/api/openapi.json`` (valid and invalid ones) and
fails on any server error, any answer that does not match the description, any wrong content
type, and any invalid request the server accepts.

The path parameters (collection slugs, record and job ids) are drawn mostly from what was
seeded, so the operations are exercised beyond their 404s.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from repository.models import RecordStatus
from repository.services import accounts, collections, records
from tests.factories import PASSWORD, SAMPLE_METADATA
from tests.ingest.api_client import issue_token
from tests.live_server import LiveServer

pytestmark = pytest.mark.schemathesis

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "content_type_conformance",
    "negative_data_rejection",
)
MAX_EXAMPLES = 50
TIME_LIMIT = 300  # seconds for the whole run; the subprocess is killed after it
SEED = 20261202
DRAFTS = 6  # extra drafts per collection, for the submit operation to use up


def _seed(live_server: LiveServer) -> dict[str, list[str]]:
    """Everything the fuzzed requests may name, and the token they send."""
    from ingest.services import save_new_record

    with live_server.context():
        library = accounts.create_library("ST-LIB", "模糊测试图书馆", "Fuzzing Library")
        contributor = accounts.create_user("st-api@example.org", library, "contributor", PASSWORD)
        admin = accounts.create_user("st-admin@example.org", library, "admin", PASSWORD)
        slugs, record_ids, drafts = [], [], []
        for profile in ("natural_history", "ich", "generic"):
            slug = f"st-{profile.replace('_', '-')}"
            collection = collections.create_collection(
                slug, profile, f"模糊测试 {profile}", f"Fuzzing {profile}"
            )
            slugs.append(slug)
            states = [*RecordStatus, *[RecordStatus.DRAFT] * DRAFTS]
            for n, status in enumerate(states):
                metadata = {**SAMPLE_METADATA[profile], "local_id": f"ST-{profile}-{n}"}
                record = save_new_record(contributor, collection, metadata, [])
                if status is not RecordStatus.DRAFT:
                    records.submit_record(contributor, record)
                if status in (RecordStatus.PUBLISHED, RecordStatus.WITHDRAWN):
                    records.publish_record(admin, record)
                if status is RecordStatus.WITHDRAWN:
                    records.withdraw_record(admin, record)
                # drafts beyond the first are kept for submitting, so editing finds drafts left
                (drafts if n > len(RecordStatus) else record_ids).append(record.public_id)
        token = issue_token(contributor)
    return {"token": [token], "slugs": slugs, "records": record_ids, "drafts": drafts}


def _start_import(live_server: LiveServer, token: str, slug: str) -> str:
    """A queued import job, so the job endpoints have one to find."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["local_id", "title", "scientific_name", "kingdom"])
    writer.writerow(["ST-IMPORT-1", "人参", "Panax ginseng", "植物"])
    response = requests.post(
        f"{live_server.url}/api/collections/{slug}/imports",
        headers={"Authorization": f"Bearer {token}"},
        files={"table": ("plants.csv", table.getvalue().encode(), "text/csv")},
        data={"dry_run": "true"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _config(seeded: dict[str, list[str]], job_ids: list[str]) -> str:
    """schemathesis.toml: path parameters mostly taken from the seeded data."""
    dictionaries = {
        "slugs": seeded["slugs"],
        "records": seeded["records"],
        "drafts": seeded["drafts"],
        "jobs": job_ids,
    }
    lines = []
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]

    def bind(parameter: str, dictionary: str) -> str:
        return f'"path.{parameter}" = {{ dictionary = "{dictionary}", probability = 0.9 }}'

    lines += [
        "[parameters]",
        bind("slug", "slugs"),
        bind("public_id", "records"),
        bind("job_id", "jobs"),
        "",
        "[[operations]]",
        'include-operation-id = "submitRecord"',
        "[operations.parameters]",
        bind("public_id", "drafts"),
    ]
    return "\n".join(lines) + "\n"


def test_the_served_api_keeps_to_its_description(live_server: LiveServer, tmp_path: Path):
    seeded = _seed(live_server)
    token = seeded["token"][0]
    job_ids = [_start_import(live_server, token, seeded["slugs"][0])]
    document = requests.get(f"{live_server.url}/api/openapi.json", timeout=30).json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }

    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(seeded, job_ids), encoding="utf-8")
    report = tmp_path / "report.ndjson"
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
    ]
    started = time.monotonic()
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=TIME_LIMIT, cwd=tmp_path, check=False
    )
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    tested = _tested_operations(report)
    assert run.returncode == 0, output[-20000:]
    assert set(tested) == operations, (sorted(operations - set(tested)), output[-5000:])
    # not vacuous: every operation got past the token and the path to a success at least once
    unsuccessful = sorted(op for op, codes in tested.items() if not any(c < 300 for c in codes))
    assert unsuccessful == [], unsuccessful
    print(f"schemathesis: {len(tested)} operations in {elapsed:.0f} s")


def _tested_operations(report: Path) -> dict[str, set[int]]:
    """Each operation the generated phases sent requests to, with the statuses it answered."""
    statuses: dict[str, set[int]] = {}
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished or finished["phase"] not in ("coverage", "fuzzing"):
            continue
        recorder = finished["recorder"]
        for interaction in recorder.get("interactions", {}).values():
            if interaction.get("response"):
                code = interaction["response"]["status_code"]
                statuses.setdefault(recorder["label"], set()).add(code)
    return statuses
