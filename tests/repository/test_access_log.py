"""``huiku serve``'s access log writes the very lines gunicorn's own logger writes."""

import base64
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from repository import server
from repository.access_log import AccessLogger

TILE = "/iiif/image/3/ft7bjt3gfc/1024,1024,512,512/512,512/0/default.jpg"


@pytest.fixture(autouse=True)
def isolated_database():
    """No database here: only gunicorn's loggers."""
    yield


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(glogging.Logger, "now", lambda self: "[04/Dec/2026:11:30:00 +0000]")


def logged_lines(logger_class, tmp_path, log_format: str | None, *exchanges) -> list[str]:
    path = tmp_path / f"{logger_class.__name__}.log"
    config = Config()
    config.set("accesslog", str(path))
    if log_format:
        config.set("access_log_format", log_format)
    log = logger_class(config)
    for resp, environ in exchanges:
        req = SimpleNamespace(headers=[("USER-AGENT", environ.get("HTTP_USER_AGENT", ""))])
        log.access(resp, req, environ, timedelta(microseconds=1234))
    for handler in log.access_log.handlers:
        handler.close()
    return path.read_text(encoding="utf-8").splitlines()


def exchange(status="200 OK", sent=72322, **environ):
    return SimpleNamespace(status=status, sent=sent, headers=[("Content-Type", "image/jpeg")]), {
        "REQUEST_METHOD": "GET",
        "RAW_URI": TILE,
        "PATH_INFO": TILE,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        **environ,
    }


EXCHANGES = [
    exchange(),
    exchange(HTTP_USER_AGENT='Mirador "3.4" (长白山)', HTTP_REFERER="https://example.org/a?b=1"),
    exchange(
        status="404 NOT FOUND",
        sent=None,
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"librarian:secret").decode(),
    ),
    exchange(status=304, sent=0, RAW_URI="/search?q=%E4%BA%BA%E5%8F%82&page=2"),
]


def test_the_default_format_is_written_as_gunicorn_writes_it(tmp_path):
    ours = logged_lines(AccessLogger, tmp_path, None, *EXCHANGES)
    assert ours == logged_lines(glogging.Logger, tmp_path, None, *EXCHANGES)
    assert ours[0] == (
        f'127.0.0.1 - - [04/Dec/2026:11:30:00 +0000] "GET {TILE} HTTP/1.1" 200 72322 "-" "-"'
    )
    assert '"Mirador \\"3.4\\" (长白山)"' in ours[1]
    assert " librarian " in ours[2] and ' 404 - "-"' in ours[2]


def test_a_format_with_other_fields_is_left_to_gunicorn(tmp_path):
    log_format = '%(h)s %({content-type}o)s %({user-agent}i)s %(D)s %(p)s "%(r)s"'
    ours = logged_lines(AccessLogger, tmp_path, log_format, *EXCHANGES)
    assert ours == logged_lines(glogging.Logger, tmp_path, log_format, *EXCHANGES)
    assert ours[0].startswith("127.0.0.1 image/jpeg ")


def test_huiku_serve_logs_through_it():
    config = server._Gunicorn(server.gunicorn_options("127.0.0.1", 8000, 2)).cfg
    assert config.logger_class is AccessLogger
    assert config.accesslog == "-"
