"""Fixed-window rate limits: public search and verify per client IP, partner writes per key.

One server process counts in a dict. Several (``academy serve --workers N``) count in one
table of windows in shared memory (:class:`SharedWindows`, a file in ``/dev/shm`` named by
``ACADEMY_RATE_TABLE``, made by the supervisor), so a client meets the configured limit
whichever worker its connections land on. The table has a fixed number of slots, each
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

__all__ = ["RATE_TABLE_ENV", "PUBLIC_LIMITED_PREFIXES", "RateLimiter", "SharedWindows"]

PUBLIC_LIMITED_PREFIXES = ("/api/v1/courses", "/api/v1/suggest", "/api/v1/verify", "/ooapi/")
WINDOW_SECONDS = 60.0
RATE_TABLE_ENV = "ACADEMY_RATE_TABLE"
SLOTS = 1 << 16


class SharedWindows:
    """Windows (start on the system-wide monotonic clock, count) in a file every worker maps."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
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

    def hit(self, key: str, now: float, limit: int) -> float | None:
        """Count a hit; the seconds until the window ends if ``limit`` was already reached."""
        slot = zlib.crc32(key.encode()) & (SLOTS - 1)
        start = float(self.start[slot])
        if now - start >= WINDOW_SECONDS or start == 0.0:
            self.start[slot], self.count[slot] = now, 0
            start = now
        if self.count[slot] >= limit:
            return start + WINDOW_SECONDS - now
        self.count[slot] += 1
        return None


class RateLimiter:
    """Counts hits per (class, client) in one-minute windows; ``limit <= 0`` disables a class."""

    def __init__(self, limits: dict[str, int], clock: object = time.monotonic,
                 shared: SharedWindows | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self.shared = shared
        self.windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._last_sweep = 0.0

    @classmethod
    def for_process(cls, limits: dict[str, int]) -> RateLimiter:
        """Counting in the shared table when the supervisor made one, else in this process."""
        table = os.environ.get(RATE_TABLE_ENV)
        return cls(limits, shared=SharedWindows(table) if table else None)

    def hit(self, kind: str, client: str) -> None:
        limit = self.limits.get(kind, 0)
        if limit <= 0:
            return
        now = self.clock()  # type: ignore[operator]
        if self.shared is not None:
            wait = self.shared.hit(f"{kind}\0{client}", now, limit)
            if wait is not None:
                self._refuse(limit, wait)
            return
        self._sweep(now)
        start, count = self.windows.get((kind, client), (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, count = now, 0
        if count >= limit:
            self._refuse(limit, start + WINDOW_SECONDS - now)
        self.windows[(kind, client)] = (start, count + 1)

    @staticmethod
    def _refuse(limit: int, wait: float) -> None:
        retry = max(1, math.ceil(wait))
        raise TooManyRequestsException(
            f"Rate limit of {limit} requests a minute reached; retry in {retry} s.",
            headers={"Retry-After": str(retry)},
        )

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < WINDOW_SECONDS:
            return
        self._last_sweep = now
        stale = [k for k, (start, _) in self.windows.items() if now - start >= WINDOW_SECONDS]
        for k in stale:
            del self.windows[k]
