"""Who a rate limit counts (issue #13, Low): no spoofing, no slot aiming, no unlimited route.

Attacks: a client on loopback rotating ``X-Forwarded-For`` (uvicorn believed it from
127.0.0.1), an IPv6 subscriber rotating addresses inside its /64, a client whose key was
chosen to land in a victim's slot of the table (CRC32 was public), and the public routes
that were never counted (credential pages, pathways, shares, ``/me``).
"""

from __future__ import annotations

import zlib

import httpx
import msgspec

from api.app import create_app
from api.ratelimit import SLOTS, RateLimiter, SharedWindows, client_key
from tests.api.live import live_server
from tests.client import AppClient


async def test_a_loopback_client_cannot_spoof_x_forwarded_for(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    overrides = {"ACADEMY_SEARCH_RATE_PER_MINUTE": "3"}
    async with live_server(database_url, tmp_path, demo=False, env_overrides=overrides) as server, \
            httpx.AsyncClient(base_url=server.base) as client:
        codes = [(await client.get("/api/v1/suggest", params={"q": "zorg"},
                                   headers={"X-Forwarded-For": f"198.51.100.{n}"})).status_code
                 for n in range(5)]
    assert codes == [200, 200, 200, 429, 429], codes


async def test_forwarded_for_is_believed_from_trusted_proxies_only(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    limited = msgspec.structs.replace(settings, search_rate_per_minute=2,
                                      trusted_proxies=("10.0.0.0/30",))
    app = create_app(limited, session_factory=session_factory)
    async with AppClient(app, client=("10.0.0.1", 1)) as c:  # our proxy
        async def get(forwarded: str) -> int:
            r = await c.get("/api/v1/suggest", params={"q": "a"},
                            headers={"X-Forwarded-For": forwarded})
            return r.status_code
        # the client is the rightmost address that is not one of our proxies
        assert [await get("192.0.2.9, 203.0.113.5") for _ in range(3)] == [200, 200, 429]
        assert await get("203.0.113.6, 10.0.0.2") == 200  # through two of our proxies
        assert await get("1.2.3.4, 203.0.113.5") == 429  # what it claims beyond is ignored
        c.from_address("198.51.100.1")  # not a proxy of ours: its header means nothing
        assert [await get(f"203.0.113.{n}") for n in range(10, 13)] == [200, 200, 429]


def test_ipv6_clients_are_counted_per_64() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    limiter = RateLimiter({"public": 2})
    limiter.hit("public", client_key("2001:db8::1"))
    limiter.hit("public", client_key("2001:db8::2"))
    import pytest
    from litestar.exceptions import TooManyRequestsException

    with pytest.raises(TooManyRequestsException):
        limiter.hit("public", client_key("2001:db8::3"))
    limiter.hit("public", client_key("2001:db8:0:1::1"))  # another subscriber


def test_a_client_cannot_aim_at_a_victims_slot() -> None:
    """With CRC32 anyone could compute an address sharing a victim's window and use it up."""
    victim = "public\x00203.0.113.7"
    target = zlib.crc32(victim.encode()) & (SLOTS - 1)
    aimed = next(f"public\x00198.51.{n // 256}.{n % 256}" for n in range(1 << 20)
                 if zlib.crc32(f"public\x00198.51.{n // 256}.{n % 256}".encode())
                 & (SLOTS - 1) == target and f"198.51.{n // 256}.{n % 256}" != "203.0.113.7")
    one, two = SharedWindows(), SharedWindows()
    # keyed: the aimed key lands elsewhere, and each table has a key of its own
    assert one.slot(aimed) != one.slot(victim)
    assert [one.slot(f"k{n}") for n in range(8)] != [two.slot(f"k{n}") for n in range(8)]
    limiter = RateLimiter({"public": 3}, shared=one)
    for _ in range(3):
        limiter.hit("public", aimed.split("\x00")[1])
    limiter.hit("public", "203.0.113.7")  # the victim still has its own window
    table = SharedWindows.create()  # workers mapping one table hash alike
    try:
        assert SharedWindows(table.path).slot(victim) == table.slot(victim)
    finally:
        table.path.unlink()


async def test_every_public_route_is_limited(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    limited = msgspec.structs.replace(settings, search_rate_per_minute=2)
    paths = ["/api/v1/credentials/00000000-0000-0000-0000-000000000000", "/api/v1/pathways",
             "/api/v1/shares/shr_nope", "/me", "/api/v1/me/credentials",
             "/credentials/00000000-0000-0000-0000-000000000000",
             "/institutions/ucll/did.json"]
    for n, path in enumerate(paths):
        app = create_app(limited, session_factory=session_factory)
        async with AppClient(app, client=(f"192.0.2.{n + 1}", 1)) as c:
            codes = [(await c.get(path)).status_code for _ in range(3)]
            assert codes[:2] != [429, 429] and codes[2] == 429, (path, codes)
            assert (await c.get("/health")).status_code == 200
            assert (await c.get("/static/app.css")).status_code == 200
