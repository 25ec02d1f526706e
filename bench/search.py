"""Catalogue search under load: the real server over HTTP against a synthetic catalogue.

    .venv/bin/python bench/search.py                      # 100,000 courses, 20 s per phase
    .venv/bin/python bench/search.py --n 20000 --duration 5 --data-dir /tmp/academy-bench

Steps, all in one run:
1. a fresh embedded PostgreSQL under /tmp (or ``--data-dir``; a data dir that already
   holds ``--n`` courses is reused), migrated, with ``pg_stat_statements`` loaded;
2. ``--n`` synthetic courses from ``bench/synth.py`` published through ``store()``, the
   same path as the batch API (validation, upsert, offerings, search refresh);
3. the real app under uvicorn in a subprocess; the first request builds the index;
4. a mixed search workload (1-3 words, Dutch and English, ~15% with a typo, half with
   filters, facets always on; a pool of ``--pool`` queries asked with Zipf popularity)
   at ``--concurrency`` from the lean load generator ``bench/_loadgen.py`` for
   ``--duration`` seconds, then autocomplete the same way; latency percentiles and
   throughput, and from ``pg_stat_statements`` the time PostgreSQL spent on them;
5. the naive single-query PostgreSQL design (FTS + trigram + three facets + count) on
   the same data and query mix, for comparison;
6. nDCG@10 of the judged demo queries (``tests/catalogue/relevance_judgments.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import httpx
import numpy as np
import uvloop
from _loadgen import closed_loop, open_loop, requests_for
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.db import make_engine, run_migrations
from api.embedded import EmbeddedPostgres

__all__ = ["main", "make_app"]

PARAMS = {"q", "institution", "language", "mode", "city", "type", "microcredential", "ects_min",
          "ects_max", "price_max", "starts_after", "starts_before", "sort", "limit"}


def make_app() -> Any:
    """The uvicorn factory: the real app, with the search controller if not yet registered."""
    from api.app import create_app
    from api.routes.search import SearchController
    from api.state import new_search_index
    from api.settings import load_settings

    settings = load_settings()
    app = create_app(settings)
    if not any(route.path == "/api/v1/suggest" for route in app.routes):
        app = create_app(settings, extra_handlers=[SearchController])
    app.state.search_index = new_search_index(int(os.environ.get("BENCH_RESULT_CACHE", "4096")))
    return app


# --- data ---------------------------------------------------------------------------------------


async def prepare_database(url: str, n: int, seed: int) -> float | None:
    """Migrate and publish ``n`` synthetic courses; the seconds it took (None when reused)."""
    from synth import generate_courses

    from catalogue.institutions import get_institution
    from catalogue.service import prepare_many, store

    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(run_migrations)
        await conn.commit()
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as session:
        have = int(await session.scalar(text("SELECT count(*) FROM course")) or 0)
    if have >= n:
        await engine.dispose()
        return None
    started = time.perf_counter()
    batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ids: dict[str, int] = {}

    async def flush(slug: str) -> None:
        async with factory() as session:
            if slug not in ids:
                ids[slug] = (await get_institution(session, slug)).id
            ready, invalid = prepare_many(batches.pop(slug))
            assert not invalid, invalid[:1]
            await store(session, ids[slug], ready, source="bench")
            await session.commit()

    for i, (slug, doc) in enumerate(generate_courses(n, seed, today=date.today())):
        batches[slug].append(doc)
        if len(batches[slug]) >= 2000:
            await flush(slug)
        if i % 20000 == 0 and i:
            print(f"  published {i:,} courses ({time.perf_counter() - started:.0f} s)", flush=True)
    for slug in list(batches):
        await flush(slug)
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    await engine.dispose()
    return time.perf_counter() - started


# --- workload -----------------------------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("drop", "swap", "double"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i] + word[i:]


def search_queries(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` mixed queries: 1-3 words, Dutch and English, some typos, half with filters."""
    from synth import DOMAINS, INSTITUTIONS

    rng = random.Random(seed)
    topics = [pair for domain in DOMAINS.values() for pair in domain[1]]
    keywords = [k for domain in DOMAINS.values() for k in domain[3]]
    cities = sorted({city for partner in INSTITUTIONS.values() for city, _ in partner[3]})
    today = date.today()
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.5:
            phrase = rng.choice(topics)[0]
        elif roll < 0.85:
            phrase = rng.choice(topics)[1]
        else:
            phrase = rng.choice(keywords)
        words = phrase.split()[:3]
        if len(words) == 1 and rng.random() < 0.3:
            words.append(rng.choice(["opleiding", "course", rng.choice(cities).lower(), "online"]))
        if rng.random() < 0.15:
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            words[longest] = _typo(words[longest], rng)
        params: dict[str, Any] = {"q": " ".join(words)}
        if rng.random() < 0.5:
            for name in rng.sample(["institution", "mode", "language", "type", "city", "ects",
                                    "price", "start", "micro"], rng.choice([1, 1, 2])):
                if name == "institution":
                    params["institution"] = rng.choice(list(INSTITUTIONS))
                elif name == "mode":
                    params["mode"] = rng.choice(["presential", "online", "blended"])
                elif name == "language":
                    params["language"] = rng.choice(["nl", "en"])
                elif name == "type":
                    params["type"] = rng.choice(["postgraduate", "microcredential", "short_course"])
                elif name == "city":
                    params["city"] = rng.choice(cities)
                elif name == "ects":
                    params["ects_min"], params["ects_max"] = rng.choice([(0, 6), (3, 15), (20, 60)])
                elif name == "price":
                    params["price_max"] = rng.choice([250, 500, 1000, 2500])
                elif name == "start":
                    start = today + timedelta(days=rng.randint(0, 300))
                    params["starts_after"] = start.isoformat()
                    params["starts_before"] = (start + timedelta(days=rng.choice([30, 90]))).isoformat()
                else:
                    params["microcredential"] = "true"
        if rng.random() < 0.1:
            params["sort"] = rng.choice(["start_date", "price", "title"])
        out.append(params)
    return out


