"""Fixed-window rate limits: public search and verify per client IP, partner writes per key.

Verification has a limit of its own (``verify``), far below search's, counted in credentials:
each one may cost milliseconds of CPU where a search costs microseconds.

Hits are counted in a table of windows (:class:`SharedWindows`): private to a lone server
process, or, under ``academy serve --workers N``, one table in shared memory (a file in
``/dev/shm`` named by ``ACADEMY_RATE_TABLE``, made by the supervisor) that every worker
maps, so a client meets the configured limit whichever worker its connections land on.
The table has a fixed number of slots, each
(kind, client) hashed to one with a keyed hash (BLAKE2b under a random key kept in the
table, so every worker hashes alike and nobody outside can aim many clients at one slot);
two clients sharing a slot share a window (rare with 65,536 slots), and two workers counting
the same client at the same instant may each miss the other's hit: a limit, not an invoice.

A client is the connection's peer address, an IPv6 one taken as its /64 (what one
subscriber gets). Only when the peer is one of ``ACADEMY_TRUSTED_PROXIES`` is
``X-Forwarded-For`` believed: the client is then its rightmost address that is not a
trusted proxy. Every public route is limited except operations and static files.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import mmap
import os
import secrets
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException

__all__ = ["RATE_TABLE_ENV", "UNLIMITED_PREFIXES", "RateLimiter", "SharedWindows",
           "client_key", "is_limited"]

# Public routes not counted: operations (probes) and the pages' static files.
UNLIMITED_PREFIXES = ("/health", "/ready", "/static/", "/schema", "/favicon")
WINDOW_SECONDS = 60.0
RATE_TABLE_ENV = "ACADEMY_RATE_TABLE"
SLOTS = 1 << 16
_KEY_BYTES = 32
_SIZE = SLOTS * 16 + _KEY_BYTES


def is_limited(path: str) -> bool:
    """Whether a public route at ``path`` counts toward the per-client limit."""
    return not path.startswith(UNLIMITED_PREFIXES)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        found = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def client_key(peer: str | None, forwarded_for: Iterable[str] = (),
               trusted: Sequence[Network] = ()) -> str:
    """The client a request is counted for (see the module docstring)."""
    address = _address(peer or "")
    if address is None:
        return peer or "unknown"
    if trusted and any(address in net for net in trusted):
        hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
        for hop in reversed(hops):
            candidate = _address(hop)
            if candidate is None:
                break  # garbage from beyond our proxies: count the proxy's view
            address = candidate
            if not any(candidate in net for net in trusted):
                break
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# Parsing addresses cost every limited request ~20 us; the same few clients come back.
_known_client = functools.lru_cache(maxsize=4096)(client_key)


class SharedWindows:
    """Windows (start on the system-wide monotonic clock, count) in a file every worker maps."""

    def __init__(self, path: str | Path | None = None) -> None:
        """The table in the file at ``path``; without one, a table of this process alone."""
        self.path = Path(path) if path is not None else None
        if self.path is None:
            self._map = mmap.mmap(-1, _SIZE)
            self._map[SLOTS * 16:] = secrets.token_bytes(_KEY_BYTES)
        else:
            with self.path.open("r+b") as fh:
                self._map = mmap.mmap(fh.fileno(), _SIZE)
        self.start = np.frombuffer(self._map, np.float64, SLOTS, 0)
        self.count = np.frombuffer(self._map, np.int64, SLOTS, SLOTS * 8)
        self._key = bytes(self._map[SLOTS * 16:])

    @classmethod
    def create(cls) -> SharedWindows:
        """A new, empty table (the caller removes ``path`` when the last worker is gone)."""
        fd, name = tempfile.mkstemp(prefix="academy-rates-",
                                    dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        with os.fdopen(fd, "wb") as fh:
            fh.truncate(SLOTS * 16)
            fh.seek(SLOTS * 16)
            fh.write(secrets.token_bytes(_KEY_BYTES))  # the slot hash's key, shared by workers
        return cls(name)

    def slot(self, key: str) -> int:
        digest = hashlib.blake2b(key.encode(), key=self._key, digest_size=8).digest()
        return int.from_bytes(digest, "little") & (SLOTS - 1)

    def hit(self, key: str, now: float, limit: int, cost: int = 1) -> float | None:
        """Count ``cost`` hits; the seconds until the window ends if they would pass ``limit``."""
        slot = self.slot(key)
        start = float(self.start[slot])
        if now - start >= WINDOW_SECONDS or start == 0.0:
            self.start[slot], self.count[slot] = now, 0
            start = now
        if self.count[slot] + cost > limit:
            return start + WINDOW_SECONDS - now
        self.count[slot] += cost
        return None


class RateLimiter:
    """Counts hits per (class, client) in one-minute windows; ``limit <= 0`` disables a class."""

    def __init__(self, limits: dict[str, int], clock: object = time.monotonic,
                 shared: SharedWindows | None = None, trusted_proxies: Iterable[str] = ()) -> None:
        self.limits = limits
        self.clock = clock
        self.windows = shared or SharedWindows()
        self.trusted = tuple(ipaddress.ip_network(n, strict=False) for n in trusted_proxies)

    @classmethod
    def for_process(cls, limits: dict[str, int],
                    trusted_proxies: Iterable[str] = ()) -> RateLimiter:
        """Counting in the shared table when the supervisor made one, else in this process."""
        table = os.environ.get(RATE_TABLE_ENV)
        return cls(limits, shared=SharedWindows(table) if table else None,
                   trusted_proxies=trusted_proxies)

    def client(self, connection: ASGIConnection) -> str:  # type: ignore[type-arg]
        """Who ``connection`` is counted as (:func:`client_key`)."""
        peer = connection.client.host if connection.client else None
        forwarded = tuple(connection.headers.getall("x-forwarded-for", [])) if self.trusted \
            else ()
        return _known_client(peer, forwarded, self.trusted)

    def hit(self, kind: str, client: str, cost: int = 1) -> None:
        """Count ``cost`` hits (a verify batch counts its credentials); 429 past the limit."""
        limit = self.limits.get(kind, 0)
        if limit <= 0:
            return
        if cost > limit:
            raise TooManyRequestsException(
                f"{cost} at once is more than the limit of {limit} a minute; send fewer.")
        wait = self.windows.hit(f"{kind}\0{client}", self.clock(), limit, cost)  # type: ignore[operator]
        if wait is not None:
            retry = max(1, math.ceil(wait))
            raise TooManyRequestsException(
                f"Rate limit of {limit} requests a minute reached; retry in {retry} s.",
                headers={"Retry-After": str(retry)},
            )
