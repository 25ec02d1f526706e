"""Batch publishing throughput, end to end over HTTP, against raw COPY of the same rows.

    .venv/bin/python bench/publish.py [--n 100000] [--batch 10000] [--concurrency 2]

Starts a fresh embedded PostgreSQL and the real server, generates synthetic courses,
POSTs them as NDJSON batches to /api/v1/institutions/{slug}/courses/batch (validated,
hashed, stored with offerings), then measures in the same run the floor: asyncpg COPY of
the same documents into a bare table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import machine, server  # noqa: E402
from synth import generate_courses  # noqa: E402


async def post_batches(base: str, key: str, batches: list[tuple[str, bytes]], concurrency: int) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in batches:
        queue.put_nowait(item)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            slug, body = queue.get_nowait()
            r = await client.post(f"{base}/api/v1/institutions/{slug}/courses/batch", content=body,
                                  headers={"Authorization": f"Bearer {key}",
                                           "content-type": "application/x-ndjson"})
            r.raise_for_status()
            result = r.json()
            for status in ("created", "updated", "unchanged", "invalid"):
                counts[status] += result[status]

    async with httpx.AsyncClient(timeout=600) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return counts


async def copy_baseline(url: str, rows: list[tuple[int, str, str]]) -> float:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE bench_copy (institution_id int, code text, document jsonb)")
    started = time.perf_counter()
    await conn.copy_records_to_table("bench_copy", records=rows)
    elapsed = time.perf_counter() - started
    await conn.execute("DROP TABLE bench_copy")
    await conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=3)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    by_slug: dict[str, list[dict]] = defaultdict(list)
    for slug, doc in generate_courses(args.n, seed=1):
        by_slug[slug].append(doc)
    batches: list[tuple[str, bytes]] = []
    for slug, docs in by_slug.items():
        for i in range(0, len(docs), args.batch):
            chunk = docs[i:i + args.batch]
            batches.append((slug, b"\n".join(msgspec.json.encode(d) for d in chunk)))
    offerings = sum(len(d.get("offerings") or []) for docs in by_slug.values() for d in docs)
    print(f"generated {args.n} courses with {offerings} offerings in {len(batches)} batches")

    with server() as srv:
        key = srv.key("kuleuven", "admin")
        started = time.perf_counter()
        counts = asyncio.run(post_batches(srv.base, key, batches, args.concurrency))
        elapsed = time.perf_counter() - started
        print(f"publish over HTTP: {args.n} courses in {elapsed:.2f} s = "
              f"{args.n / elapsed:,.0f} courses/s ({dict(counts)})")
        started = time.perf_counter()
        again = asyncio.run(post_batches(srv.base, key, batches, args.concurrency))
        elapsed2 = time.perf_counter() - started
        print(f"republish unchanged: {args.n / elapsed2:,.0f} courses/s ({dict(again)})")
        rows = [(1, d["code"] + slug, msgspec.json.encode(d).decode())
                for slug, docs in by_slug.items() for d in docs]
        copy_s = asyncio.run(copy_baseline(srv.database_url(), rows))
        print(f"baseline raw COPY of the same documents: {args.n / copy_s:,.0f} rows/s "
              f"(publish is {copy_s / elapsed:.0%} of COPY speed)")


if __name__ == "__main__":
    main()