def popular(pool: list[dict[str, Any]], count: int, skew: float,
            seed: int = 13) -> list[dict[str, Any]]:
    """``count`` queries drawn from ``pool`` with Zipf popularity: the r-th query of the pool
    is asked in proportion to 1 / r ** ``skew`` (search logs are Zipf-like, skew near 1;
    0 draws uniformly)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(pool) + 1) ** skew
    return [pool[i] for i in rng.choice(len(pool), size=count, p=weights / weights.sum())]


def first_seen(earlier: list[dict[str, Any]], phase: list[dict[str, Any]], n: int) -> float:
    """The share of the first ``n`` queries of ``phase`` asked for the first time in the run:
    at most this share can miss the whole-result cache."""
    seen = {tuple(sorted(q.items())) for q in earlier}
    new = 0
    for q in phase[:n]:
        key = tuple(sorted(q.items()))
        new += key not in seen
        seen.add(key)
    return new / max(n, 1)


def suggest_queries(count: int, seed: int = 11) -> list[dict[str, Any]]:
    from synth import DOMAINS

    rng = random.Random(seed)
    words = sorted({w for d in DOMAINS.values() for pair in d[1] for t in pair for w in t.split()
                    if len(w) >= 4} | {"postgraduaat", "microcredential", "opleiding", "leuven",
                                       "vives", "ucll", "thomas"})
    return [{"q": w[:rng.randint(2, min(7, len(w)))]} for w in (rng.choice(words) for _ in range(count))]


async def drive(base: str, path: str, queries: list[dict[str, Any]], concurrency: int,
                duration: float) -> dict[str, float]:
    """Loop over ``queries`` from ``concurrency`` clients for ``duration`` s; latency figures
    and how the clients' connections fell to the server processes ("4+4")."""
    split = asyncio.create_task(connection_split(base, min(1.0, duration / 4)))
    figures = await closed_loop(base, requests_for(base, path, queries), concurrency, duration)
    return {**figures, "split": await split}


def sockets(port: str, *flags: str) -> str:
    """``ss`` lines of the server's sockets on ``port`` (one a line, no header)."""
    return subprocess.run(["ss", *flags, f"( sport = :{port} )"], capture_output=True,
                          text=True, check=False).stdout


