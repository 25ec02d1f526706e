"""Bitstring Status List v1.0: index allocation, bit updates and the signed list credentials.

A credential carries **one** ``BitstringStatusListEntry``: OB 3.0's schema allows a single
``credentialStatus`` object. Two kinds of list exist:

``revocation`` (every credential issued from 2026-12 on)
    1-bit entries, ``statusPurpose: "revocation"`` and no ``statusSize``: the only status
    that every verifier in the field reads (Digital Bazaar's and DCC's status-list
    libraries, the 1EdTech OB 3.0 display test). The bit is set when the credential is
    revoked **and while it is suspended**, so a suspended credential fails everywhere,
    and cleared again when a suspension is lifted. Bitstring Status List calls a
    ``revocation`` status "not reversible"; we clear it only to end a suspension, a
    deliberate deviation: with one status object the alternative is a suspension nobody
    reads (or a new credential at every lift, breaking the copies learners already
    shared), and clearing errs on the safe side (a verifier that cached "revoked" keeps
    refusing until it refetches). The registry itself tells revoked from suspended by the
    credential's row (``credentials.verifying``).
``message`` (credentials issued before; still served and updated)
    2-bit entries, ``statusPurpose: "message"``, ``statusSize: 2``, of which the first
    (most significant) bit says *revoked* and the second *suspended*::

        0x0 valid   0x1 suspended   0x2 revoked   0x3 revoked (revoked while suspended)

    No verifier library reads them (they read bit *i*, not bits 2i..2i+1), so no new entry
    is allocated on these lists; a learner gets a copy on a revocation list by reissue.
    ``statusSize`` and ``statusMessage`` sit on the entry only: the bundled status-list
    context defines them there and not on ``BitstringStatusList`` (see
    w3c/vc-bitstring-status-list#175 and #176).

Each institution has lists of each purpose named ``{purpose}-{seq}``, each of
``LIST_SIZE`` entries (the spec's minimum). Entry ``i`` occupies bits ``i * size`` ..
``i * size + size - 1``; bit ``k`` is the ``k``-th bit from the left (the most significant
bit of byte ``k // 8``), as the spec orders them; PostgreSQL's ``set_bit`` counts from the
least significant bit, hence ``8 * (k / 8) + 7 - k % 8``.

* Indexes are drawn uniformly at random (``secrets``) and reserved in
  ``status_allocation``, whose primary key keeps concurrent batches disjoint; a list
  takes new credentials until half its indexes are used, so a draw rarely collides and
  a set bit stays hidden among many. Then the next list opens.
* A bit flips with one ``UPDATE .. SET bits = set_bit(bits, ..)``: the row lock orders
  concurrent updates of one list and each works on the latest value, so no flip is lost.
  ``version`` counts changes.
* The list credential is signed when read after a change and kept with the version it
  covers (``signed``, ``signed_version``), so readers get stable bytes until the next flip.
"""

from __future__ import annotations

import base64
import gzip
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import NotFound
from credentials.keys import KeyRing
from credentials.proofs.signing import sign

__all__ = [
    "CHANNEL",
    "LEGACY_PURPOSE",
    "LIST_BITS",
    "LIST_SIZE",
    "ListKey",
    "PURPOSE",
    "REVOKED",
    "SIZES",
    "STATUS_MESSAGES",
    "STATUS_SIZE",
    "SUSPENDED",
    "Allocated",
    "allocate",
    "bit_position",
    "decode_list",
    "encode_list",
    "entry_value",
    "list_credential",
    "list_url",
    "parse_name",
    "read_lists",
    "read_values",
    "release",
    "set_bit",
    "status_entry",
]

PURPOSE = "revocation"
"""The purpose of every new entry."""
LEGACY_PURPOSE = "message"
"""The 2-bit lists of credentials issued before the revocation lists."""
SIZES = {PURPOSE: 1, LEGACY_PURPOSE: 2}
"""Bits per entry (``statusSize``) of each purpose."""
STATUS_SIZE = SIZES[LEGACY_PURPOSE]
LIST_SIZE = 131_072
"""Entries per list (the spec's minimum)."""
LIST_BITS = LIST_SIZE * STATUS_SIZE
"""Bits of a legacy (2-bit) list."""
REVOKED = 0
"""Offset of the *revoked* bit in an entry (its first, most significant bit)."""
SUSPENDED = 1
"""Offset of the *suspended* bit in an entry (its second bit)."""
STATUS_MESSAGES = ("valid", "suspended", "revoked", "revoked")
"""Message of each 2-bit value 0x0..0x3, as every entry's ``statusMessage`` commits to."""
CHANNEL = "academy_status_list"
_NAME = re.compile(r"^(message|revocation)-([1-9][0-9]{0,6})$")
_encode = msgspec.json.Encoder().encode

Allocated = tuple[int, int, int]
"""(list id, list seq, index)."""


def _purpose(purpose: str) -> str:
    if purpose in SIZES:
        return purpose
    raise ValueError(f"unknown status purpose {purpose!r}")


