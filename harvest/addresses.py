"""The only way harvesting reaches the network: a client that goes where it is allowed to.

A source's address is typed in by an administrator, and every redirect and every link in what
comes back (a manifest in a Collection, a page of a stream) is chosen by someone else's server.
So each request, redirects included, is checked before it is sent:

- only ``http`` and ``https``;
- only to the host of the source's base URL, or to a host in ``HARVEST_ALLOWED_HOSTS``;
- the host's addresses must all be public: private (10/8, 172.16/12, 192.168/16, fc00::/7),
  loopback, link-local (169.254/16, the cloud metadata address), multicast and reserved ones
  are refused, unless the host is listed in ``HARVEST_ALLOW_PRIVATE_ADDRESSES`` (``"*"``: any).

Answers are read with a connect and a read timeout and at most ``HARVEST_MAX_RESPONSE_BYTES``
bytes (sent uncompressed, so the cap is on what is held in memory); a longer or endless body is
cut off with an error rather than exhausting memory.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import httpx2

from harvest.settings import setting
from repository.messages import Message


class AddressRefused(Exception):
    """A request harvesting will not send: the address is not one it may reach."""


class ResponseTooLarge(Exception):
    """An answer longer than ``HARVEST_MAX_RESPONSE_BYTES``."""


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def allowed_hosts(base_url: str) -> set[str]:
    """The source's own host and the hosts every source may be sent to."""
    hosts = {host.lower() for host in setting("HARVEST_ALLOWED_HOSTS") or []}
    return hosts | {host_of(base_url)}


def check_url(url: str, hosts: Iterable[str] | None = None) -> None:
    """Raise ``AddressRefused`` unless harvesting may request ``url``.

    ``hosts``, when given, are the hosts the request may go to (the source's and the allowed
    ones); the address check applies to every host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(_NOT_HTTP.format(url=str(url)))
    host = (parts.hostname or "").lower()
    if not host:
        raise AddressRefused(_NO_HOST.format(url=str(url)))
    if hosts is not None and host not in {h.lower() for h in hosts}:
        raise AddressRefused(_OTHER_HOST.format(url=str(url), host=host))
    check_host(host, parts.port or (443 if parts.scheme == "https" else 80))


def check_host(host: str, port: int = 80) -> None:
    """Refuse a host any of whose addresses is not public, unless it is allowed to be."""
    allowed = {h.lower() for h in setting("HARVEST_ALLOW_PRIVATE_ADDRESSES") or []}
    if "*" in allowed or host in allowed:
        return
    for address in resolve(host, port):
        if address in allowed:
            continue
        if not is_public(address):
            raise AddressRefused(_PRIVATE.format(host=host, address=address))


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(_UNRESOLVED.format(host=host, error=str(error))) from error
    return sorted({str(info[4][0]).split("%")[0] for info in found})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class _CappedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, url: str, limit: int) -> None:
        self.inner = inner
        self.url = url
        self.limit = limit

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self.inner:
            size += len(chunk)
            if size > self.limit:
                raise ResponseTooLarge(_TOO_LONG.format(url=self.url, limit=self.limit))
            yield chunk

    def close(self) -> None:
        self.inner.close()


class GuardedTransport(httpx2.BaseTransport):
    """Checks every request (redirects too) before it goes out, and caps every answer."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = {host.lower() for host in hosts}
        self.inner = httpx2.HTTPTransport()
        self.limit = int(setting("HARVEST_MAX_RESPONSE_BYTES"))

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        check_url(url, self.hosts)
        from harvest.runs import heartbeat

        heartbeat()  # a run's lease outlasts the request
        response = self.inner.handle_request(request)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            response.close()
            raise ResponseTooLarge(
                f"{url}: the answer is {length} bytes, more than {self.limit} "
                "(HARVEST_MAX_RESPONSE_BYTES)"
            )
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _CappedStream(response.stream, url, self.limit)
        return response

    def close(self) -> None:
        self.inner.close()


def guarded_client(base_url: str, *, accept: str = "*/*") -> httpx2.Client:
    """A client for one source: its host (and the allowed ones) only, timeouts, capped answers."""
    timeout = httpx2.Timeout(
        connect=float(setting("HARVEST_CONNECT_TIMEOUT")),
        read=float(setting("HARVEST_READ_TIMEOUT")),
        write=float(setting("HARVEST_READ_TIMEOUT")),
        pool=float(setting("HARVEST_CONNECT_TIMEOUT")),
    )
    return httpx2.Client(
        transport=GuardedTransport(allowed_hosts(base_url)),
        timeout=timeout,
        follow_redirects=True,
        max_redirects=int(setting("HARVEST_MAX_REDIRECTS")),
        headers={
            "User-Agent": str(setting("HARVEST_USER_AGENT")),
            "Accept": accept,
            "Accept-Encoding": "identity",
        },
    )


def get(client: httpx2.Client, url: str, **kwargs: object) -> httpx2.Response:
    """GET ``url``; any failure becomes a ``HarvestFailed`` that names the address and why."""
    from harvest.runs import HarvestFailed, message_of

    try:
        response = client.get(url, **kwargs)  # type: ignore[arg-type]
    except (AddressRefused, ResponseTooLarge) as error:
        raise HarvestFailed(message_of(error)) from error
    except httpx2.TimeoutException as error:
        raise HarvestFailed(NO_ANSWER.format(url=url, error=type(error).__name__)) from error
    except httpx2.TooManyRedirects as error:
        raise HarvestFailed(_REDIRECTS.format(url=url)) from error
    except httpx2.HTTPError as error:
        raise HarvestFailed(not_reached(url, error)) from error
    if response.status_code >= 400:
        raise HarvestFailed(
            _HTTP_STATUS.format(
                url=str(response.url), status=response.status_code, answer=snippet(response.content)
            )
        )
    return response


def not_reached(url: str, error: BaseException) -> Message:
    """A request that failed below HTTP: the address and the client's own words, as they are."""
    return Message.verbatim(f"{url}: {type(error).__name__}: {str(error)[:500]}")


def snippet(content: bytes, length: int = 160) -> str:
    """The start of what came back, on one line, to show in an error."""
    text = content[: length * 4].decode("utf-8", "replace")
    return " ".join(text.split())[:length]


_NOT_HTTP = Message("{url}: only http and https addresses are harvested")
_NO_HOST = Message("{url}: the address names no host")
_OTHER_HOST = Message(
    "{url}: {host} is neither the source's host nor in HARVEST_ALLOWED_HOSTS (a redirect or a "
    "link to another host is not followed)"
)
_PRIVATE = Message(
    "{host} resolves to {address}, a private, loopback, link-local or reserved address; "
    "harvesting refuses it unless HARVEST_ALLOW_PRIVATE_ADDRESSES lists the host"
)
_UNRESOLVED = Message("{host}: the name could not be resolved ({error})")
_TOO_LONG = Message(
    "{url}: the answer is longer than {limit} bytes (HARVEST_MAX_RESPONSE_BYTES); not read further"
)
NO_ANSWER = Message("{url}: no answer in time ({error})")
_REDIRECTS = Message("{url}: too many redirects")
_HTTP_STATUS = Message("{url}: HTTP {status} instead of an answer ({answer})")