async def connection_split(base: str, after: float) -> str:
    """Established connections to ``base``'s port per server process, most first: the kernel
    gives each new connection to whichever worker accepts first, so a closed loop over a
    few keep-alive connections can load one worker more than the other."""
    await asyncio.sleep(after)
    port = base.rsplit(":", 1)[1]
    out = sockets(port, "-Htnp", "state", "established")
    pids = Counter(m.group(1) for m in re.finditer(r"pid=(\d+)", out))
    return "+".join(str(n) for n in sorted(pids.values(), reverse=True)) or "?"


async def drive_paced(base: str, path: str, queries: list[dict[str, Any]], rate: float,
                      concurrency: int, duration: float) -> dict[str, float]:
    """Open loop: a request every 1/``rate`` s, at most ``concurrency`` in flight."""
    return await open_loop(base, requests_for(base, path, queries), rate, concurrency, duration)


# --- PostgreSQL's share ---------------------------------------------------------------------------


def pg_stats_reset(pg: EmbeddedPostgres) -> None:
    pg.psql("SELECT pg_stat_statements_reset()")


def pg_stats(pg: EmbeddedPostgres) -> tuple[float, int]:
    """(total execution ms, statements) of the app database since the last reset."""
    row = pg.psql(
        "SELECT coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0) FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'academy')"
    ).strip().split("|")
    return float(row[0]), int(row[1])


# --- the naive design, for comparison -------------------------------------------------------------

_NAIVE_SETUP = """
DROP TABLE IF EXISTS bench_naive;
CREATE TABLE bench_naive AS
SELECT c.id, c.institution_id, c.mode, c.type,
       lower(unaccent(coalesce(c.document->'title'->>'nl', c.document->'title'->>'en'))) AS title,
       setweight(to_tsvector('dutch', unaccent(coalesce(c.document->'title'->>'nl', '') || ' ' ||
                                               coalesce(c.document->'title'->>'en', ''))), 'A') ||
       setweight(to_tsvector('dutch', unaccent(coalesce(c.document->>'keywords', ''))), 'B') ||
       setweight(to_tsvector('dutch', unaccent(coalesce(c.document->'description'->>'nl', '') || ' ' ||
                                               coalesce(c.document->'description'->>'en', ''))), 'C') AS tsv
FROM course c WHERE NOT c.withdrawn;
CREATE INDEX ON bench_naive USING gin (tsv);
CREATE INDEX ON bench_naive USING gin (title gin_trgm_ops);
ANALYZE bench_naive;
"""
_NAIVE = """
WITH q AS (SELECT plainto_tsquery('dutch', unaccent($1)) AS tsq),
hits AS (
    SELECT n.id, n.institution_id, n.mode, n.type,
           ts_rank(n.tsv, q.tsq) + similarity(n.title, lower(unaccent($1))) AS rank
    FROM bench_naive n, q
    WHERE (n.tsv @@ q.tsq OR n.title % lower(unaccent($1)))
      AND ($2::int IS NULL OR n.institution_id = $2) AND ($3::text IS NULL OR n.mode = $3)
      AND ($4::text IS NULL OR n.type = $4)
)
SELECT (SELECT count(*) FROM hits),
       (SELECT json_agg(t) FROM (SELECT id, rank FROM hits ORDER BY rank DESC LIMIT 20) t),
       (SELECT json_agg(t) FROM (SELECT institution_id, count(*) FROM hits GROUP BY 1) t),
       (SELECT json_agg(t) FROM (SELECT mode, count(*) FROM hits GROUP BY 1) t),
       (SELECT json_agg(t) FROM (SELECT type, count(*) FROM hits GROUP BY 1) t)
"""


async def naive_baseline(dsn: str, queries: list[dict[str, Any]], concurrency: int,
                         duration: float) -> dict[str, float]:
    """The one-statement design on the same data and query mix (three filters honoured)."""
    import asyncpg

    from catalogue.structs import INSTITUTIONS

    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    async with pool.acquire() as conn:
        await conn.execute(_NAIVE_SETUP)
    latencies: list[float] = []
    stop = time.perf_counter() + duration

    async def worker(k: int) -> None:
        i = k
        while time.perf_counter() < stop:
            p = queries[i % len(queries)]
            i += concurrency
            inst = INSTITUTIONS.index(p["institution"]) + 1 if "institution" in p else None
            t0 = time.perf_counter()
            async with pool.acquire() as conn:
                await conn.fetchrow(_NAIVE, p["q"], inst, p.get("mode"), p.get("type"))
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - started
    await pool.close()
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "rps": len(ms) / elapsed, "p50": float(np.percentile(ms, 50)),
            "p95": float(np.percentile(ms, 95)), "p99": float(np.percentile(ms, 99))}


