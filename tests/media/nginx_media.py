"""nginx in front of Huiku for recordings, as docs/media.md describes: the app answers with
``X-Accel-Redirect`` (``MEDIA_X_ACCEL_PREFIX``) and nginx sends the file, ranges and all. A
second server sends the same store as plain static files, the peer of bench/transcode.py.

Used by tests/media/test_nginx_media.py and bench/transcode.py. nginx is Debian's
(``scripts/services/nginx.sh ensure``); it runs in the foreground as this process's child.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.iiif.nginx_profile import find_nginx

PREFIX = "/_media/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config(folder: Path, storage: Path, app_port: int, port: int, static_port: int) -> str:
    temp = "\n".join(
        f"    {kind}_temp_path {folder / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    default_type application/octet-stream;
{temp}
    server {{
        listen 127.0.0.1:{port};
        location {PREFIX} {{
            internal;
            alias {storage}/;
            # nginx keeps only the type and caching headers of the answer it replaces
            add_header Access-Control-Allow-Origin $upstream_http_access_control_allow_origin;
            add_header Access-Control-Expose-Headers
                       $upstream_http_access_control_expose_headers;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $http_host;
        }}
    }}
    server {{  # the peer: the same files as plain static files
        listen 127.0.0.1:{static_port};
        location /static/ {{ alias {storage}/; }}
    }}
}}
"""


@contextmanager
def nginx_for_media(folder: Path, storage: Path, app_port: int) -> Iterator[tuple[str, str]]:
    """Run nginx; yields the URL of the proxy and of the static peer."""
    binary = find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (scripts/services/nginx.sh ensure)")
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "temp" / kind).mkdir(parents=True, exist_ok=True)
    port, static_port = free_port(), free_port()
    (folder / "nginx.conf").write_text(config(folder, storage, app_port, port, static_port))
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(folder),
            "-e",
            str(folder / "error.log"),
            "-c",
            str(folder / "nginx.conf"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        for wanted in (port, static_port):
            while True:
                if process.poll() is not None:
                    raise RuntimeError((folder / "error.log").read_text()[-2000:])
                try:
                    socket.create_connection(("127.0.0.1", wanted), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{static_port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
