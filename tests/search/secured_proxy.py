"""An nginx in front of the test Elasticsearch node that plays a secured cluster's part.

The node the project assembles (scripts/services/elasticsearch.sh) has no security module, while
a stock Elasticsearch 9 has TLS and authentication on. This proxy adds both: HTTPS with a
certificate signed by a CA made here, and two ports, one asking for a user and password
(``auth_basic`` with an htpasswd file), one for an API key (the ``Authorization: ApiKey …``
header must be the one issued here). nginx is Debian's, installed by
``scripts/services/nginx.sh ensure`` in CI; it runs in the foreground as this process's child,
with every path (pid, logs, temporary files) in its own temporary folder, removed afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REQUIRE_SERVICES

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class SecuredProxy:
    basic_url: str  # https, asks for username / password
    api_key_url: str  # https, asks for the API key
    ca_certs: str  # the CA that signed the proxy's certificate (PEM)
    fingerprint: str  # SHA-256 of the proxy's certificate, hex
    ca_fingerprint: str  # SHA-256 of the CA's certificate (the proxy sends the chain, as nodes do)
    username: str
    password: str
    api_key: str  # base64 of "id:key", as Elasticsearch issues it


def nginx_binary() -> str:
    """nginx's path: installed by the service script in CI, else skip when it is missing."""
    if REQUIRE_SERVICES:
        done = subprocess.run(
            [str(REPO / "scripts/services/nginx.sh"), "ensure"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"scripts/services/nginx.sh ensure failed:\n{done.stderr[-2000:]}")
        return done.stdout.strip().splitlines()[-1]
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not found:
        pytest.skip("nginx is not installed (scripts/services/nginx.sh ensure installs it)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(
    folder: Path, names: str = "IP:127.0.0.1,DNS:localhost"
) -> tuple[Path, Path, Path]:
    """A CA, and a certificate for ``names`` (127.0.0.1 by default) signed by it: (ca.pem,
    the server's chain, server.key)."""
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=Huiku test CA", "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr",
        cwd=folder,
    )  # fmt: skip
    (folder / "server.ext").write_text(
        f"subjectAltName={names}\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\n"
        "subjectKeyIdentifier=hash\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
        cwd=folder,
    )  # fmt: skip
    chain = folder / "chain.pem"  # what the proxy sends: its certificate, then the CA's
    chain.write_text((folder / "server.pem").read_text() + (folder / "ca.pem").read_text())
    return folder / "ca.pem", chain, folder / "server.key"


def certificate_fingerprint(pem: Path) -> str:
    """SHA-256 of the first certificate in a PEM file, hex."""
    end = "-----END CERTIFICATE-----"
    first = pem.read_text().split(end)[0] + end + "\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest()


def htpasswd_line(username: str, password: str) -> str:
    hashed = subprocess.run(
        ["openssl", "passwd", "-apr1", password], check=True, capture_output=True, text=True
    ).stdout.strip()
    return f"{username}:{hashed}\n"


def _worker_user() -> str | None:
    """Workers run as an unprivileged user when the master runs as root."""
    if os.geteuid() != 0:
        return None
    for name in ("huiku-svc", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def nginx_config(
    folder: Path,
    upstream: str,
    ports: tuple[int, int],
    api_key: str,
    certificate: Path,
    key: Path,
    user: str | None,
) -> str:
    address = urlsplit(upstream).netloc
    temp = "\n".join(
        f"    {kind}_temp_path {folder / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    tls = f"""
        ssl_certificate {certificate};
        ssl_certificate_key {key};"""
    proxied = """
            proxy_pass http://node;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "";"""
    return f"""
{f"user {user};" if user else ""}
worker_processes 1;
daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 128; }}
http {{
    access_log {folder / "access.log"};
{temp}
    client_max_body_size 100m;
    map_hash_bucket_size 256;
    map $http_authorization $api_key_accepted {{
        "ApiKey {api_key}" 1;
        default 0;
    }}
    upstream node {{
        server {address};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{ports[0]} ssl;{tls}
        auth_basic "Huiku test cluster";
        auth_basic_user_file {folder / "htpasswd"};
        location / {{{proxied}
        }}
    }}
    server {{
        listen 127.0.0.1:{ports[1]} ssl;{tls}
        location / {{
            if ($api_key_accepted = 0) {{
                add_header WWW-Authenticate "ApiKey" always;
                return 401;
            }}{proxied}
        }}
    }}
}}
"""


def _wait_until_listening(process: subprocess.Popen, ports: tuple[int, int], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    waiting = list(ports)
    while waiting:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited ({process.returncode}):\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"nginx did not listen on {waiting} in {START_TIMEOUT} s:\n{_tail(log)}"
            )
        try:
            socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.5).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.1)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no error log)"


@contextmanager
def secured_proxy(upstream: str) -> Iterator[SecuredProxy]:
    """Run the proxy in front of ``upstream`` (the test node's http URL) for the block."""
    binary = nginx_binary()
    folder = Path(tempfile.mkdtemp(prefix="huiku-nginx-"))
    process: subprocess.Popen | None = None
    try:
        user = _worker_user()
        ca, certificate, key = make_certificates(folder)
        username, password = "huiku", secrets.token_urlsafe(12)
        api_key = base64.b64encode(
            f"{secrets.token_hex(10)}:{secrets.token_urlsafe(16)}".encode()
        ).decode()
        (folder / "htpasswd").write_text(htpasswd_line(username, password))
        ports = (free_port(), free_port())
        (folder / "nginx.conf").write_text(
            nginx_config(folder, upstream, ports, api_key, certificate, key, user)
        )
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / "temp" / kind).mkdir(parents=True)
        if user:  # the workers read the password file and write temporary files
            info = pwd.getpwnam(user)
            for path in [
                folder,
                folder / "htpasswd",
                *(folder / "temp").rglob("*"),
                folder / "temp",
            ]:
                os.chown(path, info.pw_uid, info.pw_gid)
            folder.chmod(0o755)
        error_log = folder / "error.log"
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-e", str(error_log), "-c", str(folder / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_until_listening(process, ports, error_log)
        yield SecuredProxy(
            basic_url=f"https://127.0.0.1:{ports[0]}",
            api_key_url=f"https://127.0.0.1:{ports[1]}",
            ca_certs=str(ca),
            fingerprint=certificate_fingerprint(certificate),  # the first in the chain file
            ca_fingerprint=certificate_fingerprint(ca),
            username=username,
            password=password,
            api_key=api_key,
        )
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
