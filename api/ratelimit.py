"""Fixed-window rate limits: public search and verify per client IP, partner writes per key.

Verification has a limit of its own (``verify``), far below search's, counted in credentials:
each one may cost milliseconds of CPU where a search costs microseconds.

Hits are counted in a table of windows (:class:`SharedWindows`): private to a lone server
process, or, under ``academy serve --workers N``, one table in shared memory (a file in
``/dev/shm`` named by ``ACADEMY_RATE_TABLE``, made by the supervisor) that every worker
maps, so a client meets the configured limit whichever worker its connections land on.
The table has a fixed number of slots, each
(kind, client) hashed to one; two clients sharing a slot share a window (rare with 65,536
slots), and two workers counting the same client at the same instant may each miss the
other's hit: a limit, not an invoice.
"""

from __future__ import annotations

import math
import mmap
import os
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from litestar.exceptions import TooManyRequestsException

__all__ = ["PUBLIC_LIMITED_PREFIXES", "RATE_TABLE_ENV", "RateLimiter", "SharedWindows"]

PUBLIC_LIMITED_PREFIXES = ("/api/v1/courses", "/api/v1/suggest", "/api/v1/verify", "/ooapi/")
WINDOW_SECONDS = 60.0
RATE_TABLE_ENV = "ACADEMY_RATE_TABLE"
SLOTS = 1 << 16


class SharedWindows:
    """Windows (start on the system-wide monotonic clock, count) in a file every worker maps."""

    def __init__(self, path: str | Path | None = None) -> None:
        """The table in the file at ``path``; without one, a table of this process alone."""
        self.path = Path(path) if path is not None else None
        if self.path is None:
            self._map = mmap.mmap(-1, SLOTS * 16)
        else:
            with self.path.open("r+b") as fh:
                self._map = mmap.mmap(fh.fileno(), SLOTS * 16)
        self.start = np.frombuffer(self._map, np.float64, SLOTS, 0)
        self.count = np.frombuffer(self._map, np.int64, SLOTS, SLOTS * 8)

    @classmethod
    def create(cls) -> SharedWindows:
        """A new, empty table (the caller removes ``path`` when the last worker is gone)."""
        fd, name = tempfile.mkstemp(prefix="academy-rates-",
                                    dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        with os.fdopen(fd, "wb") as fh:
            fh.truncate(SLOTS * 16)
        return cls(name)

    def hit(self, key: str, now: float, limit: int, cost: int = 1) -> float | None:
        """Count ``cost`` hits; the seconds until the window ends if they would pass ``limit``."""
        slot = zlib.crc32(key.encode()) & (SLOTS - 1)
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
                 shared: SharedWindows | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self.windows = shared or SharedWindows()

    @classmethod
    def for_process(cls, limits: dict[str, int]) -> RateLimiter:
        """Counting in the shared table when the supervisor made one, else in this process."""
        table = os.environ.get(RATE_TABLE_ENV)
        return cls(limits, shared=SharedWindows(table) if table else None)

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
