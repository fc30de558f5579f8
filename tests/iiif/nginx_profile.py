"""docs/nginx-iiif.conf run as it is documented, with this machine's ports and folders put in.

Used by tests/iiif/test_nginx_profile.py and bench/cached.py. nginx is Debian's, installed by
``scripts/services/nginx.sh ensure`` (CI); it runs in the foreground as this process's child.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED = REPO / "docs" / "nginx-iiif.conf"
START_TIMEOUT = 20
SBIN = "/usr/sbin/nginx"


@dataclass(frozen=True)
class Profile:
    """Where the documented servers listen here."""

    app_port: int
    disk_port: int
    s3_port: int
    public_root: Path
    s3_url: str = "http://127.0.0.1:9"  # unused unless the bucket server is asked
    bucket: str = "unused"
    prefix: str = ""


def find_nginx() -> str | None:
    """nginx's path, installing it through the service script when that is allowed."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path(SBIN).exists() else None)
    if found is None and os.geteuid() == 0:
        script = REPO / "scripts" / "services" / "nginx.sh"
        done = subprocess.run([str(script), "ensure"], capture_output=True, text=True, check=False)
        found = done.stdout.strip() or None
    return found


def documented_servers(profile: Profile) -> str:
    """The documented file with the example host names, ports and folders replaced."""
    text = DOCUMENTED.read_text()
    bucket_host = urlsplit(profile.s3_url).netloc
    object_path = "/".join(part for part in (profile.bucket, profile.prefix, "public") if part)
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{profile.app_port};",
        "server s3.example.org:80;": f"server {bucket_host};",
        "listen 80;": f"listen 127.0.0.1:{profile.disk_port};",
        "listen 8080;": f"listen 127.0.0.1:{profile.s3_port};",
        "/srv/huiku/iiif-cache/public": str(profile.public_root),
        "/huiku-bucket/huiku/public$uri": f"/{object_path}$uri",
        "proxy_set_header Host s3.example.org;": f"proxy_set_header Host {bucket_host};",
    }
    for example, here in replacements.items():
        if example not in text:
            raise AssertionError(f"docs/nginx-iiif.conf no longer has {example!r}")
        text = text.replace(example, here)
    return text


def main_config(folder: Path, profile: Profile, static_port: int, workers: int = 1) -> str:
    temp = "\n".join(
        f"    {kind}_temp_path {folder / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes {workers};
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    map_hash_bucket_size 256;
    types {{ image/jpeg jpg; image/png png; application/json json; }}
    default_type application/octet-stream;
{temp}
    include {folder / "huiku.conf"};
    server {{  # the peer: the same files sent as plain static files
        listen 127.0.0.1:{static_port};
        location /static/ {{ alias {profile.public_root}/; }}
    }}
}}
"""


@contextmanager
def nginx(folder: Path, profile: Profile, static_port: int, workers: int = 1) -> Iterator[None]:
    """nginx with the documented servers (and a plain static server on ``static_port``)."""
    binary = find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (scripts/services/nginx.sh ensure)")
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "temp" / kind).mkdir(parents=True, exist_ok=True)
    (folder / "huiku.conf").write_text(documented_servers(profile))
    (folder / "nginx.conf").write_text(main_config(folder, profile, static_port, workers))
    log = folder / "error.log"
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-e", str(log), "-c", str(folder / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(process, [profile.disk_port, profile.s3_port, static_port], log)
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait(process: subprocess.Popen, ports: list[int], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for port in ports:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited ({process.returncode}):\n{_tail(log)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen on {port}:\n{_tail(log)}") from None
                time.sleep(0.05)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no error log)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
