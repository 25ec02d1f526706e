"""Catalogue search under `wrk` (Debian's), with the `/health` floor measured in the same run.

    .venv/bin/python bench/search_wrk.py                   # 100,000 courses, 20 s a phase
    .venv/bin/python bench/search_wrk.py --n 20000 --duration 5 --data-dir /tmp/academy-wrk

The load generator is wrk (C, epoll), so the figures are the server's, not a Python
client's. Same data, server and query mix as ``bench/search.py`` (whose pieces it uses):
``--n`` synthetic courses, the server as compose runs it (``--workers`` processes, one
socket each), queries drawn with Zipf popularity from a pool of generated 1-3 word
searches (Dutch and English, ~15 % typos, half with filters). In one run, at
``--connections`` (8) from one wrk thread (``--threads``):

1. ``GET /health`` (the stack's floor: HTTP, the framework, no search);
2. ``GET /api/v1/courses?...`` cycling through the drawn queries (a warm-up pass first,
   not counted);
3. the worst query shape of soft matching (a ten-word sentence of common words) alone.

Each prints requests/s and p50/p95/p99 latency (wrk's own histogram, via its Lua ``done``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from api.embedded import EmbeddedPostgres  # noqa: E402
from search import popular, prepare_database, search_queries, start_server, warm_up  # noqa: E402

REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
CYCLE = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
init = function(args) i = math.random(#paths) end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""
WORST = ("opleiding zorg management onderwijs digitaal leiderschap communicatie "
         "veiligheid kwaliteit innovatie")


def wrk(url: str, seconds: float, connections: int, script: Path,
        threads: int = 1) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
         "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$", out, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration, p50, p95, p99, errors = found.groups()
    return {"rps": int(requests) / float(duration), "p50": float(p50), "p95": float(p95),
            "p99": float(p99), "errors": int(errors), "requests": int(requests)}


def row(label: str, f: dict[str, float]) -> str:
    return (f"| {label} | {f['rps']:,.0f} | {f['p50']:.2f} | {f['p95']:.2f} | {f['p99']:.2f} "
            f"| {f['errors']} |")


async def run(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian's package)")
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="academy-bench-wrk-", dir="/tmp"))
    pg = EmbeddedPostgres(data_dir, options={"fsync": "off", "synchronous_commit": "off",
                                             "max_connections": "200"})
    url = pg.start()
    work = Path(tempfile.mkdtemp(prefix="academy-wrk-"))
    server = None
    try:
        await prepare_database(url, args.n, args.seed)
        courses = pg.psql("SELECT count(*) FROM course WHERE NOT withdrawn", "academy").strip()
        server, base = start_server(url, data_dir, args.workers, 4096)
        warm = await warm_up(base, args.workers)
        drawn = popular(search_queries(args.pool), 100_000, args.skew)
        paths = work / "paths.txt"
        paths.write_text("".join(f"/api/v1/courses?{urlencode(q)}\n" for q in drawn))
        report = work / "report.lua"
        report.write_text(REPORT)
        cycle = work / "cycle.lua"
        cycle.write_text(CYCLE % paths + REPORT)
        worst = work / "worst.lua"
        worst.write_text(f'wrk.path = "/api/v1/courses?{urlencode({"q": WORST})}"\n' + REPORT)
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{courses} courses, {args.workers} server workers, index warm in {warm:.1f} s, "
              f"load average before {load}", flush=True)
        t = args.threads
        health = wrk(f"{base}/health", args.duration, args.connections, report, t)
        wrk(f"{base}/api/v1/courses", args.duration / 2, args.connections, cycle, t)  # warm-up
        search = wrk(f"{base}/api/v1/courses", args.duration, args.connections, cycle, t)
        shape = wrk(f"{base}/api/v1/courses", args.duration / 2, args.connections, worst, t)
        print(f"\nwrk, {args.connections} connections over {t} thread(s), "
              f"{args.duration:g} s a phase\n")
        print("| what | req/s | p50 ms | p95 ms | p99 ms | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        print(row("`/health` (the floor)", health))
        print(row("search, Zipf mix of the query pool", search))
        print(row(f"worst shape alone: `{WORST}`", shape))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds a phase")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads: one already sends ~10,000 req/s to /health, and "
                             "every thread more takes a core from the server's two")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", type=int, default=20_000)
    parser.add_argument("--skew", type=float, default=1.0)
    parser.add_argument("--data-dir", default=None, help="reuse this data dir (kept afterwards)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
