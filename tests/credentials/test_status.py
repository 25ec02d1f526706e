"""Revocation and suspension: one 1-bit revocation entry per credential (and the 2-bit
message entries of credentials issued before), in signed lists."""

from __future__ import annotations

import asyncio
import uuid

from credentials.keys import KeyRing
from credentials.proofs.signing import verify
from credentials.status import (
    LIST_BITS,
    LIST_SIZE,
    REVOKED,
    STATUS_MESSAGES,
    SUSPENDED,
    bit_position,
    decode_list,
    entry_value,
    read_values,
    set_bit,
)
from tests.conftest import TEST_SECRET
from tests.credentials import support
from tests.credentials.support import ISSUE, as_legacy, issue, request_body

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


def _bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


def _value(bits: bytes, index: int) -> int:
    """Entry ``index``'s 2-bit value, read straight from the spec: bits 2i and 2i+1 from
    the left, the first the more significant."""
    return _bit(bits, 2 * index) * 2 + _bit(bits, 2 * index + 1)


async def _list(client, entry):  # type: ignore[no-untyped-def]
    url = entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


async def _values(client, entry) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    bits = decode_list((await _list(client, entry))["credentialSubject"]["encodedList"])
    return _value(bits, int(entry["statusListIndex"])), bits


async def _checks(client, credential):  # type: ignore[no-untyped-def]
    report = (await client.post("/api/v1/verify", json=credential)).json()
    return report["verified"], {c["check"]: c for c in report["checks"]}