# --- relevance on the demo catalogue --------------------------------------------------------------


async def demo_rankings(url: str, queries: list[str]) -> dict[str, list[str]]:
    """Each query's first ten ``institution/code`` from ``search_courses`` on the demo
    catalogue, loaded into the (empty) database at ``url`` (also used by bench/relevance.py)."""
    from catalogue.demo import load_demo_documents
    from catalogue.institutions import get_institution
    from catalogue.search import SearchIndex, SearchQuery, search_courses
    from catalogue.service import prepare_many, store

    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(run_migrations)
        await conn.commit()
    factory = async_sessionmaker(engine, expire_on_commit=False)
    docs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slug, doc in load_demo_documents():
        docs[slug].append(doc)
    async with factory() as session:
        for slug, items in docs.items():
            ready, _ = prepare_many(items)
            await store(session, (await get_institution(session, slug)).id, ready, source="demo")
        await session.commit()
    index = SearchIndex()
    out = {}
    async with factory() as session:
        for q in queries:
            result = await search_courses(session, index, SearchQuery(q=q, limit=10, facets=False))
            out[q] = [f"{hit.institution}/{hit.code}" for hit in result.items]
    await index.close()
    await engine.dispose()
    return out


async def demo_ndcg(pg: EmbeddedPostgres) -> float:
    """Mean nDCG@10 of the judged queries, through ``search_courses`` on the demo catalogue."""
    from tests.catalogue.relevance import load_judgments, ndcg_at_k

    pg.psql("DROP DATABASE IF EXISTS academy_demo")
    pg.psql("CREATE DATABASE academy_demo")
    judgments = load_judgments(ROOT / "tests" / "catalogue" / "relevance_judgments.json")
    ranked = await demo_rankings(pg.url("academy_demo"), [j.q for j in judgments])
    scores = [ndcg_at_k(ranked[j.q], j.relevant, 10) for j in judgments]
    return sum(scores) / len(scores)


# --- the run --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the uvicorn workers), in seconds."""
    total = 0.0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                   text=True, check=False).stdout.split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def measured(server: subprocess.Popen[bytes], phase: Any) -> dict[str, float]:
    """Run ``phase``; add the server's and this client's CPU milliseconds per request."""
    server_before, client_before = cpu_seconds(server.pid), time.process_time()
    figures = await phase
    figures["server_cpu_ms"] = (cpu_seconds(server.pid) - server_before) * 1000 / figures["requests"]
    figures["client_cpu_ms"] = (time.process_time() - client_before) * 1000 / figures["requests"]
    return figures


def start_server(url: str, data_dir: Path, workers: int,
                 result_cache: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "BENCH_RESULT_CACHE": str(result_cache), "DATABASE_URL": url, "ACADEMY_DATA_DIR": str(data_dir / "app"),
           "ACADEMY_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
           "ACADEMY_SEARCH_RATE_PER_MINUTE": "0", "ACADEMY_LOG_LEVEL": "WARNING",
           "ACADEMY_BACKGROUND_HARVEST": "0", "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    # what `academy serve --workers N` runs (api.serve: a listening socket a worker), with
    # this script's app factory (its result cache size)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.serve", "--factory", "search:make_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=env,
    )
    return server, f"http://127.0.0.1:{port}"


