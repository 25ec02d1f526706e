"""Fetching partners' feeds without reaching what a partner must not reach, and within bounds.

A partner names the URL, so the fetch is guarded at the place where a name becomes a
connection: the network backend of the HTTP client resolves the host, refuses it unless
*every* address is public (no loopback, private, shared, link-local, metadata, multicast or
reserved address; IPv6 forms that embed an IPv4 address are judged by that address) and then
connects to one of the addresses it checked. Checking and connecting are one step, so a name
that resolves differently a moment later (DNS rebinding) changes nothing; the URL keeps its
name, so the ``Host`` header, TLS SNI and certificate verification are for the name. Every
redirect hop opens its connection through the same backend and its scheme is checked too.
Only https is fetched unless the policy allows http; proxies from the environment are
ignored (a proxy would resolve the name itself).

A body is read raw and decompressed here, a bounded piece at a time, so a few KB of gzip
cannot expand to gigabytes first: the decoded bytes of a whole run and the ratio of decoded
to received bytes are capped (``FetchPolicy``). Error messages name the URL the partner set
and what went wrong, never what the feed sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from catalogue.harvest.mapping import FeedError
from catalogue.wire import Struct

__all__ = [
    "ALLOW_ALL",
    "PUBLIC_URL_PATTERN",
    "Budget",
    "FetchPolicy",
    "address_problem",
    "location_problem",
    "open_client",
    "stream_body",
]

ALLOW_ALL = ("0.0.0.0/0", "::/0")
# A feed URL names its host: the last label of a DNS name starts with a letter, which no
# spelling of an IP address does (``2130706433``, ``0x7f.1``, ``127.1``, ``[::1]``).
_HOST_NAME = r"(?:[^/?#@:\[\]\s]+\.)?[A-Za-z][^/?#@:\[\]\s.]*\.?"
_REST = r"(:[0-9]*)?([/?#][^\n]*)?$"
PUBLIC_URL_PATTERN = rf"^https://{_HOST_NAME}{_REST}"
"""What a partner may set where the server keeps its defaults (OpenAPI's ``location``)."""
_NAMED = re.compile(rf"^https?://{_HOST_NAME}{_REST}")
_PIECE = 64 * 1024  # at most this much is inflated from the compressed input at once
_RATIO_FLOOR = 1024 * 1024  # below this many decoded bytes, the ratio is not judged
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class FetchPolicy(Struct, frozen=True):
    """What a harvest may reach and how much it may read (the API builds it from settings).

    ``private_networks`` are exempt from the public-address rule (``ALLOW_ALL`` for tests and
    development); ``max_bytes`` and ``max_items`` bound a whole run; ``max_ratio`` is the
    largest decoded:received ratio a compressed body may have; ``deadline`` bounds a run in
    seconds and ``request_timeout`` each request.
    """

    allow_http: bool = False
    private_networks: tuple[str, ...] = ()
    request_timeout: float = 10.0
    deadline: float = 600.0
    max_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 100
    max_items: int = 50_000
    max_redirects: int = 5


class Budget:
    """What one run has read so far, against its policy's caps."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.decoded = 0
        self.items = 0

    def take_bytes(self, count: int, where: str) -> None:
        self.decoded += count
        if self.decoded > self.policy.max_bytes:
            raise FeedError(f"{where}: the feed is larger than {self.policy.max_bytes} bytes "
                            "(decoded); nothing was stored")

    def take_items(self, count: int, where: str) -> None:
        self.items += count
        if self.items > self.policy.max_items:
            raise FeedError(f"{where}: the feed has more than {self.policy.max_items} items; "
                            "nothing was stored")


# --------------------------------------------------------------------------- addresses

def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d, deprecated but still routed by some stacks
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def _networks(spelled: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in spelled]


def address_problem(address: str, exempt: Iterable[str] = ()) -> str | None:
    """Why a harvest may not connect to ``address`` (an IP literal), or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address"
    nets = _networks(exempt)
    if any(ip.version == net.version and ip in net for net in nets):
        return None
    inner = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if inner is not None and any(net.version == 4 and inner in net for net in nets):
        return None
    if not ip.is_global or ip.is_multicast or (inner is not None and (
            not inner.is_global or inner.is_multicast)):
        return "is not a public address (loopback, private, link-local or reserved)"
    return None


def _numeric_host(host: str) -> str | None:
    """The address a host spelled as a number stands for (``2130706433``, ``0x7f.1``), if any."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM,
                                   flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return str(infos[0][4][0]) if infos else None


def location_problem(url: str, policy: FetchPolicy) -> str | None:
    """What is wrong with a feed URL before any lookup: its scheme, or a literal address."""
    try:
        parsed = urlsplit(url)
        host = parsed.hostname
    except ValueError:
        return "not a valid URL"
    scheme = parsed.scheme.lower()
    if scheme != "https" and not (scheme == "http" and policy.allow_http):
        return "must be an https URL (plain http is not allowed on this server)"
    if host and (address := _numeric_host(host)) is not None:
        if why := address_problem(address, policy.private_networks):
            return f"the host {why}"
    if not policy.private_networks and not _NAMED.fullmatch(url):
        return "must name its host (a DNS name such as feeds.example.org, not an IP address)"
    return None


class _Refused(FeedError):
    pass


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, and connects to an address it checked (see module)."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._exempt = policy.private_networks

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (TimeoutError, socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses or any(address_problem(a, self._exempt) for a in addresses):
            # The host is not named: past a redirect, the feed's server chose it.
            raise _Refused("the feed's host, or a host it redirects to, resolves to an address "
                           "that is not public (loopback, private, link-local or reserved); "
                           "harvests only reach public hosts")
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise _Refused("harvests do not connect to local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: FetchPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx has no parameter for httpcore's network backend: the pool it made is replaced
        # by the same pool over the pinned backend (tests/catalogue/test_harvest_ssrf.py fails
        # if a new httpx stops routing connections through ``_pool``).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=16,
            max_keepalive_connections=8, keepalive_expiry=5.0, http1=True, http2=False,
            network_backend=_PinnedBackend(policy))


def open_client(policy: FetchPolicy) -> httpx.AsyncClient:
    """An HTTP client that fetches only what ``policy`` allows (``stream_body`` follows
    redirects, each hop through the same checks)."""

    async def check_hop(request: httpx.Request) -> None:
        if request.url.scheme != "https" and not (request.url.scheme == "http"
                                                   and policy.allow_http):
            raise _Refused("the feed redirects to a URL that is not https")

    headers = {"Accept": "application/json, text/csv;q=0.9", "User-Agent": "academy-harvester/1",
               "Accept-Encoding": "gzip, deflate"}
    return httpx.AsyncClient(
        transport=_GuardedTransport(policy), timeout=policy.request_timeout, headers=headers,
        follow_redirects=False, trust_env=False, event_hooks={"request": [check_hop]})


# --------------------------------------------------------------------------- bodies

class _Inflater:
    """Decompresses a gzip or deflate body a bounded piece at a time."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._engine = zlib.decompressobj(zlib.MAX_WBITS | (32 if not self._deflate else 0))
        self._first = True

    def feed(self, data: bytes) -> Iterable[bytes]:
        while data:
            try:
                piece = self._engine.decompress(data, _PIECE)
            except zlib.error:
                if not (self._deflate and self._first):
                    raise
                self._engine = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some send
                piece = self._engine.decompress(data, _PIECE)
            self._first = False
            data = self._engine.unconsumed_tail
            if piece:
                yield piece

    def flush(self) -> bytes:
        return self._engine.flush()


def _decoder(headers: Mapping[str, str], where: str) -> _Inflater | None:
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater("deflate" if encoding == "deflate" else "gzip")
    raise FeedError(f"{where}: unsupported Content-Encoding (gzip and deflate are accepted)")


async def stream_body(client: httpx.AsyncClient, url: str, budget: Budget, where: str,
                      params: Mapping[str, Any] | None = None) -> AsyncIterator[bytes]:
    """The decoded body of ``GET url`` in pieces, within the budget and the request timeout."""
    policy, received, decoded = budget.policy, 0, 0
    target: str | httpx.URL = url
    try:
        async with asyncio.timeout(policy.request_timeout):
            # Redirects are followed here, not by httpx, which would read a redirect's whole
            # body (decompressed, uncapped) before following it; each hop is a new request
            # through the same checks, and a redirect's body is dropped unread.
            for _ in range(policy.max_redirects + 1):
                async with client.stream("GET", target, params=params) as response:
                    if response.has_redirect_location and response.next_request is not None:
                        target, params = response.next_request.url, None
                        continue
                    if not response.is_success:
                        raise FeedError(f"{where}: HTTP {response.status_code}")
                    inflater = _decoder(response.headers, where)
                    async for chunk in response.aiter_raw():
                        received += len(chunk)
                        for piece in inflater.feed(chunk) if inflater else (chunk,):
                            decoded += len(piece)
                            budget.take_bytes(len(piece), where)
                            if decoded > _RATIO_FLOOR and decoded > received * policy.max_ratio:
                                raise FeedError(
                                    f"{where}: the body expands more than {policy.max_ratio} "
                                    "times when decompressed (a decompression bomb?); nothing "
                                    "was stored")
                            yield piece
                    if inflater and (rest := inflater.flush()):
                        budget.take_bytes(len(rest), where)
                        yield rest
                    return
            raise FeedError(f"{where}: more than {policy.max_redirects} redirects")
    except _Refused as refused:
        raise FeedError(f"{where}: {refused}") from None
    except zlib.error:
        raise FeedError(f"{where}: the compressed body is corrupt") from None
    except (TimeoutError, httpx.TimeoutException):
        raise FeedError(f"{where}: no complete answer within "
                        f"{policy.request_timeout:g} s") from None
    except httpx.ConnectError:
        raise FeedError(f"{where}: cannot connect") from None
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        # The exception's text may quote what the server sent; its kind is enough.
        raise FeedError(f"{where}: the transfer failed ({type(exc).__name__})") from None
