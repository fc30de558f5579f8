"""A real Huiku served over HTTP on 127.0.0.1, for clients that are not the Flask test client
(the IIIF validator, OAI-PMH harvesters, a browser).

It is a separate app on its own SQLite database and storage, so what a test writes through it is
committed and visible to the server's threads; the per-test rollback does not apply to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from repository.app import create_app
from repository.extensions import db


@dataclass
class LiveServer:
    app: Flask
    url: str  # e.g. http://127.0.0.1:40123, without a trailing slash

    @contextmanager
    def context(self) -> Iterator[None]:
        """An app context for writing data through the services before requesting it."""
        with self.app.app_context():
            yield
            db.session.remove()


def closing_each_answer(app: Callable) -> Callable:
    """The app, its answers closed as soon as they have been sent.

    werkzeug's development server reads what is left of a request after sending the answer and
    only then closes the answer; when the client has reset the connection meanwhile (a browser
    closing a page while its favicon comes), that read raises and the answer (an open static
    file) is left to the garbage collector, which warns. The answer here is closed when the
    server has taken its last piece, and by the generator's own clean-up if it never does.
    """

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        answer = app(environ, start_response)

        def pieces() -> Iterator[bytes]:
            try:
                yield from answer
            finally:
                if hasattr(answer, "close"):
                    answer.close()

        return pieces()

    return wsgi


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root: Path = tmp_path_factory.mktemp("live")
    database = f"sqlite:///{root / 'huiku.sqlite3'}"
    app = create_app(
        {
            "DATABASE_URL": database,
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "live-test-secret",
            "STORAGE_ROOT": str(root / "storage"),
            "SEARCH_INDEX_PATH": str(root / "search.sqlite3"),
            "IIIF_CACHE_ROOT": str(root / "iiif-cache"),
            "ELASTICSEARCH_URL": None,
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.instance_path = str(root)
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, closing_each_answer(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