async def warm_up(base: str, workers: int) -> float:
    """Wait until every worker listens; the seconds until they answer searches fast (index
    built).

    Each round opens fresh connections, so the kernel spreads them over the workers; the
    server is warm when three rounds in a row answer within a second.
    """
    port = base.rsplit(":", 1)[1]
    deadline = time.monotonic() + 300
    while True:  # every worker listens on a socket of its own (api.serve)
        out = sockets(port, "-Hltn")
        if len(out.splitlines()) >= workers:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(out.splitlines())} of {workers} workers listen")
        await asyncio.sleep(0.2)
    started = time.perf_counter()
    fast = 0
    while fast < 3:
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:
            t0 = time.perf_counter()
            await asyncio.gather(*(client.get(path, params={"q": "zorg"})
                                   for path in ("/api/v1/courses", "/api/v1/suggest")
                                   for _ in range(4 * workers)))
            fast = fast + 1 if time.perf_counter() - t0 < 1.0 else 0
    return time.perf_counter() - started


def _row(label: str, f: dict[str, float]) -> str:
    cpu = (f"{f['server_cpu_ms']:.2f} / {f['client_cpu_ms']:.2f}" if "server_cpu_ms" in f else "")
    return (f"| {label} | {f['requests']:,} | {f['rps']:.0f} | {f['p50']:.2f} | {f['p95']:.2f} | "
            f"{f['p99']:.2f} | {f.get('errors', 0)} | {cpu} |")


