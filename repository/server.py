"""Serving an instance with gunicorn from the ``huiku`` command."""

from __future__ import annotations

import os
import threading

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


def _background_work(interval: float, lock_path: str):
    """A gunicorn ``post_worker_init`` hook: each worker starts its import checkers, resumes
    imports a restart cut short, runs a thread that keeps the search index catching up
    (retrying after an engine outage) and one that deletes the uploads of long-finished imports
    hourly; file locks let one worker at a time do each job.

    It starts after the fork, never in the master: threads and open connections do not survive
    a fork intact.
    """

    def post_worker_init(worker) -> None:
        from ingest.batch import resume_unfinished_imports
        from ingest.batch.checking import start_checkers
        from ingest.batch.jobs import prune_import_files_periodically
        from search.outbox import run_worker

        start_checkers(int(worker.wsgi.config["IMPORT_CHECK_WORKERS"]))
        resume_unfinished_imports(worker.wsgi)  # imports cut short by a restart carry on
        threading.Thread(
            target=prune_import_files_periodically,
            args=(worker.wsgi,),
            name="import-files",
            daemon=True,
        ).start()

        threading.Thread(
            target=run_worker,
            args=(worker.wsgi, interval),
            kwargs={"lock_path": lock_path},
            name="search-outbox",
            daemon=True,
        ).start()

    return post_worker_init


def serve_with_gunicorn(host: str, port: int, workers: int, outbox_interval: float = 10.0) -> None:
    """Run gunicorn in this process; each worker builds its own app from the same configuration.

    With ``outbox_interval`` > 0 the master process also applies the search outbox periodically.
    """
    instance = os.environ.get("HUIKU_INSTANCE_PATH")
    if instance:
        os.environ["HUIKU_INSTANCE_PATH"] = os.path.abspath(instance)
    hooks = {}
    if outbox_interval > 0:
        lock_path = os.path.join(instance or os.getcwd(), "search-outbox.lock")
        hooks["post_worker_init"] = _background_work(outbox_interval, lock_path)
    _Gunicorn(
        {
            **hooks,
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
        }
    ).run()
