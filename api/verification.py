"""Verification as a public service: bounded input, the CPU work off the event loop, verdicts kept.

Anyone may send ``POST /api/v1/verify`` a credential, and every view of ``/credentials/{id}``
shows a verdict, so the work is bounded and kept away from the event loop:

* ``parse_verify_body`` counts a batch's items on the raw bytes before parsing any
  (``credentials.proofs.limits``) and charges the client's verify rate for them, or for the body's
  size if that is more (``verify_cost``); the route caps the body at ``MAX_BODY_BYTES``.
* ``pool_prover`` runs ``check_proofs`` (JSON-LD, RDFC-1.0, signatures, the OB 3.0 schema) in
  the app's verification process pool, split over its workers, with a deadline: the workers
  stop at it themselves (documents left are "not decided"), and workers that finished
  nothing for the deadline and a grace period are killed (stuck in one long call). CPU-bound pure Python in a thread would keep the GIL, and with it
  every other request of the worker, hence processes.
* ``ProofVerdicts`` keeps the proof and schema checks of stored credentials: they depend only
  on the stored bytes and the issuer keys, both part of the key. Status and validity are
  evaluated at every view (status from the LISTEN-invalidated ``StatusCache``), so a page
  shows a new status as soon as it changes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Litestar, Request

from api.jobs import CpuPool
from catalogue.errors import Invalid
from catalogue.validation import MalformedJSON, Violation, loads_strict
from credentials.proofs.limits import TooManyItems, split_items
from credentials.verifying import Check, ProofJob, Prover, check_proofs

__all__ = ["CREDENTIAL_BYTES", "GRACE_SECONDS", "ProofVerdicts", "client_of", "parse_verify_body",
           "pool_prover", "prover_of", "stored_prover", "verdicts_of", "verify_cost",
           "warm_verifiers"]

GRACE_SECONDS = 2.0
"""How long after the deadline a worker may take to notice it before it is killed."""
CREDENTIAL_BYTES = 8192
"""About one of our credentials (3-6 KB): the unit a verify body's size is charged in."""


def client_of(request: Request) -> str:
    """The client a rate limit counts (as ``api.access.access_guard`` names it: trusted
    proxies and IPv6 /64 groups in ``api.ratelimit.RateLimiter.client``)."""
    return request.app.state.rate_limiter.client(request)


def verify_cost(raw: bytes | str, count: int = 1) -> int:
    """What a verify body counts toward the client's rate: its credentials, or its size in
    credentials (``CREDENTIAL_BYTES`` each) when that is more, since parsing costs by the byte."""
    return max(count, -(-len(raw) // CREDENTIAL_BYTES))


def parse_verify_body(raw: bytes, charge: Callable[[int], None]) -> tuple[list[Any], bool]:
    """The credentials of a verify body and whether it was an array; 422/400 when unusable.

    ``charge(cost)`` is called once the items are counted and before any is parsed.
    """
    try:
        items = split_items(raw)
    except TooManyItems as exc:
        raise Invalid([("", str(exc))]) from None
    except msgspec.DecodeError:
        items = None  # loads_strict says where and why
    charge(verify_cost(raw, len(items) if items is not None else 1))
    if items is None:
        return [loads_strict(raw)], raw.lstrip()[:1] == b"["
    documents = []
    for i, item in enumerate(items):
        try:
            documents.append(loads_strict(item))
        except MalformedJSON as exc:
            raise MalformedJSON([Violation(f"/{i}{v.pointer}", v.message)
                                 for v in exc.violations]) from None
    return documents, True


def _undecided(jobs: list[ProofJob], why: str) -> list[tuple[Check, Check]]:
    return [(Check("proof", None, why), Check("schema", None, why)) for _ in jobs]


def pool_prover(pool: CpuPool, seconds: float,
                check: Callable[..., list[tuple[Check, Check]]] = check_proofs) -> Prover:
    """A ``Prover`` running ``check`` (``check_proofs``) in ``pool`` within ``seconds``."""

    async def prove(jobs: list[ProofJob], now: datetime) -> list[tuple[Check, Check]]:
        if not jobs:
            return []
        at = time.time() + seconds
        size = -(-len(jobs) // pool.workers)
        completed = pool.completed
        futures = [pool.submit(check, jobs[i:i + size], now, at)
                   for i in range(0, len(jobs), size)]
        try:
            async with asyncio.timeout(seconds + GRACE_SECONDS):
                parts = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        except TimeoutError:
            # Work ahead of ours stops at its own (earlier) deadline, so in a pool that works
            # some task finishes within our wait. None did: every worker is in one call that
            # does not see the deadline (a pyld run that long), and they are killed. Else
            # ours is only queued, and answers at once when it starts (its deadline passed).
            stalled = pool.completed == completed
            if any(not f.cancel() and not f.done() for f in futures) and stalled:
                pool.kill()
            return _undecided(jobs, "not decided: the verification deadline passed")
        except BrokenProcessPool:
            return _undecided(jobs, "not decided: the verifier restarted; try again")
        return [result for part in parts for result in part]

    return prove


class ProofVerdicts:
    """Proof and schema checks of stored credentials, least recently used out first."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], tuple[Check, Check]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> tuple[Check, Check] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], checks: tuple[Check, Check]) -> None:
        self._entries[key] = checks
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _cacheable(document: dict[str, Any]) -> bool:
    """A proof that expires changes its verdict with time alone."""
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    return not any(isinstance(p, dict) and "expires" in p for p in proofs)


def stored_prover(verdicts: ProofVerdicts, credential_id: Any, inner: Prover) -> Prover:
    """``inner`` for one stored credential, its verdict kept while the keys it names are.

    The key holds the credential id and the public keys the proof names (so a key that is
    no longer authorised misses); the checks are kept only when decided.
    """

    async def prove(jobs: list[ProofJob], now: datetime) -> list[tuple[Check, Check]]:
        if len(jobs) != 1 or not _cacheable(jobs[0][0]):
            return await inner(jobs, now)
        key = (credential_id, tuple(sorted(jobs[0][1].items())))
        found = verdicts.get(key)
        if found is not None:
            verdicts.hits += 1
            return [found]
        verdicts.misses += 1
        results = await inner(jobs, now)
        if all(check.ok is not None for check in results[0]):
            verdicts.put(key, results[0])
        return results

    return prove


_SAMPLE = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:warm",
    "validFrom": "2025-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:subject"},
    "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
               "created": "2025-01-01T00:00:00Z", "proofPurpose": "assertionMethod",
               "verificationMethod": "did:example:warm#key-1", "proofValue": "z1111"}],
}


def _warm() -> int:
    """Import and build in a worker what every check needs: pyld's contexts, the schema."""
    check_proofs([(_SAMPLE, {"did:example:warm#key-1": bytes(32)})], datetime.now(UTC))
    return os.getpid()


async def warm_verifiers(pool: CpuPool) -> None:
    """Start ``pool``'s workers before serving, so no request waits for a process to start.

    Starting them later also holds the event loop (the forkserver handshake) for ~50 ms.
    """
    await asyncio.gather(*(pool.run(_warm) for _ in range(pool.workers)))


def prover_of(app: Litestar) -> Prover:
    """The app's verification ``Prover``: its process pool and its deadline."""
    settings = app.state.settings
    return pool_prover(app.state.verify_pool, settings.verify_deadline_seconds)


def verdicts_of(app: Litestar) -> ProofVerdicts:
    return app.state.proof_verdicts
