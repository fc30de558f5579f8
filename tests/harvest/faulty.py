"""A small real HTTP server on 127.0.0.1 that answers what a test tells it to: crafted OAI-PMH
pages, broken ones, slow ones, redirects, IIIF documents.

A route is a path (and, for OAI-PMH, the query's verb and resumption token); its answer is a
function of the request's query, so a page can change between two requests (an expired token
refused once, then accepted).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest


@dataclass
class Answer:
    body: bytes | str
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    length_known: bool = True  # False: no Content-Length, the body ends when the server closes


Route = Callable[[dict[str, str]], Answer]


@dataclass
class FaultyServer:
    url: str  # http://127.0.0.1:<port>, without a trailing slash
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def route(self, path: str, answer: Route | Answer) -> None:
        self.routes[path] = answer if callable(answer) else (lambda _query, a=answer: a)


class _Handler(BaseHTTPRequestHandler):
    server_state: FaultyServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        self.server_state.requests.append(self.path)
        route = self.server_state.routes.get(parts.path)
        if route is None:
            self.send_error(404)
            return
        answer = route(query)
        if answer.delay:
            time.sleep(answer.delay)
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            if answer.length_known:
                self.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def faulty() -> Iterator[FaultyServer]:
    state = FaultyServer(url="")
    handler = type("Handler", (_Handler,), {"server_state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- OAI-PMH pages -----------------------------------------------------------------------

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2026-12-01T00:00:00Z</responseDate>"
)


def identify(granularity: str = "YYYY-MM-DDThh:mm:ssZ") -> Answer:
    return Answer(
        f'{OAI_HEAD}<request verb="Identify">x</request><Identify>'
        "<repositoryName>Crafted repository</repositoryName><baseURL>x</baseURL>"
        "<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>"
        "<earliestDatestamp>2000-01-01</earliestDatestamp><deletedRecord>persistent"
        f"</deletedRecord><granularity>{granularity}</granularity></Identify></OAI-PMH>"
    )


def dc_record(
    identifier: str,
    datestamp: str = "2026-01-01T00:00:00Z",
    *,
    title: str | None = "A title",
    description: str = "",
    date: str = "",
    deleted: bool = False,
    extra: str = "",
) -> str:
    if deleted:
        return (
            f'<record><header status="deleted"><identifier>{identifier}</identifier>'
            f"<datestamp>{datestamp}</datestamp></header></record>"
        )
    fields = f"<dc:title>{title}</dc:title>" if title is not None else ""
    if description:
        fields += f"<dc:description>{description}</dc:description>"
    if date:
        fields += f"<dc:date>{date}</dc:date>"
    return (
        f"<record><header><identifier>{identifier}</identifier><datestamp>{datestamp}"
        "</datestamp></header><metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"{fields}{extra}<dc:identifier>https://example.org/items/{identifier}</dc:identifier>"
        "</oai_dc:dc></metadata></record>"
    )


def list_records(records: list[str], token: str | None = None) -> Answer:
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token is not None else ""
    return Answer(
        f'{OAI_HEAD}<request verb="ListRecords">x</request><ListRecords>'
        f"{''.join(records)}{resumption}</ListRecords></OAI-PMH>"
    )


def oai_error(code: str, text: str) -> Answer:
    return Answer(f'{OAI_HEAD}<request>x</request><error code="{code}">{text}</error></OAI-PMH>')
