"""A lost LISTEN connection cannot keep serving old statuses (issue #13, Low).

The scenario: the listener's server process stalls (SIGSTOP: no error, no notification,
a half-open connection). Before, the cache stayed ``live`` and answered from memory for
ever, however the lists changed; now a heartbeat notices and readers go to the database.
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from credentials.status_cache import StatusCache


def _dsn(engine) -> str:  # type: ignore[no-untyped-def]
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def test_a_stalled_listener_stops_the_cache(engine, embedded) -> None:  # type: ignore[no-untyped-def]
    if embedded is None:
        pytest.skip("needs the embedded server, to stall the listener's backend process")
    cache = StatusCache(heartbeat=0.1)
    await cache.listen(_dsn(engine))
    key = ("ucll", "message", 1)
    cache.keep(cache.generation, {key: bytes(16)})
    assert cache.live and cache.values([(*key, 3)]) == {(*key, 3): 0}
    backend = cache._connection.get_server_pid()
    os.kill(backend, signal.SIGSTOP)
    try:
        for _ in range(200):  # the heartbeat's query times out within 0.2 s
            if not cache.live:
                break
            await asyncio.sleep(0.05)
        assert not cache.live and cache.values([(*key, 3)]) is None
    finally:
        os.kill(backend, signal.SIGCONT)
        await cache.close()


async def test_no_heartbeat_for_three_periods_is_not_live(engine) -> None:  # type: ignore[no-untyped-def]
    """Even if the heartbeat task itself cannot run (a blocked loop), the TTL holds."""
    now = [100.0]
    cache = StatusCache(heartbeat=5.0, clock=lambda: now[0])
    await cache.listen(_dsn(engine))
    try:
        key = ("ucll", "message", 1)
        cache.keep(cache.generation, {key: bytes(16)})
        now[0] += 14.9
        assert cache.values([(*key, 0)]) == {(*key, 0): 0}
        now[0] += 0.2  # 15 s without a heartbeat
        assert not cache.live and cache.values([(*key, 0)]) is None
    finally:
        await cache.close()