def list_url(base_url: str, slug: str, purpose: str, seq: int) -> str:
    return f"{base_url}/institutions/{slug}/status/{_purpose(purpose)}-{seq}"


def bit_position(index: int, offset: int) -> int:
    """The bit (from the left) of entry ``index``'s bit ``offset`` (``REVOKED``/``SUSPENDED``)."""
    return index * STATUS_SIZE + offset


def entry_value(bits: bytes, index: int, size: int = STATUS_SIZE) -> int | None:
    """The ``size``-bit value of entry ``index`` (most significant bit first), None when
    outside the list."""
    if not 0 <= index < len(bits) * 8 // size:
        return None
    first = index * size
    value = 0
    for k in range(first, first + size):
        value = (value << 1) | ((bits[k // 8] >> (7 - k % 8)) & 1)
    return value


def status_entry(url: str, index: int, purpose: str = PURPOSE) -> dict[str, object]:
    """The credential's one ``BitstringStatusListEntry`` (Bitstring Status List v1.0 §2.1):
    a 1-bit ``revocation`` entry, or (``purpose="message"``, re-signing a legacy credential
    as it was) the 2-bit entry with its messages."""
    if purpose == PURPOSE:
        return {
            "id": f"{url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": PURPOSE,
            "statusListIndex": str(index),
            "statusListCredential": url,
        }
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": LEGACY_PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
        "statusSize": STATUS_SIZE,
        "statusMessage": [{"status": hex(value), "message": message}
                          for value, message in enumerate(STATUS_MESSAGES)],
    }


def encode_list(bits: bytes) -> str:
    """Multibase base64url (``u``, no padding) of the GZIP-compressed bitstring."""
    packed = gzip.compress(bits, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not base64url multibase")
    raw = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


async def _current_list(
    session: AsyncSession, institution_id: int, purpose: str, wanted: int
) -> tuple[int, int]:
    purpose = _purpose(purpose)
    row = (await session.execute(
        text("SELECT l.id, l.seq, (SELECT count(*) FROM status_allocation a WHERE a.list_id = l.id) "
             "FROM status_list l WHERE l.institution_id = :i AND l.purpose = :p "
             "ORDER BY l.seq DESC LIMIT 1"),
        {"i": institution_id, "p": purpose},
    )).first()
    if row is not None and row[2] + wanted <= LIST_SIZE // 2:
        return int(row[0]), int(row[1])
    seq = 1 if row is None else int(row[1]) + 1
    size = SIZES[purpose]
    await session.execute(
        text("INSERT INTO status_list (institution_id, purpose, seq, size, status_size, bits) "
             "VALUES (:i, :p, :s, :n, :z, :b) ON CONFLICT DO NOTHING"),
        {"i": institution_id, "p": purpose, "s": seq, "n": LIST_SIZE, "z": size,
         "b": bytes(LIST_SIZE * size // 8)},
    )
    found = (await session.execute(
        text("SELECT id, seq FROM status_list WHERE institution_id = :i AND purpose = :p "
             "AND seq = :s"), {"i": institution_id, "p": purpose, "s": seq},
    )).one()
    return int(found[0]), int(found[1])


async def allocate(
    session: AsyncSession, institution_id: int, purpose: str, count: int
) -> list[Allocated]:
    """``count`` fresh random entry indexes of the institution's current list of
    ``purpose`` (``"revocation"`` for every new credential)."""
    if count == 0:
        return []
    if count > LIST_SIZE // 4:
        raise ValueError("too many indexes for one allocation")
    list_id, seq = await _current_list(session, institution_id, purpose, count)
    taken: list[int] = []
    for _ in range(20):
        want = count - len(taken)
        candidates: set[int] = set()
        while len(candidates) < want:
            candidates.add(secrets.randbelow(LIST_SIZE))
        rows = await session.execute(
            text("INSERT INTO status_allocation (list_id, idx) "
                 "SELECT :l, unnest(CAST(:idx AS integer[])) ON CONFLICT DO NOTHING RETURNING idx"),
            {"l": list_id, "idx": list(candidates)},
        )
        taken.extend(r[0] for r in rows)
        if len(taken) == count:
            return [(list_id, seq, idx) for idx in taken]
    raise RuntimeError("could not allocate status list indexes")


async def release(session: AsyncSession, allocated: list[Allocated]) -> None:
    """Give back indexes that no credential used (an idempotent retry lost a race)."""
    if allocated:
        await session.execute(
            text("DELETE FROM status_allocation WHERE (list_id, idx) IN "
                 "(SELECT * FROM unnest(CAST(:l AS integer[]), CAST(:i AS integer[])))"),
            {"l": [a[0] for a in allocated], "i": [a[2] for a in allocated]},
        )


async def set_bit(session: AsyncSession, list_id: int, index: int, value: bool) -> None:
    """Set bit ``index`` (from the left; see :func:`bit_position`) in SQL.

    A revocation list's entry ``i`` is bit ``i``; a legacy list's entry ``i`` has bits
    ``bit_position(i, REVOKED)`` and ``bit_position(i, SUSPENDED)``. The row lock orders concurrent flips of one list, each on the latest value, so none is
    lost; every server's ``StatusCache`` hears of it when this commits.
    """
    await session.execute(
        text("WITH u AS (UPDATE status_list SET bits = set_bit(bits, 8 * (:i / 8) + 7 - :i % 8, "
             ":v), version = version + 1 WHERE id = :l RETURNING institution_id, purpose, seq) "
             "SELECT pg_notify(:channel, i.slug || '/' || u.purpose || '/' || u.seq) "
             "FROM u JOIN institution i ON i.id = u.institution_id"),
        {"i": index, "v": int(value), "l": list_id, "channel": CHANNEL},
    )


async def read_values(
    session: AsyncSession, entries: list[tuple[str, str, int, int]]
) -> dict[tuple[str, str, int, int], int]:
    """Entry values of (slug, purpose, seq, entry index): 0/1 on a revocation list, 0x0-0x3
    on a legacy list; an unknown list or index is left out."""
    if not entries:
        return {}
    rows = await session.execute(
        text("SELECT e.slug, e.purpose, e.seq, e.idx, CASE l.status_size WHEN 1 THEN "
             "get_bit(l.bits, 8 * (e.idx / 8) + 7 - e.idx % 8) ELSE "
             "get_bit(l.bits, 8 * ((2 * e.idx) / 8) + 7 - (2 * e.idx) % 8) * 2 "
             "+ get_bit(l.bits, 8 * ((2 * e.idx + 1) / 8) + 7 - (2 * e.idx + 1) % 8) END "
             "FROM unnest(CAST(:s AS text[]), CAST(:p AS text[]), CAST(:q AS integer[]), "
             "CAST(:x AS integer[])) AS e(slug, purpose, seq, idx) "
             "JOIN institution i ON i.slug = e.slug "
             "JOIN status_list l ON l.institution_id = i.id AND l.purpose = e.purpose "
             "AND l.seq = e.seq WHERE e.idx >= 0 AND e.idx < l.size"),
        {"s": [e[0] for e in entries], "p": [e[1] for e in entries],
         "q": [e[2] for e in entries], "x": [e[3] for e in entries]},
    )
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}


ListKey = tuple[str, str, int]
"""(institution slug, purpose, seq)."""


async def read_lists(session: AsyncSession, keys: list[ListKey]) -> dict[ListKey, bytes]:
    """Whole bitstrings of the given lists (unknown lists are left out)."""
    rows = await session.execute(
        text("SELECT e.slug, e.purpose, e.seq, l.bits FROM unnest(CAST(:s AS text[]), "
             "CAST(:p AS text[]), CAST(:q AS integer[])) AS e(slug, purpose, seq) "
             "JOIN institution i ON i.slug = e.slug JOIN status_list l ON "
             "l.institution_id = i.id AND l.purpose = e.purpose AND l.seq = e.seq"),
        {"s": [k[0] for k in keys], "p": [k[1] for k in keys], "q": [k[2] for k in keys]},
    )
    return {(r[0], r[1], r[2]): bytes(r[3]) for r in rows}


def parse_name(name: str) -> tuple[str, int] | None:
    match = _NAME.match(name)
    return (match.group(1), int(match.group(2))) if match else None


async def list_credential(session: AsyncSession, keyring: KeyRing, slug: str, name: str) -> bytes:
    """The signed BitstringStatusListCredential of ``slug``'s list ``name`` (exact bytes)."""
    parsed = parse_name(name)
    row = None
    if parsed is not None:
        row = (await session.execute(
            text("SELECT l.id, l.institution_id, l.bits, l.version, l.signed, l.signed_version "
                 "FROM status_list l JOIN institution i ON i.id = l.institution_id "
                 "WHERE i.slug = :s AND l.purpose = :p AND l.seq = :q"),
            {"s": slug, "p": parsed[0], "q": parsed[1]},
        )).first()
    if row is None or parsed is None:
        raise NotFound(f"{slug} has no status list {name!r}.")
    list_id, institution_id, bits, version, signed, signed_version = row
    if signed is not None and signed_version == version:
        return bytes(signed)
    url = list_url(keyring.base_url, slug, *parsed)
    key = await keyring.signing_key(session, institution_id, slug)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keyring.did(slug),
        "validFrom": now,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            # "message" lists: statusSize is on each entry (see the module docstring)
            "statusPurpose": parsed[0],
            "encodedList": encode_list(bytes(bits)),
        },
    }
    body = _encode(sign(document, key.private_key, key.verification_method, now))
    # Only the version just read: a flip in between leaves it unsigned for the next reader.
    await session.execute(
        text("UPDATE status_list SET signed = :b, signed_version = :v "
             "WHERE id = :l AND version = :v"),
        {"b": body, "v": version, "l": list_id},
    )
    return body
