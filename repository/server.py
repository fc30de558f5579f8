"""Serving an instance with gunicorn from the ``huiku`` command."""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from repository.app import create_app


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app()


def serve_with_gunicorn(host: str, port: int, workers: int) -> None:
    """Run gunicorn in this process; each worker builds its own app from the same configuration."""
    instance = os.environ.get("HUIKU_INSTANCE_PATH")
    if instance:
        os.environ["HUIKU_INSTANCE_PATH"] = os.path.abspath(instance)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
        }
    ).run()
