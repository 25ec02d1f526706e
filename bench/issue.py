"""Issuing and verifying throughput, end to end over HTTP, with a per-step breakdown.

    .venv/bin/python bench/issue.py [--count 5000] [--batch 1000] [--verify 3000] [--workers 1]

Starts a fresh embedded database and a real server (uvicorn, ``--workers``), publishes one
course, then:

* **issue/s**: ``POST .../credentials/batch`` of ``--batch`` requests each (different
  learners and grades), sequentially: validated, resolved, signed with eddsa-rdfc-2022,
  status indexes allocated, stored, returned.
* **verify/s**: ``POST /api/v1/verify`` of distinct issued credentials, one per request,
  ``--concurrency`` requests in flight: proof, issuer, status (a database read), validity
  and OB3 schema.
* **steps**: the same work in this process, per credential, one step at a time, and the
  pyld reference path (pyld expansion + RDFC-1.0 for every signature) for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import BIN, ROOT, Server, machine, wait_ready

EXAMPLES = ROOT / "schemas" / "examples"


def app_factory() -> Any:
    """``create_app`` plus the credential routes, in case ``api/app.py`` does not list them yet."""
    from api.app import create_app
    from api.routes.credentials import credential_handlers
    from api.routes.learners import resolve_learner

    app = create_app()
    if "/api/v1/verify" not in {route.path for route in app.routes}:
        for handler in credential_handlers():
            app.register(handler)
    app.state.learner_resolver = resolve_learner
    return app


@contextmanager
def running(port: int, workers: int, *, as_serve: bool = False, mail: bool = True,
            prefix: str = "academy-bench-issue-") -> Iterator[Server]:
    """A migrated database and this module's app factory served by ``workers`` uvicorn
    workers; ``as_serve``: through ``api.serve``, what ``academy serve --workers`` runs
    (its own HTTP protocol, a socket per worker); ``mail=False``: no mail sender, so mail
    queued while setting up never lands in a timed phase."""
    import shutil
    import tempfile

    from api.embedded import EmbeddedPostgres

    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    srv = Server(data_dir, port)
    if not mail:
        srv.env["ACADEMY_BACKGROUND_MAIL"] = "0"
    srv.academy("db", "upgrade")
    # One PostgreSQL for all workers: each worker starting the embedded server races.
    EmbeddedPostgres(data_dir).start()
    srv.env["DATABASE_URL"] = srv.database_url()
    if as_serve:
        command = [str(BIN / "python"), "-m", "api.serve", "--factory", "issue:app_factory",
                   "--port", str(port), "--workers", str(workers)]
        path = f"{ROOT}:{Path(__file__).parent}"
    else:
        command = [str(BIN / "python"), "-m", "uvicorn", "--factory", "issue:app_factory",
                   "--app-dir", str(Path(__file__).parent), "--port", str(port), "--workers",
                   str(workers), "--no-access-log", "--log-level", "warning"]
        path = str(ROOT)
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(command, env={**srv.env, "PYTHONPATH": path}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log)
    srv.pid = proc.pid
    try:
        wait_ready(srv.base, 90)
        yield srv
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        errors = (data_dir / "server.log").read_text(errors="replace")
        if errors.strip():
            print("server log (tail):\n" + errors[-3000:], file=sys.stderr)
        EmbeddedPostgres(data_dir).stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def requests(count: int, seed: str) -> list[dict[str, Any]]:
    base = msgspec.json.decode((EXAMPLES / "microcredential-request.json").read_bytes())
    out = []
    for i in range(count):
        body = msgspec.json.decode(msgspec.json.encode(base))
        body["learner"] = {"email": f"learner.{seed}.{i}@example.org", "name": f"Learner {i}"}
        body["assessment"]["grade"] = 10 + i % 11
        out.append(body)
    return out


def publish_course(srv: Server, key: str) -> None:
    course = msgspec.json.decode((EXAMPLES / "course-ucll-microcredential.json").read_bytes())
    course.pop("code")
    r = httpx.put(f"{srv.base}/api/v1/institutions/ucll/courses/MC-TOETS", json=course,
                  headers={"Authorization": f"Bearer {key}"}, timeout=30)
    r.raise_for_status()


def issue_all(srv: Server, key: str, bodies: list[dict[str, Any]], batch: int) -> tuple[float, list[bytes]]:
    url = f"{srv.base}/api/v1/institutions/ucll/credentials/batch"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    issued: list[bytes] = []
    with httpx.Client(timeout=300) as client:
        started = time.perf_counter()
        for i in range(0, len(bodies), batch):
            r = client.post(url, content=msgspec.json.encode(bodies[i:i + batch]), headers=headers)
            r.raise_for_status()
            result = msgspec.json.decode(r.content)
            assert result["created"] == len(bodies[i:i + batch]), result["items"][:1]
            issued += [msgspec.json.encode(item["credential"]) for item in result["items"]]
        return time.perf_counter() - started, issued


async def verify_all(srv: Server, documents: list[bytes], concurrency: int) -> tuple[float, int]:
    """One credential per request over keep-alive connections.

    A bare HTTP/1.1 client: each request leaves in one write. httpx writes headers and
    body separately, and with delayed ACKs that costs ~40 ms a request, which would
    measure TCP, not the server.
    """
    queue = list(reversed(documents))
    ok = 0
    failures: collections.Counter[str] = collections.Counter()
    port = int(srv.base.rsplit(":", 1)[1])

    async def worker() -> None:
        nonlocal ok
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while queue:
            body = queue.pop()
            writer.write(b"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:100]
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            report = msgspec.json.decode(await reader.readexactly(length))
            ok += report["verified"]
            failures.update(f"{c['check']}: {c['reason'][:100]}" for c in report["checks"]
                            if c["ok"] is not True)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failures:
        print("  not verified:", dict(failures.most_common(5)))
    return time.perf_counter() - started, ok


def verify_arrays(srv: Server, documents: list[bytes], size: int) -> tuple[float, int]:
    ok = 0
    with httpx.Client(base_url=srv.base, timeout=300) as client:
        started = time.perf_counter()
        for i in range(0, len(documents), size):
            body = b"[" + b",".join(documents[i:i + size]) + b"]"
            r = client.post("/api/v1/verify", content=body,
                            headers={"Content-Type": "application/json"})
            r.raise_for_status()
            ok += sum(report["verified"] for report in msgspec.json.decode(r.content))
        return time.perf_counter() - started, ok


def per_item(label: str, fn: Callable[[int], Any], n: int, rows: list[tuple[str, float]]) -> list[Any]:
    out = []
    started = time.perf_counter()
    for i in range(n):
        out.append(fn(i))
    rows.append((label, (time.perf_counter() - started) / n * 1000))
    return out


def steps(n: int) -> tuple[list[tuple[str, float]], float, float]:
    """Per-credential milliseconds of each step in this process, and pyld's signatures/s."""
    from credentials.builder import build_credential
    from credentials.fastschema import check_request, check_resolved, ob3_violations
    from credentials.proofs.multikey import generate_private_key, issuer_did
    from credentials.proofs.rdfc import canonicalize_reference, find_control_chars
    from credentials.proofs.signing import sign, verify

    course = msgspec.json.decode((EXAMPLES / "course-ucll-microcredential.json").read_bytes())
    bodies = requests(n, "steps")
    did = issuer_did("http://127.0.0.1:8000", "ucll")
    key = generate_private_key()
    method = f"{did}#key-1"
    issuer = {"id": did, "name": "UC Leuven-Limburg", "url": "https://www.ucll.be", "country": "BE"}
    rows: list[tuple[str, float]] = []
    per_item("control characters", lambda i: find_control_chars(bodies[i]), n, rows)
    per_item("request schema (fast path)", lambda i: check_request(bodies[i]), n, rows)
    defaults = {k: course[k] for k in ("title", "learning_outcomes", "ects", "eqf_level",
                                       "languages", "isced_codes", "prerequisites")}
    resolved = [{**defaults, **b, "country": "BE", "issued_on": "2025-01-31",
                 "awarding_body": {"id": did, "name": "UCLL"}} for b in bodies]
    per_item("resolved schema (fast path)", lambda i: check_resolved(resolved[i]), n, rows)
    unsigned = per_item("build document", lambda i: build_credential(
        resolved[i], credential_id=f"http://127.0.0.1:8000/api/v1/credentials/{uuid.uuid4()}",
        issuer=issuer, achievement_id="http://127.0.0.1:8000/api/v1/institutions/ucll/courses/X",
        description=course.get("description"), salt=secrets.token_hex(16),
        status=[("revocation", "http://127.0.0.1:8000/institutions/ucll/status/revocation-1", i),
                ("suspension", "http://127.0.0.1:8000/institutions/ucll/status/suspension-1", i)],
    ), n, rows)
    signed = per_item("sign eddsa-rdfc-2022 (shape cache)",
                      lambda i: sign(unsigned[i], key, method, "2025-01-31T00:00:00Z"), n, rows)
    per_item("OB3 schema (fast path)", lambda i: ob3_violations(signed[i]), n, rows)
    per_item("serialise", lambda i: msgspec.json.encode(signed[i]), n, rows)
    public = key.public_key()
    per_item("verify proof", lambda i: verify(signed[i], lambda m: public), n, rows)
    m = min(n, 100)
    started = time.perf_counter()
    for i in range(m):
        sign(unsigned[i], key, method, "2025-01-31T00:00:00Z", canonicalizer=canonicalize_reference)
    pyld_sign = m / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(m):
        verify(signed[i], lambda _: public, canonicalizer=canonicalize_reference)
    pyld_verify = m / (time.perf_counter() - started)
    return rows, pyld_sign, pyld_verify


