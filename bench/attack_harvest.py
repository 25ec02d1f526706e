"""/health latency while a partner key harvests a gzip bomb (issue 13, High 3), before and after.

A loopback feed serves the issue's bomb: ~6 KB of gzip that expands to 6 MB of
``[{}, {}, ...]`` (1.5 million items). For each code under test, a fresh server with its own
embedded PostgreSQL gets a partner key and a json source pointing at the bomb; /health is
probed sequentially for a quiet baseline, then ``POST .../sources/bomb/run`` is sent and
/health is probed again for ``--window`` seconds. Figures: /health p50, p99, max, probes
that got no answer within ``--probe-timeout``, the run request's own answer, and the peak
resident memory of the serving process (and of the harvest worker where there is one).

    .venv/bin/python bench/attack_harvest.py                 # e0545a3 (before) and this tree
    .venv/bin/python bench/attack_harvest.py --only new

"Before" is ``git archive e0545a3`` run with this venv (it needs nothing this tree added).
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._harness import ROOT, machine, wait_ready  # noqa: E402

BEFORE = "e0545a3"
BOMB = gzip.compress(b"[" + b"{}, " * (6 * 1024 * 1024 // 4) + b"{}]", compresslevel=9)


class _Bomb(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(BOMB)))
        self.end_headers()
        try:
            self.wfile.write(BOMB)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def bomb_feed() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Bomb)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/courses.json"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def code_tree(which: str) -> Iterator[Path]:
    if which == "new":
        yield ROOT
        return
    tree = Path(tempfile.mkdtemp(prefix="academy-before-"))
    archive = subprocess.run(["git", "archive", BEFORE], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    try:
        yield tree
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def probe(base: str, seconds: float, timeout: float) -> tuple[list[float], int, float]:
    """/health latencies (ms), probes unanswered within ``timeout``, longest answerless gap (s)."""
    latencies, unanswered = [], 0
    start_all = last = time.monotonic()
    gap = 0.0
    end = start_all + seconds
    with httpx.Client(timeout=timeout) as client:
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                client.get(f"{base}/health").raise_for_status()
                latencies.append((time.perf_counter() - start) * 1000)
                gap, last = max(gap, time.monotonic() - last), time.monotonic()
            except httpx.HTTPError:
                unanswered += 1
            time.sleep(0.05)
    return latencies, unanswered, max(gap, time.monotonic() - last)


def summary(latencies: list[float], unanswered: int, gap: float) -> str:
    if not latencies:
        return f"no answers, {unanswered} unanswered, {gap:.0f} s without an answer"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"p50 {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms, max {ordered[-1]:.0f} ms, "
            f"{len(ordered)} answered, {unanswered} unanswered, longest gap {gap:.1f} s")


def attack(which: str, feed: str, port: int, window: float, probe_timeout: float) -> None:
    with code_tree(which) as tree:
        data = Path(tempfile.mkdtemp(prefix="academy-bench-"))
        env = {**os.environ, "ACADEMY_DATA_DIR": str(data), "ACADEMY_LOG_LEVEL": "WARNING",
               "ACADEMY_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(tree),
               "ACADEMY_BACKGROUND_HARVEST": "1" if which == "new" else "0",
               # the bench's bomb is on loopback over http: a development setting
               "ACADEMY_HARVEST_ALLOW_PRIVATE": "1", "ACADEMY_HARVEST_ALLOW_HTTP": "1"}
        env.pop("DATABASE_URL", None)
        academy = [sys.executable, "-c", "from api.cli import main; main()"]

        def run(*args: str) -> str:
            return subprocess.run([*academy, *args], env=env, cwd=tree, check=True,
                                  capture_output=True, text=True).stdout

        run("db", "upgrade")
        key = run("keys", "create", "--institution", "ucll", "--scopes", "publish"
                  ).strip().splitlines()[-1]
        proc = subprocess.Popen([*academy, "serve", "--port", str(port)], env=env, cwd=tree,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
        try:
            wait_ready(base, 90)
            time.sleep(5)  # let start-up (the new code's harvest worker imports) settle
            quiet = probe(base, 3, probe_timeout)
            # A new source is due at once: the new code's scheduler may queue it before the
            # POST below does (which then answers 409 naming that run). Either way it runs.
            put = httpx.put(f"{base}/api/v1/institutions/ucll/sources/bomb", headers=headers,
                            json={"type": "json", "location": feed, "interval_minutes": 1440})
            put.raise_for_status()
            answer: dict[str, Any] = {}

            def post() -> None:
                started = time.perf_counter()
                try:
                    r = httpx.post(f"{base}/api/v1/institutions/ucll/sources/bomb/run",
                                   headers=headers, timeout=window + 30)
                    answer["status"] = r.status_code
                    if r.status_code in (202, 409):
                        answer["location"] = r.headers["location"]
                except httpx.HTTPError as exc:
                    answer["status"] = type(exc).__name__
                answer["seconds"] = time.perf_counter() - started

            runner = threading.Thread(target=post, daemon=True)
            runner.start()
            attacked = probe(base, window, probe_timeout)
            rss = {"server": peak_rss_mb(proc.pid)}
            for child in children(proc.pid):
                rss[f"child {child}"] = peak_rss_mb(child)
            print(f"\n[{which}{' ' + BEFORE if which == 'before' else ''}]")
            print(f"  /health, quiet:         {summary(*quiet)}")
            print(f"  /health, during bomb:   {summary(*attacked)}")
            print(f"  POST .../run answered:  {answer or 'not within the window'}")
            if "location" in answer:
                run = httpx.get(base + answer["location"], headers=headers).json()
                errors = run["errors"][:1]
                print(f"  the run, after the window: {run['status']} "
                      f"{errors[0]['message'] if errors else ''}")
            print("  peak RSS (MB):          " + ", ".join(
                f"{k} {v:.0f}" for k, v in rss.items() if v is not None))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            from api.embedded import EmbeddedPostgres

            EmbeddedPostgres(data).stop()
            shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["before", "new"], default=None)
    parser.add_argument("--window", type=float, default=30.0, help="seconds probed after the run")
    parser.add_argument("--probe-timeout", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8771)
    args = parser.parse_args()
    print(machine())
    print(f"bomb: {len(BOMB)} bytes of gzip, {6 * 1024 * 1024} bytes decoded")
    with bomb_feed() as feed:
        for which in [args.only] if args.only else ["before", "new"]:
            attack(which, feed, args.port, args.window, args.probe_timeout)


if __name__ == "__main__":
    main()
