"""The Elasticsearch client's HTTP node on the standard library's ``http.client``.

The client's own node sends each request through urllib3's pool, retry and response layers.
Measured side by side on the search API (two servers, the same queries in turn), this node
takes 0.2 ms of CPU off each answer, about a twentieth of what Huiku spends on it. Everything
else stays the client's: its transport picks the node, retries a refused connection on the next
one, puts dead nodes aside, and turns answers into its errors.

Connections are kept open and reused, one request at a time each. One that the node closed
while it sat idle (a proxy's keep-alive timeout) is noticed before it is used and replaced.
TLS uses the client's own context (``ssl_context_from_node_config``) with the CA file, or
certifi's bundle as the client's default, and checks the node's name or IP address against its
certificate; a certificate fingerprint (``ssl_assert_fingerprint``) is checked by urllib3's node
against the whole chain, so ``client_node_class`` keeps that node for it.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import weakref
from contextlib import suppress

from elastic_transport import (
    ApiResponseMeta,
    BaseNode,
    ConnectionError,
    ConnectionTimeout,
    HttpHeaders,
    NodeConfig,
    TlsError,
)
from elastic_transport._node._base import (
    BUILTIN_EXCEPTIONS,
    DEFAULT_CA_CERTS,
    RERAISE_EXCEPTIONS,
    NodeApiResponse,
    ssl_context_from_node_config,
)
from elastic_transport.client_utils import DEFAULT, DefaultType
from urllib3.util.wait import wait_for_read


def client_node_class(ssl_fingerprint: str | None) -> type[BaseNode] | None:
    """This node, or None (the client's urllib3 node) when a fingerprint is to be checked."""
    return None if ssl_fingerprint else StandardLibraryNode


class StandardLibraryNode(BaseNode):
    """One Elasticsearch node reached with ``http.client``, thread-safe like the client's own."""

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)
        if config.http_compress:
            raise ValueError("http_compress is not supported by StandardLibraryNode")
        self._context = _tls_context(config) if config.scheme == "https" else None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False
        # A client dropped without close() still closes the connections it kept.
        weakref.finalize(self, _close_all, self._idle)

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        timeout = self.config.request_timeout if request_timeout is DEFAULT else request_timeout
        request_headers = self.headers.copy()
        if headers:
            request_headers.update(headers)
        start = time.time()
        connection = self._connection(timeout)
        try:
            if connection.sock is None:
                connection.connect()  # a failure here is the connection's, whatever it is
            # The node may answer before taking the whole body (413 to a large bulk): read it.
            with suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, self.path_prefix + target, body, dict(request_headers))
            response = connection.getresponse()
            data = response.read()
        except BaseException as error:
            connection.close()
            if not _on_the_wire(error):
                raise  # an interruption or a mistake in the request, not the network's doing
            failure = _transport_error(error)
            self._log_request(method, target, request_headers, body, exception=failure)
            raise failure from error
        with self._lock:
            if response.will_close or self._closed:
                connection.close()
            else:
                self._idle.append(connection)
        meta = ApiResponseMeta(
            status=response.status,
            http_version="1.1",
            headers=_joined(response.getheaders()),
            duration=time.time() - start,
            node=self.config,
        )
        self._log_request(method, target, request_headers, body, meta=meta, response=data)
        return NodeApiResponse(meta, data)

    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        """An idle connection the node has not closed, or a new one."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                break
            if _still_open(connection):
                connection.sock.settimeout(timeout)
                return connection
            connection.close()
        if self._context is None:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPSConnection(
            self.host, self.port, timeout=timeout, context=self._context
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            _close_all(self._idle)


def _close_all(connections: list[http.client.HTTPConnection]) -> None:
    while connections:
        connections.pop().close()


def _tls_context(config: NodeConfig) -> ssl.SSLContext:
    """The client's context with the trusted certificates urllib3 would have loaded into it."""
    context = ssl_context_from_node_config(config)
    if config.ssl_context is None and config.verify_certs:
        ca_certs = DEFAULT_CA_CERTS if config.ca_certs is None else config.ca_certs
        if ca_certs:
            context.load_verify_locations(cafile=ca_certs)
        else:
            context.load_default_certs()
    if config.client_cert:
        context.load_cert_chain(config.client_cert, config.client_key)
    if config.ssl_context is None and config.verify_certs:
        # The client's context leaves the name unchecked for a node given by its IP address,
        # as urllib3 checks it itself; the ssl module checks IP addresses too, so let it.
        context.check_hostname = config.ssl_assert_hostname is not False
    return context


def _joined(headers: list[tuple[str, str]]) -> HttpHeaders:
    """The answer's headers, a repeated one (a deprecation ``Warning`` each) joined as urllib3
    joins them, so that the client reports every one."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return HttpHeaders(joined)


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """Whether a kept connection can carry a request: nothing to read on it while it sat idle
    (the node closing it, or anything unasked for, shows as readable)."""
    return connection.sock is not None and not wait_for_read(connection.sock, timeout=0.0)


def _on_the_wire(error: BaseException) -> bool:
    """Whether a failure is the connection's (a refusal, a timeout, TLS, a broken answer) and
    not an interruption or a mistake in the request (a header that cannot be sent, say); the
    ssl module's certificate errors are ValueErrors too, and are the connection's."""
    if not isinstance(error, Exception) or isinstance(error, RERAISE_EXCEPTIONS):
        return False
    return isinstance(error, OSError) or not isinstance(error, BUILTIN_EXCEPTIONS)


def _transport_error(error: Exception) -> Exception:
    """The client's error for a failure on the wire, so that its transport retries or not."""
    if isinstance(error, (TimeoutError, socket.timeout)):
        return ConnectionTimeout("Connection timed out during request", errors=(error,))
    if isinstance(error, ssl.SSLError):
        return TlsError(str(error), errors=(error,))
    return ConnectionError(str(error), errors=(error,))
