"""Where a server worker's time goes under the wrk query mix: per-request server time, in process.

    .venv/bin/python bench/search_profile.py --data-dir /tmp/academy-bench-100k   # from bench/search.py
    .venv/bin/python bench/search_profile.py --data-dir DIR --profile 30          # + cProfile's top 30

A closed loop of 8 connections over 2 workers queues each request behind about three
others on its worker, so one slow request delays several: the tail of ``bench/search_wrk.py``
is the tail of the per-request service time, multiplied. This replays the requests one
worker of ``bench/search_wrk.py`` answers (the same drawn sequence; each request to one of
two workers at random, with a whole-result cache of its own as in the server) through
``search_courses_json`` on the same index as a server builds (warmed, heap frozen), one at
a time, and prints the server time per request: wall and CPU percentiles for result-cache
hits and misses, the slowest requests, and the cyclic collector's pauses. CPU time is the
steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import random
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker  # noqa: E402

from api.db import make_engine  # noqa: E402
from api.embedded import EmbeddedPostgres  # noqa: E402
from search import popular, search_queries  # noqa: E402

__all__ = ["main", "to_query"]

MULTI = ("institution", "language", "mode", "city", "type")


def to_query(params: dict[str, Any]) -> Any:
    """The ``SearchQuery`` the API builds from the bench's query parameters."""
    from catalogue.search import SearchQuery

    fields: dict[str, Any] = {}
    for name, value in params.items():
        if name in MULTI:
            fields[name] = (value,)
        elif name in ("starts_after", "starts_before"):
            fields[name] = date.fromisoformat(value)
        elif name == "microcredential":
            fields[name] = value == "true"
        elif name in ("ects_min", "ects_max", "price_max"):
            fields[name] = float(value)
        else:
            fields[name] = value
    return SearchQuery(**fields)


class GcPauses:
    """The cyclic collector's pauses, by generation, while installed."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._started) * 1000))


def _pcts(ms: list[float]) -> str:
    if not ms:
        return "| 0 | | | | | |"
    a = np.array(ms)
    return (f"| {len(a):,} | {a.mean():.2f} | {np.percentile(a, 50):.2f} | "
            f"{np.percentile(a, 95):.2f} | {np.percentile(a, 99):.2f} | {a.max():.1f} |")


async def run(args: argparse.Namespace) -> None:
    from api.app import settle_heap
    from api.state import new_search_index
    from catalogue.search import search_courses_json

    pg = EmbeddedPostgres(Path(args.data_dir))
    url = pg.start()
    engine = make_engine(url)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    index = new_search_index(args.result_cache)
    await index.warm(factory)
    drawn = popular(search_queries(args.pool), 100_000, args.skew)
    rng = random.Random(args.seed)
    mine = [to_query(q) for q in drawn[:args.requests] if rng.random() < 1 / args.workers]
    del drawn
    settle_heap()  # as the server does once warm; this script's own lists are frozen with it
    print(f"{index.snapshot.live:,} live courses; {len(mine):,} requests of the first "  # type: ignore[union-attr]
          f"{args.requests:,} of the wrk sequence (one worker of {args.workers})", flush=True)
    seen: set[Any] = set()
    # plain arrays: a list of tuples would grow what the cyclic collector walks
    hits, walls, cpus = bytearray(len(mine)), np.zeros(len(mine)), np.zeros(len(mine))
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    # CPU time: on a shared machine wall time mostly measures the neighbours
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    try:
        for i, query in enumerate(mine):
            hit = query in seen
            seen.add(query)
            async with factory() as session:
                if profile is not None and not hit:
                    profile.enable()
                t0, c0 = time.perf_counter(), time.thread_time()
                await search_courses_json(session, index, query)
                walls[i], cpus[i] = (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000
                if profile is not None and not hit:
                    profile.disable()
            hits[i] = hit
    finally:
        gc.callbacks.remove(pauses)
    kinds = Counter(type(o).__qualname__ for o in gc.get_objects())
    rows = list(zip(map(bool, hits), walls.tolist(), cpus.tolist(), mine))
    print("\n| requests | n | mean ms | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, pick in (("all, wall", lambda r: r[1]), ("all, CPU", lambda r: r[2])):
        print(f"| {label} " + _pcts([pick(r) for r in rows]))
    for label, hit in (("result-cache hits", True), ("misses", False)):
        print(f"| {label}, wall " + _pcts([r[1] for r in rows if r[0] == hit]))
        print(f"| {label}, CPU " + _pcts([r[2] for r in rows if r[0] == hit]))
    total = sum(r[1] for r in rows)
    for bound in (5, 10, 15):
        slow = [r for r in rows if r[1] > bound]
        print(f"\nover {bound} ms: {len(slow):,} requests ({len(slow) / len(rows):.1%}), "
              f"{sum(r[1] for r in slow) / total:.0%} of the server time", end="")
    print(f"\n\ncyclic collector (thresholds {gc.get_threshold()}; {kinds.total():,} "
          f"objects tracked and not frozen at the end):")
    for k in range(3):
        ms = [p for g, p in pauses.pauses if g == k]
        print(f"  generation {k}: {len(ms)} collections, longest {max(ms, default=0):.1f} ms, "
              f"total {sum(ms):.0f} ms")
    print("  most tracked: " + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common(8)))
    print(f"\nthe {args.top} slowest requests (wall ms, CPU ms, cache hit, parameters):")
    for hit, wall, cpu, query in sorted(rows, key=lambda r: -r[1])[:args.top]:
        print(f"  {wall:7.2f} {cpu:7.2f} {'hit ' if hit else 'miss'} {query}")
    if args.dump:
        Path(args.dump).write_text("".join(f"{int(h)} {w:.4f} {c:.4f}\n" for h, w, c, _ in rows))
    if profile is not None:
        print("\ncProfile over the misses:")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
    await index.close()
    await engine.dispose()
    if args.stop:
        pg.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="a data dir bench/search.py filled")
    parser.add_argument("--requests", type=int, default=48_000,
                        help="of the wrk sequence (its warm-up and measured phases hold ~48,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", type=int, default=20_000)
    parser.add_argument("--skew", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--result-cache", type=int, default=4096)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N (misses)")
    parser.add_argument("--dump", default=None,
                        help="write each request's (cache hit, wall ms, CPU ms) to this file")
    parser.add_argument("--stop", action="store_true", help="stop PostgreSQL afterwards")
    args = parser.parse_args(argv)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