def test_entry_values_follow_the_spec_bit_layout() -> None:
    bits = bytearray(LIST_BITS // 8)
    assert entry_value(bytes(bits), 0) == 0 and entry_value(bytes(bits), LIST_SIZE) is None
    bits[0] = 0b10_00_01_11  # entry 0 revoked, 1 valid, 2 suspended, 3 revoked + suspended
    assert [entry_value(bytes(bits), i) for i in range(5)] == [2, 0, 1, 3, 0]
    assert [_value(bytes(bits), i) for i in range(4)] == [2, 0, 1, 3]
    assert bit_position(3, REVOKED) == 6 and bit_position(3, SUSPENDED) == 7
    assert STATUS_MESSAGES == ("valid", "suspended", "revoked", "revoked")


async def test_one_revocation_entry_and_the_signed_list(client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    entry = credential["credentialStatus"]
    url = entry["statusListCredential"]
    index = entry["statusListIndex"]
    assert url.startswith("http://127.0.0.1:8000/institutions/ucll/status/revocation-")
    assert entry == {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index,
        "statusListCredential": url,
    }
    assert index.isdigit() and 0 <= int(index) < LIST_SIZE

    status_list = await _list(client, entry)
    assert status_list["id"] == url
    assert status_list["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = status_list["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    bits = decode_list(subject["encodedList"])
    assert len(bits) * 8 == LIST_SIZE >= 131_072  # the spec's minimum, one bit an entry
    assert not any(bits)
    keys = KeyRing(TEST_SECRET, "http://127.0.0.1:8000")
    did = (await client.get("/institutions/ucll/did.json")).json()
    from credentials.proofs.multikey import resolve_from_did_documents

    assert verify(status_list, resolve_from_did_documents({did["id"]: did})).verified
    assert keys.issuers[did["id"]] == "ucll"
    verified, checks = await _checks(client, credential)
    assert verified and checks["status"]["ok"] is True


async def test_revocation_bit_follows_revoke_suspend_and_unsuspend(client, ucll) -> None:  # type: ignore[no-untyped-def]
    """A suspension sets the revocation bit (it must fail in every verifier) and lifting it
    clears the bit; the registry tells suspended from revoked by the row."""
    credential = (await issue(client, ucll)).json()
    other = (await issue(client, ucll, request_body(
        learner={"email": "other@example.org", "name": "Other"}))).json()
    cid = credential["id"].rsplit("/", 1)[1]
    entry = credential["credentialStatus"]
    index = int(entry["statusListIndex"])
    base = ISSUE.format(slug="ucll") + f"/{cid}"

    async def bits() -> bytes:
        return decode_list((await _list(client, entry))["credentialSubject"]["encodedList"])

    assert not any(await bits())
    assert (await client.post(base + "/suspend", json={"reason": "inquiry"}, headers=ucll)).status_code == 200
    listed = await bits()
    assert _bit(listed, index) == 1 and sum(b.bit_count() for b in listed) == 1
    verified, checks = await _checks(client, credential)
    assert not verified and checks["status"] == {"check": "status", "ok": False, "reason": "suspended"}
    assert (await client.post(base + "/unsuspend", json={}, headers=ucll)).status_code == 200
    assert not any(await bits())
    assert (await _checks(client, credential))[0] is True
    r = await client.post(base + "/revoke", json={"reason": "fraud"}, headers=ucll)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert _bit(await bits(), index) == 1
    verified, checks = await _checks(client, credential)
    assert not verified and checks["status"]["reason"] == "revoked"
    for action in ("unsuspend", "suspend", "revoke"):
        r = await client.post(base + f"/{action}", json={"reason": "x"}, headers=ucll)
        assert r.status_code == 409, action
    assert _bit(await bits(), index) == 1
    assert (await _checks(client, other))[0] is True


async def test_a_legacy_message_entry_still_verifies(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = await as_legacy(app, (await issue(client, ucll)).json())
    entry = credential["credentialStatus"]
    url = entry["statusListCredential"]
    index = entry["statusListIndex"]
    assert url.startswith("http://127.0.0.1:8000/institutions/ucll/status/message-")
    assert entry == {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": index,
        "statusListCredential": url,
        "statusSize": 2,
        "statusMessage": [{"status": "0x0", "message": "valid"},
                          {"status": "0x1", "message": "suspended"},
                          {"status": "0x2", "message": "revoked"},
                          {"status": "0x3", "message": "revoked"}],
    }
    status_list = await _list(client, entry)
    subject = status_list["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "message"
    bits = decode_list(subject["encodedList"])
    # At least 131,072 entries of statusSize 2: the spec's length check divides by it.
    assert len(bits) * 8 == LIST_BITS == 2 * LIST_SIZE >= 262_144
    assert not any(bits)
    verified, checks = await _checks(client, credential)
    assert verified and checks["status"]["ok"] is True


async def test_legacy_bits_flip_and_verify_reports_them(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = await as_legacy(app, (await issue(client, ucll)).json())
    cid = credential["id"].rsplit("/", 1)[1]
    entry = credential["credentialStatus"]
    index = int(entry["statusListIndex"])
    base = ISSUE.format(slug="ucll") + f"/{cid}"
    assert (await _values(client, entry))[0] == 0x0

    assert (await client.post(base + "/suspend", json={"reason": "inquiry"}, headers=ucll)).status_code == 200
    value, bits = await _values(client, entry)
    assert value == 0x1 and sum(b.bit_count() for b in bits) == 1  # only its second bit
    assert _bit(bits, 2 * index + 1) == 1
    verified, checks = await _checks(client, credential)
    assert not verified and checks["status"]["ok"] is False and checks["status"]["reason"] == "suspended"
    assert (await client.post(base + "/suspend", json={}, headers=ucll)).status_code == 409

    assert (await client.post(base + "/unsuspend", json={}, headers=ucll)).status_code == 200
    value, bits = await _values(client, entry)
    assert value == 0x0 and not any(bits)
    verified, checks = await _checks(client, credential)
    assert verified and checks["status"]["ok"] is True

    assert (await client.post(base + "/revoke", json={}, headers=ucll)).status_code == 422
    r = await client.post(base + "/revoke", json={"reason": "fraud"}, headers=ucll)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    value, bits = await _values(client, entry)
    assert value == 0x2 and _bit(bits, 2 * index) == 1
    verified, checks = await _checks(client, credential)
    assert not verified and checks["status"]["ok"] is False and checks["status"]["reason"] == "revoked"
    again = await client.post(base + "/revoke", json={"reason": "fraud"}, headers=ucll)
    assert again.status_code == 409
    assert (await client.post(base + "/unsuspend", json={}, headers=ucll)).status_code == 409
    assert (await client.post(base + "/suspend", json={}, headers=ucll)).status_code == 409
    assert (await _values(client, entry))[0] == 0x2


async def test_revoking_a_suspended_legacy_credential_is_final(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    first = await as_legacy(app, (await issue(client, ucll)).json())
    other = await as_legacy(app, (await issue(client, ucll, request_body(
        learner={"email": "other@example.org", "name": "Other"}))).json())
    base = ISSUE.format(slug="ucll") + "/" + first["id"].rsplit("/", 1)[1]
    entry = first["credentialStatus"]
    assert (await client.post(base + "/suspend", json={}, headers=ucll)).status_code == 200
    r = await client.post(base + "/revoke", json={"reason": "fraud"}, headers=ucll)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    value, bits = await _values(client, entry)
    assert value == 0x3  # revoked while suspended: "revoked" in every statusMessage
    verified, checks = await _checks(client, first)
    assert not verified and checks["status"]["reason"] == "revoked"
    for action in ("unsuspend", "suspend", "revoke"):
        r = await client.post(base + f"/{action}", json={"reason": "x"}, headers=ucll)
        assert r.status_code == 409, action
    assert (await _values(client, entry))[0] == 0x3
    # Its neighbour in the same list is untouched.
    assert other["credentialStatus"]["statusListCredential"] == entry["statusListCredential"]
    assert _value(bits, int(other["credentialStatus"]["statusListIndex"])) == 0
    assert (await _checks(client, other))[0] is True


async def _all_unknown(client, credential, variants) -> None:  # type: ignore[no-untyped-def]
    for variant in variants:
        verified, checks = await _checks(client, {**credential, "credentialStatus": variant})
        assert not verified
        assert checks["status"]["ok"] is None, variant
        assert checks["status"]["reason"].startswith("status unknown"), variant


async def test_an_entry_we_cannot_interpret_is_status_unknown(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    """Not "valid": a changed statusSize or purpose, or a list we do not hold, is unknown
    (the proof fails as well for the changed documents, but status never says "valid")."""
    credential = (await issue(client, ucll)).json()
    entry = credential["credentialStatus"]
    url = entry["statusListCredential"]
    variants = [
        {**entry, "statusSize": 2},
        {**entry, "statusPurpose": "message"},
        {**entry, "statusPurpose": "suspension"},
        {**entry, "statusListCredential": url.rsplit("-", 1)[0] + "-4242"},
        {**entry, "statusListIndex": str(LIST_SIZE)},
        {**entry, "statusListCredential": "https://example.org/status/1"},
    ]
    await _all_unknown(client, credential, variants)
    credential = await as_legacy(app, (await issue(client, ucll, request_body(
        learner={"email": "legacy@example.org", "name": "Legacy"}))).json())
    entry = credential["credentialStatus"]
    url = entry["statusListCredential"]
    variants = [
        {**entry, "statusSize": 1},
        {k: v for k, v in entry.items() if k != "statusSize"},
        {**entry, "statusPurpose": "revocation"},
        {**entry, "statusListCredential": url.rsplit("-", 1)[0] + "-4242"},
        {**entry, "statusListIndex": str(LIST_SIZE)},
        {**entry, "statusListCredential": "https://example.org/status/1"},
    ]
    await _all_unknown(client, credential, variants)


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
    """Separate connections flipping bits of different entries of one list at once (the
    revoked bit of some, the suspended bit of others, several in one byte): none is lost."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as s:
        list_id = await s.scalar(text(
            "INSERT INTO status_list (institution_id, purpose, seq, size, bits) "
            "VALUES (6, 'message', 999, :n, :b) RETURNING id"),
            {"n": LIST_SIZE, "b": bytes(LIST_BITS // 8)})
        await s.commit()
    flips = {0: REVOKED, 1: SUSPENDED, 2: REVOKED, 3: SUSPENDED, 1000: REVOKED,
             70_000: SUSPENDED, LIST_SIZE - 1: REVOKED, 9: SUSPENDED, 10: REVOKED}
    try:
        async def flip(index: int, offset: int) -> None:
            async with factory() as s:
                await set_bit(s, list_id, bit_position(index, offset), True)
                await asyncio.sleep(0.01)
                await s.commit()

        await asyncio.gather(*(flip(i, o) for i, o in flips.items()))
        async with factory() as s:
            bits = bytes(await s.scalar(text("SELECT bits FROM status_list WHERE id = :l"),
                                        {"l": list_id}))
        expected = {i: 0x2 if o == REVOKED else 0x1 for i, o in flips.items()}
        assert {i: v for i in range(LIST_SIZE) if (v := _value(bits, i))} == expected
        async with factory() as s:
            values = await read_values(s, [("vives", "message", 999, i) for i in flips])
        assert {k[3]: v for k, v in values.items()} == expected
    finally:
        async with factory() as s:
            await s.execute(text("DELETE FROM status_list WHERE id = :l"), {"l": list_id})
            await s.commit()


async def test_unknown_list_is_404(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/institutions/ucll/status/message-77")).status_code == 404
    assert (await client.get("/institutions/ucll/status/revocation-1")).status_code == 404
    assert (await client.get("/institutions/ucll/status/nope")).status_code == 404


async def test_status_cache_follows_committed_flips(engine) -> None:  # type: ignore[no-untyped-def]
    """The in-memory lists drop a list as soon as a flip commits, and never keep a stale read."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from credentials.status import read_lists
    from credentials.status_cache import StatusCache

    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as s:
        list_id = await s.scalar(text(
            "INSERT INTO status_list (institution_id, purpose, seq, size, bits) "
            "VALUES (5, 'message', 998, :n, :b) RETURNING id"),
            {"n": LIST_SIZE, "b": bytes(LIST_BITS // 8)})
        await s.commit()
    key = ("ucll", "message", 998)
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
            if cache.values(wanted) is None:
                return True
            await asyncio.sleep(0.01)
        return False

    try:
        assert cache.live and cache.values(wanted) is None
        await fill()
        assert cache.values(wanted) == {wanted[0]: 0}
        async with factory() as s:
            await set_bit(s, list_id, bit_position(42, SUSPENDED), True)
            await asyncio.sleep(0.05)
            assert cache.values(wanted) == {wanted[0]: 0}  # not committed: nothing changed
            await s.commit()
        assert await dropped()
        stale_generation = cache.generation
        stale = await fill()
        assert cache.values(wanted) == {wanted[0]: 0x1}
        async with factory() as s:
            await set_bit(s, list_id, bit_position(42, SUSPENDED), False)
            await s.commit()
        assert await dropped()
        cache.keep(stale_generation, stale)  # a read that began before the flip is not kept
        assert cache.values(wanted) is None
        await fill()
        assert cache.values(wanted) == {wanted[0]: 0}
    finally:
        await cache.close()
        assert not cache.live and cache.values(wanted) is None
        async with factory() as s:
            await s.execute(text("DELETE FROM status_list WHERE id = :l"), {"l": list_id})
            await s.commit()


def test_status_entry_canonicalises_byte_identically_on_the_fast_path() -> None:
    """The 2-bit entry (a nested ``statusMessage`` list of blank nodes) through the shape
    cache gives exactly pyld's N-Quads, over many credentials and random indexes."""
    import random
    import secrets

    from credentials.builder import build_credential
    from credentials.proofs.rdfc import canonicalize_reference
    from credentials.proofs.fastcanon import ShapeCache
    from credentials.status import list_url

    course = support.example("course-ucll-microcredential.json")
    defaults = {k: course[k] for k in ("title", "learning_outcomes", "ects", "eqf_level",
                                       "languages", "isced_codes", "prerequisites") if k in course}
    base = "http://127.0.0.1:8000"
    issuer = {"id": "did:web:127.0.0.1%3A8000:institutions:ucll", "name": "UCLL",
              "url": "https://www.ucll.be", "country": "BE"}
    cache = ShapeCache()
    rng = random.Random(2)
    for number in range(60):
        body = request_body(learner={"email": f"s{number}@example.org", "name": f"S {number}"})
        resolved = {**defaults, **body, "country": "BE",
                    "awarding_body": {"id": issuer["id"], "name": "UCLL"}}
        url = list_url(base, "ucll", "message", rng.randint(1, 30))
        index = rng.randrange(LIST_SIZE)
        # Older callers pass a (revocation, suspension) pair: the first entry is used.
        status = ([("revocation", url, index), ("suspension", url, index + 1)]
                  if number % 2 else ("message", url, index))
        document = build_credential(
            resolved, credential_id=f"{base}/api/v1/credentials/{uuid.UUID(int=number)}",
            issuer=issuer, achievement_id=f"{base}/api/v1/institutions/ucll/courses/MC-TOETS",
            description=course.get("description"), salt=secrets.token_hex(16), status=status)
        assert document["credentialStatus"]["statusListIndex"] == str(index)
        assert document["credentialStatus"]["statusListCredential"] == url
        assert cache.canonicalize(document) == canonicalize_reference(document)
    assert cache.hits > 0
