"""Serving an instance: gunicorn for the web, and on the embedded defaults one task consumer.

Web processes only serve pages and enqueue work. With Redis configured, ``huiku worker``
processes (on this machine or others) do the work; on the embedded defaults ``huiku serve``
starts one consumer beside gunicorn, so a single command still does everything.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

from gunicorn.app.base import BaseApplication

from repository.app import create_app

_PR_SET_PDEATHSIG = 1


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings of newer gunicorns are skipped on older ones
                self.cfg.set(key, value)

    def load(self):
        return create_app()


def _die_with_parent() -> None:
    """The consumer ends when ``huiku serve`` does, however it ends (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_consumer(workers: int = 1) -> subprocess.Popen:
    """``huiku worker`` as a child process sharing this one's environment."""
    command = [sys.executable, "-m", "repository.cli", "worker", "--workers", str(workers)]
    return subprocess.Popen(command, preexec_fn=_die_with_parent)


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, object]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 120,
        "accesslog": "-",
        "logger_class": "repository.access_log.AccessLogger",
        # One path per user by default: a second instance on the machine would take it
        # over. Huiku does not use gunicorn's control interface.
        "control_socket_disable": True,
    }


def serve_with_gunicorn(host: str, port: int, workers: int, *, consumer: bool) -> None:
    """Run gunicorn in this process; each worker builds its own app from the same settings."""
    instance = os.environ.get("HUIKU_INSTANCE_PATH")
    if instance:
        os.environ["HUIKU_INSTANCE_PATH"] = os.path.abspath(instance)
    child = start_consumer() if consumer else None
    try:
        _Gunicorn(gunicorn_options(host, port, workers)).run()
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
