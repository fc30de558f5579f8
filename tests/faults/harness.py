"""Real services the fault suite can break: a private PostgreSQL and Redis, a cut-off proxy.

The rest of the test session keeps using its own services (its PostgreSQL holds every test's
rolled-back transaction), so these are throwaway servers of the fault suite alone:

* ``PrivatePostgres`` — a cluster made with ``initdb`` (Debian's /usr/lib/postgresql/*/bin) in a
  fresh folder, on a free loopback port. PostgreSQL refuses to run as root, so under root (CI)
  it runs as the service user ``huiku-svc`` (scripts/services/common.sh) with its state under
  /var/lib/huiku-services/; otherwise as ourselves in a temporary folder.
* ``PrivateRedis`` — ``redis-server`` on a free port keeping nothing on disk, so a restart loses
  the queue, as a production Redis without persistence does.
* ``TcpProxy`` — a second Elasticsearch node would be too heavy, so the engine is made
  unreachable by stopping a small proxy (tcp_proxy.py) that stands in front of the session's
  node; starting it again on the same port brings the engine back.
* ``HuikuProcess`` — ``huiku serve`` (gunicorn) or ``huiku worker`` as a child process.

Each has ``start()``, ``stop()`` and ``restart()``, which wait until the service answers (or is
gone), and ``close()`` for teardown.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
import requests

SERVICE_USER = "huiku-svc"
ROOT_STATE_BASE = Path("/var/lib/huiku-services")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # a service coming up refuses, resets, times out: keep polling
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout:g} s")
        time.sleep(interval)


def is_root() -> bool:
    return os.geteuid() == 0


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    return Path(found[-1]).parent if found else None


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _stop_process(
    process: subprocess.Popen, timeout: float = 15.0, how: signal.Signals = signal.SIGTERM
) -> None:
    """Stop a child we started (it leads a process group of its own) with ``how``, reap it,
    and kill whatever of its group is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, how)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # children it left behind
        os.killpg(process.pid, signal.SIGKILL)


class PrivatePostgres:
    """A PostgreSQL cluster of its own, superuser ``huiku``, trusting loopback connections."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise FileNotFoundError("no PostgreSQL server in /usr/lib/postgresql/*/bin")
        self.bin = bindir
        self.port = free_port()
        if is_root():
            ROOT_STATE_BASE.mkdir(mode=0o755, exist_ok=True)
            self.root = ROOT_STATE_BASE / f"faults-{uuid.uuid4().hex[:12]}"
            self.root.mkdir()
            shutil.chown(self.root, SERVICE_USER, SERVICE_USER)
        else:
            self.root = Path(tempfile.mkdtemp(prefix="huiku-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._run(
            "initdb",
            "-D",
            self.data,
            "-U",
            "huiku",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                "unix_socket_directories = ''\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 100\n"
            )
        self.start()

    def _run(self, program: str, *args: object, timeout: float = 60) -> None:
        command = [str(self.bin / program), *map(str, args)]
        if is_root():
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        subprocess.run(command, cwd="/", check=True, capture_output=True, timeout=timeout)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://huiku@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "huiku", name)
        return self.url(name)

    def running(self) -> bool:
        return port_open(self.port)

    def start(self) -> None:
        if not self.running():
            self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")
        wait_until(self.running, 30, "the private PostgreSQL did not accept connections")

    def stop(self) -> None:
        """A fast shutdown: sessions are cut off, as on a restart or a failover."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")
        wait_until(lambda: not self.running(), 30, "the private PostgreSQL did not stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """``redis-server`` on a free port with no persistence: a restart empties it."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            raise FileNotFoundError("redis-server is not installed (scripts/services/redis.sh)")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        client = redis.Redis(port=self.port, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def start(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                    "--logfile",
                    str(self.workdir / "redis.log"),
                ],
                start_new_session=True,
            )
        wait_until(self.ping, 20, "the private Redis did not answer PING")

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)
        wait_until(lambda: not port_open(self.port), 10, "the private Redis did not stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        if self.process is not None:
            _stop_process(self.process)


class TcpProxy:
    """A proxy on a free port in front of ``target`` (host:port); stopping it cuts the link."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "tcp_proxy.py"),
                    str(self.port),
                    *map(str, self.target),
                ],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_until(lambda: port_open(self.port), 15, "the Elasticsearch proxy did not listen")

    def stop(self) -> None:
        """Kill the proxy: new connections are refused, open ones are cut."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_until(lambda: not port_open(self.port), 10, "the Elasticsearch proxy did not stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        if self.process is not None:
            _stop_process(self.process)


class HuikuProcess:
    """A ``huiku`` command (``serve`` or ``worker``) running as a child process with ``env``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None
        self.ready: Callable[[], bool] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """The pids of the process's children (a worker's Huey worker and scheduler processes)."""
        if not self.alive():
            return []
        found: list[int] = []
        for thread in Path(f"/proc/{self.pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(pid) for pid in (thread / "children").read_text().split()]
        return found

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def start(self, ready: Callable[[], bool] | None = None, timeout: float = 90) -> None:
        """Start the command; with ``ready``, wait until it says the process is ready."""
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "repository.cli", *self.args],
                env={**os.environ, **self.env},
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.ready = ready
        if ready is not None:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.ready is not None and not _quietly(self.ready):
            assert self.alive(), f"huiku {self.args[0]} exited:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"huiku {self.args[0]} not ready in {timeout} s:\n{self.output()[-3000:]}"
            )
            time.sleep(0.2)

    def stop(self) -> None:
        """gunicorn's quick shutdown (SIGQUIT); Huey's consumer stops at once on SIGTERM."""
        how = signal.SIGQUIT if self.args[0] == "serve" else signal.SIGTERM
        if self.process is not None:
            _stop_process(self.process, timeout=30, how=how)

    def kill(self) -> None:
        """``kill -9`` of the whole process group (a worker and its children)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def close(self) -> None:
        """Teardown: the instance is thrown away, so nothing is worth a graceful stop (which
        takes gunicorn and Huey seconds each on a busy machine)."""
        if self.process is not None:
            _stop_process(self.process, timeout=10, how=signal.SIGKILL)


def _quietly(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except Exception:
        return False


def served_app(
    env: dict[str, str], log: Path, workers: int = 2, *, wait: bool = True
) -> tuple[HuikuProcess, str]:
    """``huiku serve --no-consumer`` (gunicorn) on a free port, ready to answer (unless
    ``wait`` is false: then call its ``wait_ready()``)."""
    port = free_port()
    server = HuikuProcess(
        ["serve", "--no-consumer", "--port", str(port), "--workers", str(workers)], env, log
    )
    url = f"http://127.0.0.1:{port}"
    server.start()
    server.ready = lambda: requests.get(f"{url}/", timeout=2).status_code == 200
    if wait:
        server.wait_ready()
    return server, url
