"""`/health` latency while `POST /api/v1/verify` is attacked (issue 13, High 2), before and after.

For each tree (this one, and with ``--old DIR`` a checkout of the code before the bounds with
its own ``.venv``) a real ``academy serve`` on a fresh embedded database issues one credential,
then each attack from ``tests/credentials/attacks.py`` is sent while a second client probes
``/health`` one request after another until the attack is answered. The table gives the
attack's answer and time, the probes answered meanwhile and their latency, and the serving
process's resident memory after the attack and its peak so far (the verification workers are
processes of their own, not counted). Trees run one after the other, on the same machine.

    .venv/bin/python bench/attack_verify.py --old /work/wt-old
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from _harness import machine, server  # noqa: E402
from tests.credentials import attacks  # noqa: E402

EXAMPLES = ROOT / "schemas" / "examples"


def _credential(srv: Any) -> dict[str, Any]:
    key = srv.key("ucll", "publish,issue")
    headers = {"Authorization": f"Bearer {key}"}
    course = json.loads((EXAMPLES / "course-ucll-microcredential.json").read_text())
    course.pop("code")
    with httpx.Client(base_url=srv.base, headers=headers, timeout=60) as client:
        r = client.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=course)
        r.raise_for_status()
        body = json.loads((EXAMPLES / "microcredential-request.json").read_text())
        r = client.post("/api/v1/institutions/ucll/credentials", json=body)
        r.raise_for_status()
        return r.json()


def _rss_mb(pid: int | None, field: str = "VmRSS") -> float:
    """The server process's resident memory (``VmHWM``: its peak so far)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _attack(base: str, body: bytes) -> dict[str, Any]:
    """Send ``body`` while probing /health; what each side saw."""
    result: dict[str, Any] = {}

    def send() -> None:
        start = time.perf_counter()
        try:
            r = httpx.post(f"{base}/api/v1/verify", content=body, timeout=300,
                           headers={"content-type": "application/json"})
            result["status"] = r.status_code
            result["answer"] = _summary(r)
        except httpx.HTTPError as exc:
            result["status"], result["answer"] = "error", type(exc).__name__
        result["seconds"] = time.perf_counter() - start

    latencies = []
    thread = threading.Thread(target=send)
    with httpx.Client(base_url=base, timeout=300) as probe:
        probe.get("/health")  # the connection is open before the attack starts
        thread.start()
        while thread.is_alive():
            start = time.perf_counter()
            probe.get("/health").raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    thread.join()
    result["probes"] = len(latencies)
    result["p50"] = statistics.median(latencies) if latencies else float("nan")
    result["max"] = max(latencies) if latencies else float("nan")
    return result


def _summary(r: httpx.Response) -> str:
    if r.status_code != 200:
        return f"{r.status_code} {r.json().get('title', '') if r.content else ''}"
    reports = r.json()
    reports = reports if isinstance(reports, list) else [reports]
    reasons = {next(c["reason"] for c in rep["checks"] if c["check"] == "proof")[:60]
               for rep in reports}
    return f"{len(reports)} reports: " + "; ".join(sorted(reasons)[:2])


def _attacks(credential: dict[str, Any]) -> list[tuple[str, bytes]]:
    size = len(json.dumps(credential))
    fits = 2**20 // (size + 200)
    return [
        ("7-clique of blank nodes", attacks.clique(credential, 7)),
        ("1,000 new shapes", attacks.new_shapes(credential, 1000)),
        (f"{fits} new shapes (< 1 MiB)", attacks.new_shapes(credential, fits, start=5000)),
        ("20 MiB of [{}, ...]", attacks.empty_objects(20 * 2**20)),
        ("1,000 small objects of 200 numbers (1 MiB)",
         json.dumps([{"n": list(range(200))}] * 1000).encode()),
        ("20,000 proofs", attacks.many_proofs(credential, 20_000)),
        ("proofValue of 300,000 chars", attacks.long_proof_value(credential, 300_000)),
        ("4,000 strings in one array", attacks.long_array(credential, 4000)),
        ("scoped context, 2,000 terms x 250 nodes", attacks.scoped_context(credential, 2000, 250)),
    ]


def run(tree: Path, label: str, port: int) -> list[dict[str, Any]]:
    launcher = [str(tree / ".venv" / "bin" / "academy")]
    rows = []
    with server(port, launcher=launcher) as srv:  # the harness lifts the rate limits
        credential = _credential(srv)
        idle = _attack(srv.base, json.dumps(credential).encode())
        rows.append({"tree": label, "attack": "one real credential (baseline)", **idle,
                     "rss": _rss_mb(srv.pid), "peak": _rss_mb(srv.pid, "VmHWM")})
        for name, body in _attacks(credential):
            row = {"tree": label, "attack": name, **_attack(srv.base, body),
                   "rss": _rss_mb(srv.pid), "peak": _rss_mb(srv.pid, "VmHWM")}
            print(f"{label:6} {name:30} {row['status']} {row['seconds']:.2f}s "
                  f"probes {row['probes']} max {row['max']:.1f} ms  {row['answer']}",
                  file=sys.stderr)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", type=Path, help="a checkout of the code before, with .venv")
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    rows = []
    if args.old:
        rows += run(args.old.resolve(), "before", args.port)
    rows += run(ROOT, "after", args.port + 1)
    print(f"\n{machine()}\n")
    print("| attack | code | verify answer | verify s | /health probes meanwhile "
          "| /health p50 ms | /health max ms | server RSS after / peak so far, MB |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for row in sorted(rows, key=lambda r: [x["attack"] for x in rows].index(r["attack"])):
        print(f"| {row['attack']} | {row['tree']} | {row['answer']} | {row['seconds']:.2f} "
              f"| {row['probes']} | {row['p50']:.1f} | {row['max']:.1f} "
              f"| {row['rss']:.0f} / {row['peak']:.0f} |")


if __name__ == "__main__":
    main()
