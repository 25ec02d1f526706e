"""OpenID4VCI flows per second over HTTP, against the same run's plain issuance rate.

    .venv/bin/python bench/oid4vci.py [--flows 2000] [--concurrency 16] [--workers 2]

Starts a fresh embedded database and the server as ``academy serve --workers N`` runs it
(``api.serve``: a listening socket per worker, one shared rate-limit table), publishes one
course and issues ``--flows`` credentials in batches (not timed), then, with
``--concurrency`` keep-alive connections each:

* **the /health floor**: ``GET /health`` (no database), ``--flows`` × 5 requests: what the
  framework alone costs a request on this machine now;

* **plain issuance**: ``POST /api/v1/institutions/ucll/credentials``, one credential per
  request (validated, resolved, signed, stored, status entry allocated): the per-credential
  operation a flow is compared with;
* **full flows**: per credential, what the institution and a wallet send: the offer
  (``POST .../credentials/{id}/offers``), ``GET`` of its ``credential_offer_uri``, the token
  request with the tx_code, a c_nonce, and the credential request with an
  ``openid4vci-proof+jwt`` (EdDSA, did:key; signed here with joserfc, per flow). Five
  requests, three transactions that write, one signature each side.

Prints flows/s, plain issuances/s and their ratio, the /health floor, and the CPU time
each side spent per flow, per issuance and per /health request: the server's (its workers
and PostgreSQL, from /proc) and this client's own. On a shared, loaded machine those are
the steadier figures. The client runs on the same cores (its proof signing and JSON
included), so the rates are of the whole exchange, not the server alone. The award-mail
sender is off (``ACADEMY_BACKGROUND_MAIL=0``): it would build the set-up's mails during
the timed phases; its own share is measured in BENCHMARKS.md's #17 section.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import resource
import socket
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import Server, machine
from issue import publish_course, requests, running

from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from credentials.proofs.multikey import ED25519_PUB_PREFIX, b58encode

PRE = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)


def _stat(pid: int) -> tuple[int, int, int]:
    """(parent pid, user + system ticks, reaped children's user + system ticks) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def server_cpu(roots: set[int]) -> float:
    """CPU seconds so far of ``roots`` and their live descendants, plus the children that
    ``roots`` have reaped: the server's supervisor and workers, and the PostgreSQL
    postmaster with its backends, live or exited. The client is not among them."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = _stat(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = set(), set(roots)
    while frontier:
        found |= frontier
        frontier = {pid for pid, (ppid, _, _) in stats.items() if ppid in frontier} - found
    ticks = sum(stats[pid][1] for pid in found if pid in stats)
    ticks += sum(stats[pid][2] for pid in roots if pid in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def postmaster(data_dir: Path) -> int:
    (pid_file,) = data_dir.rglob("postmaster.pid")
    return int(pid_file.read_text().split()[0])


def serving(port: int, workers: int) -> AbstractContextManager[Server]:
    """A migrated database and ``api.serve`` (what ``academy serve --workers`` runs) on it,
    with ``bench/issue.py``'s app factory, the mail sender off."""
    return running(port, workers, as_serve=True, mail=False, prefix="academy-bench-oid4vci-")


class Connection:
    """One keep-alive HTTP/1.1 connection; each request leaves in one write (see issue.py)."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = next(int(line.split(b":")[1]) for line in raw.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


class Holder:
    def __init__(self) -> None:
        self.key = OKPKey.generate_key("Ed25519")
        raw = base64.urlsafe_b64decode(self.key.as_dict()["x"] + "==")
        multibase = "z" + b58encode(ED25519_PUB_PREFIX + raw)
        self.kid = f"did:key:{multibase}#{multibase}"

    def proof(self, audience: str, nonce: str) -> str:
        return jwt.encode({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": self.kid},
                          {"aud": audience, "iat": int(time.time()), "nonce": nonce}, self.key,
                          algorithms=["EdDSA"])


async def flow(conn: Connection, holder: Holder, key: str, base: str, cid: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    status, body = await conn.request("POST", f"/api/v1/institutions/ucll/credentials/{cid}/offers",
                                      headers=auth)
    assert status == 201, body[:300]
    offer = msgspec.json.decode(body)
    url = parse_qs(urlsplit(offer["offer_uri"]).query)["credential_offer_uri"][0]
    status, body = await conn.request("GET", url.removeprefix(base))
    assert status == 200, body[:300]
    code = msgspec.json.decode(body)["grants"][PRE]["pre-authorized_code"]
    form = f"grant_type={quote(PRE)}&pre-authorized_code={code}&tx_code={offer['tx_code']}"
    status, body = await conn.request("POST", "/institutions/ucll/oid4vci/token", form.encode(),
                                      {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body[:300]
    token = msgspec.json.decode(body)["access_token"]
    status, body = await conn.request("POST", "/institutions/ucll/oid4vci/nonce")
    assert status == 200, body[:300]
    nonce = msgspec.json.decode(body)["c_nonce"]
    request = {"credential_configuration_id": "OpenBadgeCredential",
               "proofs": {"jwt": [holder.proof(f"{base}/institutions/ucll", nonce)]}}
    status, body = await conn.request(
        "POST", "/institutions/ucll/oid4vci/credential", msgspec.json.encode(request),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert status == 200, body[:300]
    credential = msgspec.json.decode(body)["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == holder.kid.split("#")[0]


async def run_flows(port: int, key: str, base: str, ids: list[str], concurrency: int) -> float:
    queue = list(reversed(ids))

    async def worker() -> None:
        conn, holder = Connection(port), Holder()
        await conn.open()
        while queue:
            await flow(conn, holder, key, base, queue.pop())
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def run_plain(port: int, key: str, bodies: list[dict[str, Any]], concurrency: int) -> float:
    queue = [msgspec.json.encode(b) for b in reversed(bodies)]

    async def worker() -> None:
        conn = Connection(port)
        await conn.open()
        while queue:
            status, body = await conn.request(
                "POST", "/api/v1/institutions/ucll/credentials", queue.pop(),
                {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            assert status == 201, body[:300]
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def run_health(port: int, count: int, concurrency: int) -> float:
    left = count

    async def worker() -> None:
        nonlocal left
        conn = Connection(port)
        await conn.open()
        while left > 0:
            left -= 1
            status, body = await conn.request("GET", "/health")
            assert status == 200, body[:300]
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


class Phase(msgspec.Struct):
    seconds: float
    server: float  # CPU seconds, workers + PostgreSQL
    app: float  # CPU seconds, the server's processes alone
    client: float  # CPU seconds, this process


def measured(roots: set[int], app: int, run: Callable[[], float]) -> Phase:
    before = server_cpu(roots), server_cpu({app}), client_cpu()
    seconds = run()
    after = server_cpu(roots), server_cpu({app}), client_cpu()
    return Phase(seconds, after[0] - before[0], after[1] - before[1], after[2] - before[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8781)
    args = parser.parse_args()
    n, c = args.flows, args.concurrency
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with serving(args.port, args.workers) as srv:
        key = srv.key("ucll", "publish,issue")
        publish_course(srv, key)
        ids: list[str] = []
        with httpx.Client(timeout=300) as client:
            bodies = requests(n, "oid4vci")
            for i in range(0, len(bodies), 1000):
                r = client.post(f"{srv.base}/api/v1/institutions/ucll/credentials/batch",
                                json=bodies[i:i + 1000],
                                headers={"Authorization": f"Bearer {key}"})
                r.raise_for_status()
                ids += [item["id"] for item in r.json()["items"]]
        assert srv.pid is not None
        roots = {srv.pid, postmaster(srv.data_dir)}
        plain_bodies = requests(n, "plain")
        health = measured(roots, srv.pid, lambda: asyncio.run(run_health(srv.port, 5 * n, c)))
        plain = measured(roots, srv.pid, lambda: asyncio.run(
            run_plain(srv.port, key, plain_bodies, c)))
        flows = measured(roots, srv.pid, lambda: asyncio.run(
            run_flows(srv.port, key, srv.base, ids, c)))
    health_rate, plain_rate, flow_rate = 5 * n / health.seconds, n / plain.seconds, \
        n / flows.seconds
    ms = 1000 / n
    print(f"workers {args.workers}, concurrency {c}, {n} flows, {n} plain issuances, "
          f"{5 * n} /health")
    print(f"/health floor (no database):                 {health_rate:,.0f} requests/s")
    print(f"plain issuance, one credential per request: {plain_rate:,.0f} credentials/s")
    print(f"full OpenID4VCI flows, offer to credential:  {flow_rate:,.0f} flows/s "
          f"({5 * flow_rate:,.0f} requests/s)")
    print(f"ratio flows / plain issuances: {flow_rate / plain_rate:.2f}")
    print("CPU, ms            server (workers + PostgreSQL)  of which workers   client")
    for name, phase, per in (("per /health", health, 5 * n), ("per issuance", plain, n),
                             ("per flow", flows, n)):
        print(f"  {name:14s}   {phase.server * 1000 / per:10.2f}   {phase.app * 1000 / per:24.2f}"
              f"   {phase.client * 1000 / per:8.2f}")
    print(f"at {flows.server * ms:.2f} ms of server CPU a flow, {os.cpu_count()} idle cores "
          f"would carry ~{os.cpu_count() * n / flows.server:,.0f} flows/s with the client "
          f"elsewhere, ~{os.cpu_count() * n / (flows.server + flows.client):,.0f} with it here")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
