"""Verification cannot stall the server: the attacks of issue #13 (High 2), through the real app.

Each attack is built from a credential the registry issued (``tests.credentials.attacks``), so
keys resolve and canonicalisation runs before the signature fails. Before the bounds each one
held the event loop for seconds (a 7-clique of blank nodes 14 s, 1,000 new shapes 11 s,
20 MiB of ``{}`` 3 s, 20,000 proofs 12 s and 20,000 queries); now each is refused promptly
with a 4xx or a verdict naming the bound, and other requests are answered meanwhile. One
more of each kind was found while bounding them: 4,000 strings in one array (60 KB) cost
pyld 8.6 s, and a scoped context of 2,000 terms over 250 nodes (80 KB) 1.8 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import event

from api.app import create_app
from api.settings import load_settings
from api.verification import pool_prover
from api.jobs import CpuPool
from credentials.proofs.limits import (
    MAX_ARRAY_ITEMS,
    MAX_BODY_BYTES,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_PROOFS,
)
from credentials.verifying import Check
from tests.client import AppClient
from tests.conftest import TEST_SECRET
from tests.credentials import attacks, support
from tests.credentials.support import issue, with_registry

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


@pytest.fixture
async def credential(client, ucll) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    return r.json()


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in report["checks"]}


async def _post(client, body: bytes):  # type: ignore[no-untyped-def]
    return await client.post("/api/v1/verify", content=body,
                             headers={"content-type": "application/json"})


async def test_a_clique_of_blank_nodes_meets_the_deep_iteration_bound(client, credential) -> None:  # type: ignore[no-untyped-def]
    body = attacks.clique(credential, 7)
    assert len(body) < 8000
    r = await _post(client, body)
    assert r.status_code == 200, r.text
    proof = _checks(r.json())["proof"]
    assert proof["ok"] is False and "deep iterations" in proof["reason"], proof
    assert r.json()["verified"] is False


async def test_health_is_answered_while_new_shapes_are_verified(client, credential) -> None:  # type: ignore[no-untyped-def]
    """One request full of never-seen shapes: the pool works, the event loop keeps serving."""
    count = MAX_BODY_BYTES // (len(json.dumps(credential)) + 200)
    body = attacks.new_shapes(credential, count)
    attack = asyncio.create_task(_post(client, body))
    answered = 0
    while not attack.done():
        r = await client.get("/health")
        assert r.status_code == 200
        answered += 1
        # In process (httpx's ASGI transport) a /health that never waits on anything never
        # hands the loop to the attack's task; over a socket the read does. A yield, no delay.
        await asyncio.sleep(0)
    r = attack.result()
    assert r.status_code == 200, r.text
    reports = r.json()
    assert len(reports) == count
    # Every forged credential fails its proof (or is left undecided at the deadline).
    assert all(_checks(rep)["proof"]["ok"] in (False, None) for rep in reports)
    # Probes went through one after another while the batch was checked (thousands here);
    # with the checks on the event loop only the few sent before they started (7) did.
    assert answered >= 100, answered


async def test_big_bodies_are_refused_before_parsing(client, credential) -> None:  # type: ignore[no-untyped-def]
    r = await _post(client, attacks.empty_objects(20 * 2**20))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await _post(client, attacks.new_shapes(credential, 1000))  # ~5 MB
    assert r.status_code == 413
    r = await _post(client, attacks.empty_objects(MAX_BODY_BYTES - 10))  # under the cap
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["status"] == 422
    assert f"at most {MAX_ITEMS} credentials per request" in json.dumps(problem)


async def test_many_proofs_are_one_verdict_and_no_queries(client, credential, connection) -> None:  # type: ignore[no-untyped-def]
    r = await _post(client, attacks.many_proofs(credential, 20_000))
    assert r.status_code == 413
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", count)
    try:
        r = await _post(client, attacks.many_proofs(credential, 2_000))
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", count)
    assert r.status_code == 200, r.text
    proof = _checks(r.json())["proof"]
    assert proof["ok"] is False and f"at most {MAX_PROOFS}" in proof["reason"]
    assert not [s for s in statements if "issuer_key" in s], statements


async def test_a_long_proof_value_is_not_decoded(client, credential) -> None:  # type: ignore[no-untyped-def]
    r = await _post(client, attacks.long_proof_value(credential, 300_000))
    assert r.status_code == 200, r.text
    proof = _checks(r.json())["proof"]
    assert proof == {"check": "proof", "ok": False,
                     "reason": "proofValue is longer than a base58btc Ed25519 signature"}


async def test_a_long_array_is_a_verdict_before_expansion(client, credential) -> None:  # type: ignore[no-untyped-def]
    body = attacks.long_array(credential, 4000)  # 60 KB: 8.6 s of pyld's toRdf
    r = await _post(client, body)
    assert r.status_code == 200, r.text
    checks = _checks(r.json())
    assert checks["proof"]["ok"] is False
    assert f"an array of more than {MAX_ARRAY_ITEMS} items" in checks["proof"]["reason"]


async def test_a_big_inline_context_is_a_verdict(client, credential) -> None:  # type: ignore[no-untyped-def]
    r = await _post(client, attacks.scoped_context(credential, 2000, 250))  # 80 KB: 1.8 s
    assert r.status_code == 200, r.text
    proof = _checks(r.json())["proof"]
    assert proof["ok"] is False and "@context definitions" in proof["reason"], proof


async def test_deep_documents_are_a_verdict(client, credential) -> None:  # type: ignore[no-untyped-def]
    nested: Any = "x"
    for _ in range(MAX_DEPTH + 5):
        nested = {"https://example.org/vocab#n": nested}
    forged = {**credential, "credentialSubject": {**credential["credentialSubject"],
                                                  "https://example.org/vocab#n": nested}}
    r = await client.post("/api/v1/verify", json=forged)
    assert r.status_code == 200, r.text
    checks = _checks(r.json())
    assert checks["proof"]["ok"] is False and "nests deeper" in checks["proof"]["reason"]
    assert checks["schema"]["ok"] is False


def _app(tmp_path: Path, database_url: str, session_factory: Any, **settings: Any) -> Litestar:
    return with_registry(create_app(
        load_settings(env={}, data_dir=tmp_path, database_url=database_url,
                      secret_key=TEST_SECRET, harvest_in_background=False, **settings),
        session_factory=session_factory))


@pytest.fixture
async def strict(tmp_path, database_url, session_factory) -> AsyncIterator[AppClient]:  # type: ignore[no-untyped-def]
    """The app with a verify limit of 5 credentials a minute and a deadline already passed."""
    app = _app(tmp_path, database_url, session_factory, verify_rate_per_minute=5,
               verify_deadline_seconds=0.0)
    async with AppClient(app) as c:
        yield c


async def test_verify_rate_counts_credentials_below_search(strict, client, credential) -> None:  # type: ignore[no-untyped-def]
    r = await strict.post("/api/v1/verify", json=[credential] * 3)
    assert r.status_code == 200
    r = await strict.post("/api/v1/verify", json=[credential] * 3)
    assert r.status_code == 429, r.text
    assert int(r.headers["retry-after"]) >= 1
    r = await strict.post("/api/v1/verify", json=[credential] * 6)
    assert r.status_code == 429 and "send fewer" in r.text
    strict.from_address("127.0.0.3")  # a big body counts by its size: 80 KB of junk is 10
    r = await strict.post("/api/v1/verify", content=b'"' + b"x" * 80_000 + b'"')
    assert r.status_code == 429 and "send fewer" in r.text
    assert (await strict.get("/api/v1/courses?q=toets")).status_code == 200  # search's own limit
    strict.from_address("127.0.0.2")  # another client has a window of its own
    assert (await strict.post("/api/v1/verify", json=credential)).status_code == 200


async def test_past_the_deadline_a_proof_is_undecided(strict, credential) -> None:  # type: ignore[no-untyped-def]
    r = await strict.post("/api/v1/verify", json=credential)
    assert r.status_code == 200
    report = r.json()
    checks = _checks(report)
    assert report["verified"] is False
    assert checks["proof"]["ok"] is None and "deadline" in checks["proof"]["reason"]
    assert checks["issuer"]["ok"] is True  # the cheap checks still answer


def _status_row(page: str) -> str:
    found = re.search(r"<tr><td>status</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    assert found, page[:500]
    return f"{found.group(1)}: {found.group(2)}"


async def test_a_credential_page_keeps_its_proof_verdict_until_the_status_changes(  # type: ignore[no-untyped-def]
        app, client, ucll) -> None:
    r = await issue(client, ucll)
    location = r.headers["location"]
    credential_id = location.rsplit("/", 1)[-1]
    verdicts = app.state.proof_verdicts
    html = {**ucll, "Accept": "text/html"}  # the issuer reads it by id (#17)
    first = await client.get(location, headers=html)
    assert "Verified" in first.text and _status_row(first.text).startswith("ok")
    assert (verdicts.hits, verdicts.misses) == (0, 1)
    page = await client.get(f"/credentials/{credential_id}", headers=ucll)
    assert page.status_code == 200
    again = await client.get(location, headers=html)
    assert "Verified" in again.text
    assert (verdicts.hits, verdicts.misses) == (2, 1)  # the proof was checked once
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{credential_id}/revoke",
                          json={"reason": "issued in error"}, headers=ucll)
    assert r.status_code == 200, r.text
    revoked = await client.get(location, headers=html)
    assert "Not verified" in revoked.text
    assert _status_row(revoked.text) == "FAILED: revoked"
    assert verdicts.misses == 1


async def test_the_verify_page_has_the_same_bounds(client, credential) -> None:  # type: ignore[no-untyped-def]
    r = await client.post("/verify", data={"credential": attacks.clique(credential, 7).decode()},
                          params={"lang": "en"})
    assert r.status_code == 200 and 'data-verdict="invalid"' in r.text
    assert "deep iterations" in r.text
    r = await client.post("/verify", files={"file": ("c.json", attacks.empty_objects(2 * 2**20),
                                                     "application/json")})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")


async def test_the_verify_page_counts_toward_the_verify_rate(strict, credential) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        r = await strict.post("/verify", data={"credential": json.dumps(credential)})
        assert r.status_code == 200
    r = await strict.post("/verify", data={"credential": json.dumps(credential)})
    assert r.status_code == 429 and "retry-after" in r.headers


def _stuck(jobs: Any, now: Any, at: float) -> Any:
    """A check that ignores its deadline (as pyld inside one expansion cannot see it)."""
    threading.Event().wait()


async def test_a_worker_stuck_past_the_deadline_is_killed_and_replaced() -> None:
    pool = CpuPool(1)
    try:
        stuck = pool_prover(pool, 0.0, check=_stuck)
        reports = await stuck([({}, {})], datetime.now(UTC))
        assert [c.ok for c in reports[0]] == [None, None]
        assert "deadline" in reports[0][0].reason
        # The next request gets a new worker that answers.
        checks = await pool_prover(pool, 30.0)([({}, {})], datetime.now(UTC))
        assert checks[0][0] == Check("proof", False, "no proof")
    finally:
        pool.shutdown()


def _hold(fifo: str) -> str:
    """Occupies a worker until the test writes a line to ``fifo`` (no timing involved)."""
    with open(fifo) as held:
        return held.readline().strip()


async def test_work_queued_behind_busy_workers_is_not_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A request whose deadline passes in the queue of a pool that works kills nobody."""
    fifo = tmp_path / "hold"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # never blocks; keeps what is written for the reader
    pool = CpuPool(1)
    try:
        first = pool.submit(_hold, str(fifo))  # the one worker is busy...
        second = pool.submit(_hold, str(fifo))  # ...and has more work queued
        queued = asyncio.create_task(pool_prover(pool, 0.0)([({}, {})], datetime.now(UTC)))
        os.write(writer, b"first\n")  # the pool moves on while the request waits
        assert await asyncio.wrap_future(first) == "first"
        reports = await queued
        assert reports[0][0].ok is None and "deadline" in reports[0][0].reason
        os.write(writer, b"second\n")
        assert await asyncio.wrap_future(second) == "second"  # not killed
    finally:
        os.close(writer)  # a worker still reading sees the end
        pool.shutdown()


async def test_a_batch_is_verified_in_the_worker_processes(app, client, credential) -> None:  # type: ignore[no-untyped-def]
    """The CPU-bound checks of a batch run in the verification pool, not on the event loop."""
    pool = app.state.verify_pool
    before = pool.completed
    r = await _post(client, json.dumps([credential] * 6).encode())
    assert r.status_code == 200, r.text
    assert [report["verified"] for report in r.json()] == [True] * 6
    assert pool.completed > before  # the workers finished the batch's parts