def report(figures: dict[str, Any]) -> str:
    s, p, a = figures["search"], figures["paced"], figures["suggest"]
    rate, c = figures["rate"], figures["concurrency"]
    pg_ms = figures["pg_ms_per_search"]
    lines = [
        (f"## Search benchmark ({date.today().isoformat()}, {os.cpu_count()} cores, "
         f"server and load generator on the same machine; load average before the run "
         f"{figures['load_before']})"),
        "",
        (f"- catalogue: {figures['courses']:,} courses, {figures['offerings']:,} offerings "
         f"(synthetic, `bench/synth.py`); publishing them through `store()` took "
         f"{figures['load_s'] if figures['load_s'] is not None else 'n/a (data dir reused)'} s"),
        (f"- start-up until every worker listens and answers fast (index built): {figures['warm_s']:.1f} s ({figures['workers']} "
         "server process(es) of `api.serve`, uvicorn with uvloop and httptools; each builds its own)"),
        (f"- workload: a pool of {len(figures['queries']):,} generated queries (1-3 words, Dutch "
         "and English, ~15% with a typo, half with 1-2 filters, facets always on), drawn with "
         f"Zipf popularity (skew {figures['skew']}; {figures['distinct']:,} distinct in 200,000 "
         "draws); each phase goes on with new draws; "
         f"{s['first_seen']:.0%} (closed loop) and {p['first_seen']:.0%} (open loop) of the "
         "requests asked a query for the first time in the run; whole-result cache "
         f"{'on' if figures['result_cache'] else 'off'}; lean HTTP/1.1 load generator "
         f"(`bench/_loadgen.py`, uvloop) in this process; {figures['duration']:.0f} s a phase "
         "after a warm-up"),
        "",
        "| | requests | req/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/request server / client |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        _row(f"search, closed loop: {c} clients back to back (connections per worker "
             f"{s.get('split', '?')})", s),
        _row(f"search, open loop: {rate:.0f} req/s, at most {c} in flight", p),
        _row(f"autocomplete, open loop: {rate:.0f} req/s, at most {c} in flight", a),
    ]
    if "naive" in figures:
        lines.append(_row(f"naive single SQL statement (FTS + trigram + 3 facets + count), "
                          f"asyncpg direct, closed loop {c}", figures["naive"]))
    lines += [
        "",
        f"- PostgreSQL's own time per search in the open-loop phase (pg_stat_statements, every "
        f"statement of the request): {pg_ms:.3f} ms over {figures['pg_statements_per_search']:.1f} "
        f"statements; mean HTTP latency {p['mean']:.2f} ms, so the stack above PostgreSQL takes "
        f"{p['mean'] / pg_ms:.1f}x PostgreSQL's time (ratio {pg_ms / p['mean']:.2f})" if pg_ms else
        "- PostgreSQL time: n/a",
    ]
    if "ndcg" in figures:
        lines.append(f"- nDCG@10 on the demo catalogue ({figures['judged']} judged queries): "
                     f"{figures['ndcg']:.3f}")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="academy-bench-search-", dir="/tmp"))
    pg = EmbeddedPostgres(data_dir, options={
        "shared_preload_libraries": "pg_stat_statements", "fsync": "off",
        "synchronous_commit": "off", "max_connections": "200"})
    pg.stop()  # a server left running in a reused data dir may lack pg_stat_statements
    url = pg.start()
    print(f"PostgreSQL in {data_dir}", flush=True)
    figures: dict[str, Any] = {"workers": args.workers, "concurrency": args.concurrency,
                               "duration": args.duration, "rate": args.rate,
                               "result_cache": args.result_cache, "skew": args.skew,
                               "load_before": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    server = None
    try:
        figures["load_s"] = await prepare_database(url, args.n, args.seed)
        if figures["load_s"] is not None:
            figures["load_s"] = round(figures["load_s"])
        pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        figures["courses"] = int(pg.psql("SELECT count(*) FROM course WHERE NOT withdrawn", "academy"))
        figures["offerings"] = int(pg.psql("SELECT count(*) FROM offering", "academy"))
        server, base = start_server(url, data_dir, args.workers, args.result_cache)
        figures["warm_s"] = await warm_up(base, args.workers)
        print(f"index ready after {figures['warm_s']:.1f} s", flush=True)
        figures["queries"] = search_queries(args.pool)
        searches = popular(figures["queries"], 200_000, args.skew)
        figures["distinct"] = len({tuple(sorted(q.items())) for q in searches})
        # each phase goes on with new draws: popular queries recur, rare ones are new
        warm, closed, paced = searches[:40_000], searches[40_000:140_000], searches[140_000:]
        warmed = (await drive(base, "/api/v1/courses", warm, args.concurrency,
                              args.duration / 2))["requests"]
        warm = warm[:warmed]
        figures["search"] = await measured(server, drive(
            base, "/api/v1/courses", closed, args.concurrency, args.duration))
        figures["search"]["first_seen"] = first_seen(warm, closed, figures["search"]["requests"])
        print(f"search, closed loop: {figures['search']}", flush=True)
        pg_stats_reset(pg)
        figures["paced"] = await measured(server, drive_paced(
            base, "/api/v1/courses", paced, args.rate, args.concurrency, args.duration))
        figures["paced"]["first_seen"] = first_seen(
            warm + closed[:figures["search"]["requests"]], paced, figures["paced"]["requests"])
        pg_ms, statements = pg_stats(pg)
        figures["pg_ms_per_search"] = pg_ms / figures["paced"]["requests"]
        figures["pg_statements_per_search"] = statements / figures["paced"]["requests"]
        print(f"search, open loop: {figures['paced']}", flush=True)
        suggests = suggest_queries(2000)
        await drive(base, "/api/v1/suggest", suggests, args.concurrency, 3)
        figures["suggest"] = await measured(server, drive_paced(
            base, "/api/v1/suggest", suggests, args.rate, args.concurrency, args.duration / 2))
        print(f"suggest: {figures['suggest']}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    if args.quick:
        pg.stop()
        return figures
    searches = figures["queries"]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    figures["naive"] = await naive_baseline(dsn, searches, args.concurrency, min(args.duration, 10))
    print(f"naive: {figures['naive']}", flush=True)
    figures["ndcg"] = await demo_ndcg(pg)
    figures["judged"] = len((ROOT / "tests/catalogue/relevance_judgments.json").read_text().split('"q"')) - 1
    if args.keep or args.data_dir:
        pg.stop()
    else:
        pg.destroy()
        shutil.rmtree(data_dir, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds a phase")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (academy serve --workers)")
    parser.add_argument("--data-dir", default=None, help="reuse this data dir (kept afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the fresh data dir")
    parser.add_argument("--rate", type=float, default=400.0, help="open-loop requests a second")
    parser.add_argument("--pool", type=int, default=20_000, help="distinct generated queries")
    parser.add_argument("--skew", type=float, default=1.0,
                        help="Zipf exponent of query popularity (0: uniform over the pool)")
    parser.add_argument("--quick", action="store_true", help="skip the naive baseline and nDCG")
    parser.add_argument("--result-cache", type=int, default=4096,
                        help="results the server keeps per snapshot (0: every search computed)")
    args = parser.parse_args(argv)
    figures = uvloop.run(run(args))
    print()
    print(report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
