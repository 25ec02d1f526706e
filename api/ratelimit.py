"""Fixed-window rate limits: public search and verify per client IP, partner writes per key."""

from __future__ import annotations

import math
import time

from litestar.exceptions import TooManyRequestsException

__all__ = ["RateLimiter", "PUBLIC_LIMITED_PREFIXES"]

PUBLIC_LIMITED_PREFIXES = ("/api/v1/courses", "/api/v1/suggest", "/api/v1/verify", "/ooapi/")
WINDOW_SECONDS = 60.0


class RateLimiter:
    """Counts hits per (class, client) in one-minute windows; ``limit <= 0`` disables a class."""

    def __init__(self, limits: dict[str, int], clock: object = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._last_sweep = 0.0

    def hit(self, kind: str, client: str) -> None:
        limit = self.limits.get(kind, 0)
        if limit <= 0:
            return
        now = self.clock()  # type: ignore[operator]
        self._sweep(now)
        start, count = self.windows.get((kind, client), (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, count = now, 0
        if count >= limit:
            retry = max(1, math.ceil(start + WINDOW_SECONDS - now))
            raise TooManyRequestsException(
                f"Rate limit of {limit} requests a minute reached; retry in {retry} s.",
                headers={"Retry-After": str(retry)},
            )
        self.windows[(kind, client)] = (start, count + 1)

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < WINDOW_SECONDS:
            return
        self._last_sweep = now
        stale = [k for k, (start, _) in self.windows.items() if now - start >= WINDOW_SECONDS]
        for k in stale:
            del self.windows[k]
