"""Rate limits answer 429 with Retry-After: public reads per client IP, partner writes per key."""

from __future__ import annotations

import msgspec
from litestar import get

from api.access import PUBLIC, access
from api.app import create_app
from tests.client import AppClient
from tests.conftest import bearer


@get("/api/v1/verify-probe", opt=access(PUBLIC))
async def public_probe() -> dict[str, bool]:
    return {"ok": True}


async def test_public_reads_are_limited_per_client_ip(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    limited = msgspec.structs.replace(settings, search_rate_per_minute=3)
    app = create_app(limited, session_factory=session_factory, extra_handlers=[public_probe])
    async with AppClient(app, client=("10.0.0.1", 1)) as c:
        assert [(await c.get("/api/v1/verify-probe")).status_code for _ in range(3)] == [200] * 3
        blocked = await c.get("/api/v1/verify-probe")
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
        assert blocked.headers["content-type"].startswith("application/problem+json")
        assert (await c.get("/health")).status_code == 200  # operations are not limited
        c.from_address("10.0.0.2")
        assert (await c.get("/api/v1/verify-probe")).status_code == 200


async def test_partner_writes_are_limited_per_key(settings, session_factory, make_key) -> None:  # type: ignore[no-untyped-def]
    limited = msgspec.structs.replace(settings, write_rate_per_minute=2)
    app = create_app(limited, session_factory=session_factory)
    first, second = await make_key("ucll", "publish"), await make_key("ucll", "publish")
    doc = {"type": "other", "title": {"nl": "Proef"}}
    async with AppClient(app) as c:
        url = "/api/v1/institutions/ucll/courses/RL-1"
        codes = [(await c.put(url, json=doc, headers=bearer(first))).status_code for _ in range(3)]
        assert codes[:2] != [429, 429] and codes[2] == 429
        assert (await c.get(url, headers=bearer(first))).status_code == 200  # reads are not writes
        assert (await c.put(url, json=doc, headers=bearer(second))).status_code == 200


def test_workers_sharing_a_table_count_one_limit() -> None:
    """Two limiters on one shared table (two worker processes) count each client once; the
    window ends on time, and other clients keep their own windows."""
    import pytest
    from litestar.exceptions import TooManyRequestsException

    from api.ratelimit import RateLimiter, SharedWindows

    now = [1000.0]
    table = SharedWindows.create()
    try:
        first, second = (RateLimiter({"public": 3}, clock=lambda: now[0],
                                     shared=SharedWindows(table.path)) for _ in range(2))
        first.hit("public", "10.0.0.1")
        second.hit("public", "10.0.0.1")
        first.hit("public", "10.0.0.1")
        with pytest.raises(TooManyRequestsException) as refused:
            second.hit("public", "10.0.0.1")  # the third hit was the other worker's
        assert refused.value.headers == {"Retry-After": "60"}
        second.hit("public", "10.0.0.2")
        now[0] += 60
        first.hit("public", "10.0.0.1")  # a new window
    finally:
        table.path.unlink()
