"""Revocation and suspension: final revocation, toggled suspension, bits in signed status lists."""

from __future__ import annotations

import asyncio

from credentials.keys import KeyRing
from credentials.signing import verify
from credentials.status import LIST_SIZE, decode_list, set_bit
from tests.conftest import TEST_SECRET
from tests.credentials import support
from tests.credentials.support import ISSUE, issue

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


def _bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


async def _list(client, entry):  # type: ignore[no-untyped-def]
    url = entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


async def _checks(client, credential):  # type: ignore[no-untyped-def]
    report = (await client.post("/api/v1/verify", json=credential)).json()
    return report["verified"], {c["check"]: c for c in report["checks"]}


async def test_bits_flip_and_verify_reports_them(client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    cid = credential["id"].rsplit("/", 1)[1]
    revocation, suspension = credential["credentialStatus"]
    base = ISSUE.format(slug="ucll") + f"/{cid}"

    status_list = await _list(client, suspension)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == "suspension" and subject["encodedList"].startswith("u")
    bits = decode_list(subject["encodedList"])
    assert len(bits) * 8 == LIST_SIZE >= 131_072
    assert _bit(bits, int(suspension["statusListIndex"])) == 0
    keys = KeyRing(TEST_SECRET, "http://127.0.0.1:8000")
    did = (await client.get("/institutions/ucll/did.json")).json()
    from credentials.signing import resolve_from_did_documents

    assert verify(status_list, resolve_from_did_documents({did["id"]: did})).verified
    assert keys.issuers[did["id"]] == "ucll"

    assert (await client.post(base + "/suspend", json={"reason": "inquiry"}, headers=ucll)).status_code == 200
    bits = decode_list((await _list(client, suspension))["credentialSubject"]["encodedList"])
    assert _bit(bits, int(suspension["statusListIndex"])) == 1
    verified, checks = await _checks(client, credential)
    assert not verified and checks["status"]["ok"] is False and checks["status"]["reason"] == "suspended"
    assert (await client.post(base + "/suspend", json={}, headers=ucll)).status_code == 409

    assert (await client.post(base + "/unsuspend", json={}, headers=ucll)).status_code == 200
    bits = decode_list((await _list(client, suspension))["credentialSubject"]["encodedList"])
    assert _bit(bits, int(suspension["statusListIndex"])) == 0
    assert (await _checks(client, credential))[0] is True

    assert (await client.post(base + "/revoke", json={}, headers=ucll)).status_code == 422
    r = await client.post(base + "/revoke", json={"reason": "fraud"}, headers=ucll)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    bits = decode_list((await _list(client, revocation))["credentialSubject"]["encodedList"])
    assert _bit(bits, int(revocation["statusListIndex"])) == 1
    verified, checks = await _checks(client, credential)
    assert not verified and checks["status"]["reason"] == "revoked"
    again = await client.post(base + "/revoke", json={"reason": "fraud"}, headers=ucll)
    assert again.status_code == 409
    assert (await client.post(base + "/unsuspend", json={}, headers=ucll)).status_code == 409


async def test_only_the_issuer_changes_status(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    cid = credential["id"].rsplit("/", 1)[1]
    from tests.conftest import bearer

    vives = bearer(await make_key("vives", "issue"))
    r = await client.post(ISSUE.format(slug="vives") + f"/{cid}/revoke", json={"reason": "x"},
                          headers=vives)
    assert r.status_code == 404
    r = await client.post(ISSUE.format(slug="ucll") + f"/{cid}/revoke", json={"reason": "x"},
                          headers=vives)
    assert r.status_code == 403


async def test_concurrent_flips_in_one_list_lose_no_bit(engine) -> None:  # type: ignore[no-untyped-def]
    """Separate connections flipping different bits of one list at once: all bits stay set."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as s:
        list_id = await s.scalar(text(
            "INSERT INTO status_list (institution_id, purpose, seq, size, bits) "
            "VALUES (6, 'revocation', 999, :n, :b) RETURNING id"),
            {"n": LIST_SIZE, "b": bytes(LIST_SIZE // 8)})
        await s.commit()
    indexes = [3, 4, 5, 1000, 70_000, 131_071, 9, 10]
    try:
        async def flip(index: int) -> None:
            async with factory() as s:
                await set_bit(s, list_id, index, True)
                await asyncio.sleep(0.01)
                await s.commit()

        await asyncio.gather(*(flip(i) for i in indexes))
        async with factory() as s:
            bits = bytes(await s.scalar(text("SELECT bits FROM status_list WHERE id = :l"),
                                        {"l": list_id}))
        assert [i for i in range(LIST_SIZE) if _bit(bits, i)] == sorted(indexes)
    finally:
        async with factory() as s:
            await s.execute(text("DELETE FROM status_list WHERE id = :l"), {"l": list_id})
            await s.commit()


async def test_unknown_list_is_404(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/institutions/ucll/status/revocation-77")).status_code == 404
    assert (await client.get("/institutions/ucll/status/nope")).status_code == 404


async def test_status_cache_follows_committed_flips(engine) -> None:  # type: ignore[no-untyped-def]
    """The in-memory lists drop a list as soon as a flip commits, and never keep a stale read."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from credentials.status import StatusCache, read_lists

    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as s:
        list_id = await s.scalar(text(
            "INSERT INTO status_list (institution_id, purpose, seq, size, bits) "
            "VALUES (5, 'suspension', 998, :n, :b) RETURNING id"),
            {"n": LIST_SIZE, "b": bytes(LIST_SIZE // 8)})
        await s.commit()
    key = ("ucll", "suspension", 998)
    wanted = [(*key, 42)]
    cache = StatusCache()
    await cache.listen(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))

    async def fill() -> dict:  # type: ignore[type-arg]
        generation = cache.generation
        async with factory() as s:
            lists = await read_lists(s, [key])
        cache.keep(generation, lists)
        return lists

    async def dropped() -> bool:
        for _ in range(100):
            if cache.bits(wanted) is None:
                return True
            await asyncio.sleep(0.01)
        return False

    try:
        assert cache.live and cache.bits(wanted) is None
        await fill()
        assert cache.bits(wanted) == {wanted[0]: False}
        async with factory() as s:
            await set_bit(s, list_id, 42, True)
            await asyncio.sleep(0.05)
            assert cache.bits(wanted) == {wanted[0]: False}  # not committed: nothing changed
            await s.commit()
        assert await dropped()
        stale_generation = cache.generation
        stale = await fill()
        assert cache.bits(wanted) == {wanted[0]: True}
        async with factory() as s:
            await set_bit(s, list_id, 42, False)
            await s.commit()
        assert await dropped()
        cache.keep(stale_generation, stale)  # a read that began before the flip is not kept
        assert cache.bits(wanted) is None
        await fill()
        assert cache.bits(wanted) == {wanted[0]: False}
    finally:
        await cache.close()
        assert not cache.live and cache.bits(wanted) is None
        async with factory() as s:
            await s.execute(text("DELETE FROM status_list WHERE id = :l"), {"l": list_id})
            await s.commit()