def node_peer(documents: list[bytes], did_document: dict[str, Any], n: int) -> list[str]:
    """Digital Bazaar's stack (bench/node/verify.mjs): its sign/verify rate, and interop.

    The sample for ``--bench`` is one of our issued credentials without its proof; the
    interop line has DB's verifier check ``n`` credentials issued over HTTP in this run.
    """
    import json
    import shutil
    import tempfile

    script = Path(__file__).parent / "node" / "verify.mjs"
    if shutil.which("node") is None or not (script.parent / "node_modules").is_dir():
        return ["not measured: needs node and `npm ci --prefix bench/node`"]
    work = Path(tempfile.mkdtemp(prefix="academy-bench-node-"))
    try:
        sample = {k: v for k, v in msgspec.json.decode(documents[0]).items() if k != "proof"}
        (work / "sample.json").write_text(json.dumps(sample))
        (work / "dids.json").write_text(json.dumps([did_document]))
        (work / "issued.json").write_bytes(b"[" + b",".join(documents[:n]) + b"]")
        bench = subprocess.run(["node", str(script), "--bench", "500", "--sample",
                                str(work / "sample.json")], capture_output=True, text=True,
                               timeout=900, check=False)
        started = time.perf_counter()
        checked = subprocess.run(["node", str(script), "--dids", str(work / "dids.json"),
                                  str(work / "issued.json")], capture_output=True, text=True,
                                 timeout=900, check=False)
        seconds = time.perf_counter() - started
        lines = [json.loads(x) for x in checked.stdout.splitlines() if x.strip()]
        verified = sum(x.get("verified") is True for x in lines)
        summary = bench.stdout.strip() or bench.stderr.strip()[-300:]
        interop = (f"interop: {verified}/{len(lines)} credentials issued over HTTP verified by "
                   f"@digitalbazaar/vc in {seconds:.2f} s including node start-up "
                   f"({len(lines) / seconds:.0f}/s)")
        return [f"sign + verify of our credential (--bench 500): {summary}", interop]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--verify", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    print(machine())
    rows, pyld_sign, pyld_verify = steps(300)
    print("\nper credential, in process (ms):")
    for label, ms in rows:
        print(f"  {label:38s} {ms:7.3f}")
    print(f"  {'pyld reference: sign':38s} {1000 / pyld_sign:7.3f}  ({pyld_sign:.0f}/s)")
    print(f"  {'pyld reference: verify proof':38s} {1000 / pyld_verify:7.3f}  ({pyld_verify:.0f}/s)")

    with running(args.port, args.workers) as srv:
        key = srv.key("ucll", "publish,issue")
        publish_course(srv, key)
        issue_all(srv, key, requests(args.batch, "warm"), args.batch)  # shapes, keys, lists
        seconds, issued = issue_all(srv, key, requests(args.count, "run"), args.batch)
        print(f"\nissue over HTTP: {args.count} credentials in batches of {args.batch}: "
              f"{seconds:.2f} s = {args.count / seconds:.0f} credentials/s "
              f"(server workers: {args.workers})")
        documents = issued[: args.verify]
        seconds, ok = asyncio.run(verify_all(srv, documents, args.concurrency))
        print(f"verify over HTTP, one credential per request: {len(documents)} distinct, "
              f"{args.concurrency} in flight: {seconds:.2f} s = "
              f"{len(documents) / seconds:.0f} verifications/s ({ok} verified)")
        seconds, ok = verify_arrays(srv, documents, 200)  # ~1 MiB, the verify body cap
        print(f"verify over HTTP, arrays of 200 per request: {len(documents)} credentials: "
              f"{seconds:.2f} s = {len(documents) / seconds:.0f} verifications/s ({ok} verified)")
        did_document = httpx.get(f"{srv.base}/institutions/ucll/did.json").json()
    print("\nDigital Bazaar (Node, one process, same machine, run after the server stopped):")
    for line in node_peer(documents, did_document, min(len(documents), 1000)):
        print("  " + line)


if __name__ == "__main__":
    os.environ.setdefault("ACADEMY_LOG_LEVEL", "WARNING")
    main()
