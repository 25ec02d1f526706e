"""Verifying any credential against our trust registry, offline.

Five checks, each ``ok`` True, False or None (could not be decided), with a reason:

* ``proof``: every Data Integrity proof (eddsa-rdfc-2022 or eddsa-jcs-2022) holds (the
  algorithm's steps, one function each, are in ``credentials.proofs.signing``), with
  the key its verification method names, taken from *our* issuer keys (the DID documents
  we serve), never fetched; a key revoked with ``academy keys revoke-signing`` proves
  nothing created from its revocation on (``KeyRing.refusal``).
* ``issuer``: the issuer is one of the six partners (their did:web under our base URL).
* ``status``: the BitstringStatusListEntry is looked up in our status lists
  (``credentials.status``): a 1-bit ``revocation`` entry (set: revoked, or suspended,
  which the credential's row tells apart), or a legacy 2-bit ``message`` entry
  (``statusSize`` 2, first bit revoked, second suspended). A list we do not hold (another
  host, an unknown list or index) or an entry we cannot interpret gives ``None``, "status
  unknown": a verifier that cannot read the list must not claim the credential is not
  revoked.
* ``validity``: ``validFrom`` has passed and ``validUntil``, if any, has not.
* ``schema``: the OB 3.0 AchievementCredential schema (``credentials.fastschema``).

``verified`` is true only when every check is ``ok: true``. Bad input never raises:
a tampered or malformed credential is a report with the failing check.

The CPU-bound checks (proof and schema) are ``check_proofs``: bounded by
``credentials.proofs.limits`` (a credential beyond a bound fails with the reason), free of I/O,
so that a caller's ``prover`` may run it in another process with a deadline.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext, suppress
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.structs import OutStruct
from credentials.fastschema import ob3_violations
from credentials.keys import KeyRing, parse_instant
from credentials.proofs.limits import (
    MAX_PROOFS,
    MAX_STATUS_ENTRIES,
    DeadlinePassed,
    check_deadline,
    deadline,
    document_problem,
)
from credentials.proofs.signing import verify
from credentials.status import (
    PURPOSE,
    SIZES,
    STATUS_MESSAGES,
    entry_value,
    parse_name,
    read_lists,
    read_values,
)
from credentials.status_cache import StatusCache

__all__ = ["Check", "ProofJob", "Prover", "Report", "check_proofs", "verify_credential",
           "verify_many"]

CheckName = Literal["proof", "issuer", "status", "validity", "schema"]


class Check(OutStruct, frozen=True):
    check: CheckName
    ok: bool | None
    reason: str


class Report(OutStruct, frozen=True):
    verified: bool
    checks: list[Check]


def _issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


ProofJob = tuple[dict[str, Any], dict[str, bytes]]
"""A document and the raw Ed25519 public keys of the verification methods it names."""
Prover = Callable[[list[ProofJob], datetime], Awaitable[list[tuple[Check, Check]]]]
"""Runs ``check_proofs`` somewhere (inline, or in a worker process with a deadline)."""
_MAX_KEY_LOOKUPS = 8  # database reads for unknown methods per request (20,000 proofs: 20,000)


def _methods(document: dict[str, Any]) -> list[str]:
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    if len(proofs) > MAX_PROOFS:
        return []  # refused by document_problem; no key is worth loading
    return [p["verificationMethod"] for p in proofs
            if isinstance(p, dict) and isinstance(p.get("verificationMethod"), str)]


async def _proof_jobs(sessions: _Sessions, keyring: KeyRing,
                      documents: list[dict[str, Any]]) -> list[ProofJob]:
    """Each document with the public keys it names, read from our database at most a few times."""
    looked_up: set[str] = set()
    jobs = []
    for document in documents:
        keys = {}
        for method in _methods(document):
            key = keyring.cached_method(method)
            # stale: never read, or read long enough ago that a revocation may have come
            if (keyring.stale(method) and method not in looked_up
                    and len(looked_up) < _MAX_KEY_LOOKUPS):
                looked_up.add(method)
                key = await keyring.load_method(await sessions.get(), method)
            if key is not None:
                keys[method] = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        jobs.append((document, keys))
    return jobs


def _refusal(keyring: KeyRing, document: dict[str, Any]) -> Check | None:
    """A revoked key (``academy keys revoke-signing``) proves nothing from its date on."""
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    for proof in proofs[:MAX_PROOFS]:
        method = proof.get("verificationMethod") if isinstance(proof, dict) else None
        if isinstance(method, str) and (refused := keyring.refusal(method, proof.get("created"))):
            return Check("proof", False, refused)
    return None


def _resolver(keys: dict[str, bytes]) -> Callable[[str], Ed25519PublicKey | None]:
    def resolve(method: str) -> Ed25519PublicKey | None:
        raw = keys.get(method)
        return Ed25519PublicKey.from_public_bytes(raw) if raw is not None else None
    return resolve


def _proof_check(document: dict[str, Any], keys: dict[str, bytes], now: datetime) -> Check:
    result = verify(document, _resolver(keys), now=now)
    if result.verified:
        return Check("proof", True, f"{result.cryptosuite} proof by {result.verification_method}")
    return Check("proof", False, result.reason)


def check_proofs(jobs: list[ProofJob], now: datetime,
                 deadline_at: float | None = None) -> list[tuple[Check, Check]]:
    """The proof and schema checks of each job: the CPU-bound part, safe to run in a worker.

    Bounded (``credentials.proofs.limits``): an oversized document or one too entangled to
    canonicalise fails its checks with the reason; past ``deadline_at`` (``time.time()``)
    the remaining documents are left undecided.
    """
    out: list[tuple[Check, Check]] = []
    with deadline(deadline_at):
        for document, keys in jobs:
            try:
                check_deadline()
                if problem := document_problem(document):
                    out.append((Check("proof", False, problem), Check("schema", False, problem)))
                    continue
                out.append((_proof_check(document, keys, now), _schema(document)))
            except DeadlinePassed:
                late = "not decided: the verification deadline passed"
                out.append((Check("proof", None, late), Check("schema", None, late)))
    return out


async def _inline(jobs: list[ProofJob], now: datetime) -> list[tuple[Check, Check]]:
    return check_proofs(jobs, now)


def _issuer(keyring: KeyRing, document: dict[str, Any]) -> Check:
    issuer = _issuer_id(document)
    slug = keyring.issuers.get(issuer or "")
    if slug is None:
        return Check("issuer", False, f"{issuer!r} is not a partner of the Association")
    return Check("issuer", True, f"{issuer} is {slug}, a partner of the Association")


_OUR_LIST = re.compile(r"^/institutions/([a-z]+)/status/([a-z]+-[0-9]+)$")


def _entries(document: dict[str, Any]) -> list[Any]:
    status = document.get("credentialStatus")
    if status is None:
        return []
    return status if isinstance(status, list) else [status]


Wanted = list[tuple[str, str, int, int]]


def _status_entries(keyring: KeyRing, document: dict[str, Any]) -> Check | Wanted:
    """The (slug, purpose, seq, index) bits to read, or the check when none can be read."""
    entries = _entries(document)
    if not entries:
        return Check("status", True, "the credential has no status entry and cannot be revoked")
    wanted: Wanted = []
    for entry in entries:
        url = entry.get("statusListCredential") if isinstance(entry, dict) else None
        index = entry.get("statusListIndex") if isinstance(entry, dict) else None
        purpose = entry.get("statusPurpose") if isinstance(entry, dict) else None
        size = entry.get("statusSize", 1) if isinstance(entry, dict) else None
        expected = SIZES.get(purpose) if isinstance(purpose, str) else None
        if not isinstance(url, str) or not url.startswith(keyring.base_url + "/"):
            return Check("status", None, f"status unknown: list {url!r} is not one we can read")
        match = _OUR_LIST.match(url[len(keyring.base_url):])
        parsed = parse_name(match.group(2)) if match else None
        if (match is None or parsed is None or parsed[0] != purpose
                or not isinstance(index, str) or not index.isdigit() or len(index) > 9):
            return Check("status", None, f"status unknown: cannot resolve entry for {url!r}")
        if type(size) is not int or size != expected:
            return Check("status", None, f"status unknown: statusSize {size!r} does not match "
                                         f"the {expected}-bit entries of {url!r}")
        wanted.append((match.group(1), parsed[0], parsed[1], int(index)))
    return wanted


def _message(entry: tuple[str, str, int, int], value: int, suspended: bool) -> str:
    if entry[1] == PURPOSE:
        return ("suspended" if suspended else "revoked") if value else "valid"
    return STATUS_MESSAGES[value]


def _status_check(wanted: Wanted, values: dict[tuple[str, str, int, int], int],
                  suspended: bool) -> Check:
    missing = [w for w in wanted if w not in values]
    if missing:
        slug, purpose, seq, index = missing[0]
        return Check("status", None,
                     f"status unknown: {slug} has no {purpose}-{seq} list with index {index}")
    found = {_message(w, values[w], suspended) for w in wanted}
    if "revoked" in found:
        return Check("status", False, "revoked")
    if "suspended" in found:
        return Check("status", False, "suspended")
    lists = ", ".join(sorted({f"{w[1]}-{w[2]}" for w in wanted}))
    return Check("status", True, f"valid (0) in status list {lists}")


def _validity(document: dict[str, Any], now: datetime) -> Check:
    start = parse_instant(document.get("validFrom"))
    if start is None:
        return Check("validity", False, "validFrom is missing or not a date-time with a zone")
    if start > now:
        return Check("validity", False, f"not valid before {document['validFrom']}")
    if "validUntil" in document:
        end = parse_instant(document["validUntil"])
        if end is None:
            return Check("validity", False, "validUntil is not a date-time with a zone")
        if end < now:
            return Check("validity", False, f"expired on {document['validUntil']}")
    return Check("validity", True, f"valid since {document['validFrom']}")


def _schema(document: dict[str, Any]) -> Check:
    problems = ob3_violations(document)
    if not problems:
        return Check("schema", True, "valid Open Badges 3.0 AchievementCredential")
    shown = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in problems[:3])
    return Check("schema", False, shown + (f" (and {len(problems) - 3} more)" if len(problems) > 3
                                          else ""))


_NAMES = ("proof", "issuer", "status", "validity", "schema")


class _Sessions:
    """A database session opened only when a check needs one (read-only, never committed)."""

    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[AsyncSession]]) -> None:
        self._opener = opener
        self._context: AbstractAsyncContextManager[AsyncSession] | None = None
        self._session: AsyncSession | None = None

    async def get(self) -> AsyncSession:
        if self._session is None:
            self._context = self._opener()
            self._session = await self._context.__aenter__()
        return self._session

    async def close(self) -> None:
        if self._context is not None:
            await self._context.__aexit__(None, None, None)


async def _values(sessions: _Sessions, cache: StatusCache | None,
                  wanted: Wanted) -> dict[Any, int]:
    """The 2-bit value of each wanted entry: from memory, else one database read."""
    if not wanted:
        return {}
    if cache is not None:
        found = cache.values(wanted)
        if found is not None:
            return found
        if cache.live:
            generation = cache.generation
            lists = await read_lists(await sessions.get(), sorted({w[:3] for w in wanted}))
            cache.keep(generation, lists)
            values = {w: entry_value(lists[w[:3]], w[3], SIZES[w[1]])
                      for w in wanted if w[:3] in lists}
            return {w: v for w, v in values.items() if v is not None}
    return await read_values(await sessions.get(), wanted)


async def _suspended(sessions: _Sessions, documents: list[Any], partial: list[Any],
                     values: dict[Any, int]) -> set[str]:
    """Ids of the documents whose set revocation bit stands for a suspension (the bit is
    the same; the credential's row says which), in one query, only when a bit is set."""
    flagged: dict[str, uuid.UUID] = {}
    for document, part in zip(documents, partial):
        if part is None or not isinstance(part[-1], list):
            continue
        if any(w[1] == PURPOSE and values.get(w) for w in part[-1]):
            credential_id = document.get("id")
            with suppress(ValueError, AttributeError, TypeError):
                flagged[credential_id] = uuid.UUID(credential_id.rsplit("/", 1)[-1])
    if not flagged:
        return set()
    rows = await (await sessions.get()).execute(
        text("SELECT id FROM credential WHERE id = ANY(CAST(:ids AS uuid[])) "
             "AND status = 'suspended'"), {"ids": list(flagged.values())})
    held = {row[0] for row in rows}
    return {iri for iri, found in flagged.items() if found in held}


async def verify_credential(
    session: AsyncSession, keyring: KeyRing, document: Any, *, now: datetime | None = None,
    cache: StatusCache | None = None, prover: Prover | None = None,
) -> Report:
    """Run every check on ``document`` (any JSON value); never raises on bad input."""
    reports = await verify_many(lambda: nullcontext(session), keyring, [document], now=now,
                                cache=cache, prover=prover)
    return reports[0]


async def verify_many(
    open_session: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    keyring: KeyRing,
    documents: list[Any],
    *,
    cache: StatusCache | None = None,
    now: datetime | None = None,
    prover: Prover | None = None,
) -> list[Report]:
    """``verify_credential`` for each document, touching the database at most once.

    With issuer keys already cached and a live ``cache``, no database session is opened.
    ``prover`` runs the CPU-bound checks (``check_proofs``); by default in this thread.
    """
    sessions = _Sessions(open_session)
    try:
        return await _verify_many(sessions, keyring, documents, cache, now or datetime.now(UTC),
                                  prover or _inline)
    finally:
        await sessions.close()


def _many_entries(document: dict[str, Any]) -> Check | None:
    if len(_entries(document)) > MAX_STATUS_ENTRIES:
        return Check("status", None, f"status unknown: more than {MAX_STATUS_ENTRIES} "
                                     "status entries are not read")
    return None


async def _verify_many(sessions: _Sessions, keyring: KeyRing, documents: list[Any],
                       cache: StatusCache | None, now: datetime, prover: Prover) -> list[Report]:
    objects = [d for d in documents if isinstance(d, dict)]
    proved = iter(await prover(await _proof_jobs(sessions, keyring, objects), now))
    partial: list[tuple[list[Check], Check, Check | Wanted] | None] = []
    for document in documents:
        if not isinstance(document, dict):
            partial.append(None)
            continue
        proof, schema = next(proved)
        proof = _refusal(keyring, document) or proof
        status = _many_entries(document) or _status_entries(keyring, document)
        partial.append(([proof, _issuer(keyring, document)], schema, status))
    wanted = [w for p in partial if p and isinstance(p[2], list) for w in p[2]]
    values = await _values(sessions, cache, wanted)
    suspended = await _suspended(sessions, documents, partial, values)
    reports = []
    for document, part in zip(documents, partial):
        if part is None:
            reports.append(Report(False, [Check(n, False, "not a JSON object")  # type: ignore[arg-type]
                                          for n in _NAMES]))
            continue
        checks, schema, status = part
        status_check = status if isinstance(status, Check) else _status_check(
            status, values, document.get("id") in suspended)
        checks = [*checks, status_check, _validity(document, now), schema]
        reports.append(Report(all(c.ok is True for c in checks), checks))
    return reports
