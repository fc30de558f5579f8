"""scripts/chart-assets installs only the ECharts release the lock file pins."""

import base64
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "chart-assets"
LOCK = SCRIPT.parent.parent / "templates" / "static" / "charts" / "package-lock.json"


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def test_a_tarball_that_is_not_the_locked_release_is_refused(tmp_path):
    forged = tmp_path / "echarts.tgz"
    files = {"package/dist/echarts.min.js": b"alert(1)", "package/LICENSE": b""}
    forged.write_bytes(tarball(files))
    result = run("--tarball", str(forged), "--target", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "not the locked" in result.stderr and "sha512" in result.stderr
    assert not (tmp_path / "out" / "echarts").exists()


def test_the_lock_file_pins_a_version_and_its_digest():
    entry = json.loads(LOCK.read_text())["packages"]["node_modules/echarts"]
    algorithm, _, digest = entry["integrity"].partition("-")
    assert algorithm == "sha512" and len(base64.b64decode(digest)) == hashlib.sha512().digest_size
    assert entry["version"].count(".") == 2
