"""A mixed workload against a running server: search, course detail, verify, issue, publish.

    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --key acad_... \\
        --duration 600 --concurrency 8 --pid $(pgrep -f 'academy serve')
    .venv/bin/python bench/load.py --serve --duration 600     # a fresh server, demo catalogue

The mix is 80% search (``/api/v1/courses`` with mixed queries, filters and sorts), 10%
course detail, 5% verify, 4% issue and 1% publish (an edit of one of 120 courses made in
setup, so the catalogue keeps its size), at ``--concurrency`` workers, until
``--duration`` seconds pass or ``--requests`` have been sent. Setup (with the admin key)
publishes one microcredential course per partner and the edited courses, and issues one
credential to verify.
It reports throughput, p50/p95/p99 and errors per class, and with ``--pid`` the server's
RSS (process and children) over time and its growth after ``--warmup``. A class whose
endpoint answers 404 (not built yet) is reported as missing and not sent again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

__all__ = ["main"]

MIX = {"search": 80, "detail": 10, "verify": 5, "issue": 4, "publish": 1}
SLUGS = ("kuleuven", "luca", "odisee", "thomasmore", "ucll", "vives")
COURSE = "LOAD-MC"
# The publish class edits these courses (made in setup), so the catalogue keeps its size and
# its vocabulary: a real catalogue changes mostly by edits (dates, prices, wording), and only
# a steady catalogue says whether memory is flat. New courses each time would grow it ten-fold
# in ten minutes, a growth of data that memory must follow.
EDITED_PER_PARTNER = 20
TOPICS = ["data science", "wound care", "leadership", "project management", "cyber security",
          "sustainable energy", "coaching", "digital marketing", "mental health", "logistics",
          "artificial intelligence", "circular economy", "palliative care", "didactics"]
LEVELS = ["introduction", "advanced", "masterclass", "in practice", "for professionals"]
CITIES = ["Leuven", "Brussel", "Gent", "Mechelen", "Kortrijk", "Brugge", "Diepenbeek", "Aalst"]
WORDS = ["data", "zorg", "management", "leiderschap", "onderwijs", "ai", "duurzaam",
         "verpleegkunde", "marketing", "coaching", "security", "psychologie", "energie",
         "\"project management\"", "data -marketing", "zorg OR welzijn", "digitale transformatie",
         "datascience", "lerdrschap", "health"]
FILTERS: list[dict[str, Any]] = [
    {}, {}, {"language": "nl"}, {"language": "en"}, {"mode": "online"},
    {"institution": "kuleuven"}, {"institution": ["ucll", "vives"]}, {"microcredential": "true"},
    {"ects_min": 3, "ects_max": 20}, {"sort": "start_date"}, {"type": "postgraduate"},
    {"eqf": 6}, {"price_max": 1500},
]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0  # transport errors: no status, no latency
    missing: bool = False


class Workload:
    def __init__(self, client: httpx.AsyncClient, key: str, rng: random.Random) -> None:
        self.client = client
        self.admin = {"Authorization": f"Bearer {key}"}
        self.rng = rng
        self.courses: list[tuple[str, str]] = []
        self.edited = [(slug, f"LOAD-{i}") for slug in SLUGS for i in range(EDITED_PER_PARTNER)]
        self.credential: Any = None
        self.stats = {name: Stats() for name in MIX}

    async def setup(self) -> None:
        for slug in SLUGS:
            await self.client.put(f"/api/v1/institutions/{slug}/courses/{COURSE}",
                                  headers=self.admin, json=_course("Load test microcredential"))
        for slug, code in self.edited:
            await self.client.put(f"/api/v1/institutions/{slug}/courses/{code}",
                                  headers=self.admin, json=_edit(self.rng))
        r = await self.client.get("/api/v1/courses", params={"limit": 100})
        if r.status_code == 200:
            items = r.json().get("items", [])
            self.courses = [(item["institution"], item["code"]) for item in items
                            if "institution" in item and "code" in item]
        self.courses = self.courses or [(slug, COURSE) for slug in SLUGS]
        r = await self.client.post("/api/v1/institutions/ucll/credentials", headers=self.admin,
                                   json=_issuance(f"setup-{uuid.uuid4().hex[:8]}@example.org"))
        if r.status_code in (200, 201):
            self.credential = r.json()

    def request(self, name: str) -> tuple[str, str, dict[str, Any]]:
        rng = self.rng
        if name == "search":
            params = {**rng.choice(FILTERS), "limit": 20}
            if rng.random() < 0.85:
                params["q"] = rng.choice(WORDS)
            return "GET", "/api/v1/courses", {"params": params}
        if name == "detail":
            slug, code = rng.choice(self.courses)
            return "GET", f"/api/v1/institutions/{slug}/courses/{code}", {"headers": self.admin}
        if name == "verify":
            return "POST", "/api/v1/verify", {"json": self.credential or {}}
        if name == "issue":
            email = f"load-{uuid.uuid4().hex[:12]}@example.org"
            return "POST", "/api/v1/institutions/ucll/credentials", {
                "headers": self.admin, "json": _issuance(email)}
        slug, code = rng.choice(self.edited)
        return "PUT", f"/api/v1/institutions/{slug}/courses/{code}", {
            "headers": self.admin, "json": _edit(rng)}

    async def send(self, name: str) -> None:
        stats = self.stats[name]
        method, path, kwargs = self.request(name)
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            stats.errors[type(exc).__name__] += 1
            stats.unanswered += 1
            return
        stats.latencies.append(time.perf_counter() - started)
        stats.statuses[response.status_code] += 1
        if response.status_code == 404 and name in ("search", "verify", "issue"):
            stats.missing = True  # the endpoint does not exist (yet)
        elif response.status_code >= 400 and not (name == "detail" and response.status_code == 404):
            stats.errors[f"HTTP {response.status_code}"] += 1
        elif name == "verify" and self.credential and response.json().get("verified") is not True:
            stats.errors["not verified"] += 1


def _course(title: str) -> dict[str, Any]:
    return {"type": "microcredential", "title": {"en": title}, "ects": 3, "eqf_level": 6,
            "languages": ["en"], "learning_outcomes": [{"en": "Can carry load."}]}


def _edit(rng: random.Random) -> dict[str, Any]:
    """A partner's edit of one of its courses: new wording, credits, price and dates."""
    topic, level = rng.choice(TOPICS), rng.choice(LEVELS)
    start = date(2026, 9, 1) + timedelta(days=7 * rng.randrange(40))
    return {**_course(f"{topic} {level}"),
            "description": {"en": f"{level.capitalize()} course on {topic}, {rng.choice(TOPICS)} "
                                  f"and {rng.choice(TOPICS)}."},
            "ects": rng.choice((2, 3, 4, 5, 6)),
            "offerings": [{"code": "NEXT", "start_date": start.isoformat(),
                           "city": rng.choice(CITIES), "price_eur": rng.randrange(100, 2000, 50)}]}


def _issuance(email: str) -> dict[str, Any]:
    return {"learner": {"email": email, "name": "Load Tester"}, "course": COURSE,
            "assessment": {"type": "other"}, "participation": "online",
            "quality_assurance": {"en": "Internal quality assurance"}}


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (worker processes), in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


async def sample_rss(pid: int, samples: list[tuple[float, int]], start: float,
                     stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        samples.append((time.monotonic() - start, rss_kib(pid)))
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    async with httpx.AsyncClient(base_url=args.url.rstrip("/"), timeout=30,
                                 limits=limits) as client:
        work = Workload(client, args.key, rng)
        await work.setup()
        names, weights = list(args.mix), list(args.mix.values())
        sent = 0
        start = time.monotonic()
        deadline = start + args.duration
        stop = asyncio.Event()
        samples: list[tuple[float, int]] = []
        sampler = None
        if args.pid:
            sampler = asyncio.create_task(
                sample_rss(args.pid, samples, start, stop, args.sample_every))

        async def worker() -> None:
            nonlocal sent
            while time.monotonic() < deadline and sent < args.requests:
                sent += 1
                live = [(n, w) for n, w in zip(names, weights) if not work.stats[n].missing]
                name = rng.choices([n for n, _ in live], [w for _, w in live])[0]
                await work.send(name)

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.monotonic() - start
        stop.set()
        if sampler:
            await sampler
    return report(work, elapsed, samples, args)


def report(work: Workload, elapsed: float, samples: list[tuple[float, int]],
           args: argparse.Namespace) -> dict[str, Any]:
    classes = {}
    for name, stats in work.stats.items():
        ms = [v * 1000 for v in stats.latencies]
        classes[name] = {
            "requests": len(ms) + stats.unanswered,
            "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "errors": dict(stats.errors),
            "statuses": dict(stats.statuses), "missing": stats.missing,
        }
    total = sum(c["requests"] for c in classes.values())
    out: dict[str, Any] = {"seconds": round(elapsed, 1), "requests": total,
                           "throughput_rps": round(total / elapsed, 1) if elapsed else 0,
                           "errors": sum(sum(c["errors"].values()) for c in classes.values()),
                           "concurrency": args.concurrency, "classes": classes}
    if samples:
        warm = [kib for t, kib in samples if t >= args.warmup] or [samples[-1][1]]
        out["rss"] = {"start_mib": round(samples[0][1] / 1024, 1),
                      "after_warmup_mib": round(warm[0] / 1024, 1),
                      "end_mib": round(samples[-1][1] / 1024, 1),
                      "max_mib": round(max(k for _, k in samples) / 1024, 1),
                      "growth_after_warmup_pct": round(100 * (warm[-1] - warm[0]) / warm[0], 1)
                      if warm[0] else None,
                      "samples": [(round(t), round(k / 1024, 1)) for t, k in samples]}
    return out


def print_report(result: dict[str, Any]) -> None:
    print(f"{result['requests']} requests in {result['seconds']} s at concurrency "
          f"{result['concurrency']}: {result['throughput_rps']} req/s, {result['errors']} errors")
    print(f"{'class':8} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  "
          "errors / statuses")
    for name, c in result["classes"].items():
        if c["missing"]:
            print(f"{name:8} MISSING: the endpoint answers 404 ({c['statuses']})")
            continue
        print(f"{name:8} {c['requests']:>9} {c['p50_ms']:>8} {c['p95_ms']:>8} {c['p99_ms']:>8}  "
              f"{c['errors'] or '-'} {c['statuses']}")
    if rss := result.get("rss"):
        print(f"RSS: start {rss['start_mib']} MiB, after warm-up {rss['after_warmup_mib']} MiB, "
              f"end {rss['end_mib']} MiB, max {rss['max_mib']} MiB; growth after warm-up "
              f"{rss['growth_after_warmup_pct']}%")
        step = max(1, len(rss["samples"]) // 12)
        print("RSS over time (s, MiB): " + ", ".join(f"{t}:{m}" for t, m in rss["samples"][::step]))


def _mix(text: str) -> dict[str, int]:
    mix = {name: int(weight) for name, _, weight in (p.partition("=") for p in text.split(","))}
    if not mix or set(mix) - set(MIX):
        raise argparse.ArgumentTypeError(f"classes are {', '.join(MIX)}")
    return mix


def served(args: argparse.Namespace) -> dict[str, Any]:
    """Run against a fresh server with the demo catalogue, started (and stopped) here."""
    sys.path[:0] = [str(Path(__file__).resolve().parent)]
    from _harness import ROOT, machine, server

    env = dict(item.split("=", 1) for item in args.server_env)
    launcher: list[str] = []
    if args.trace:
        launcher = [sys.executable, str(ROOT / "bench" / "memtrace.py"), "--out", str(args.trace),
                    "--every", str(args.trace_every), "--frames", str(args.trace_frames),
                    "--baseline", str(args.warmup), *(["--trim"] if args.trace_trim else []), "--"]
    print(machine())
    with server(port=args.port, launcher=launcher, env=env) as srv:
        srv.academy("demo", "load")
        args.url, args.key, args.pid = srv.base, srv.key("kuleuven", "admin"), srv.pid
        return asyncio.run(run(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="The running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--key", help="An admin API key")
    parser.add_argument("--serve", action="store_true",
                        help="Start a fresh server (demo catalogue, admin key, --pid) instead")
    parser.add_argument("--port", type=int, default=8767, help="With --serve")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="With --serve: e.g. MALLOC_ARENA_MAX=2")
    parser.add_argument("--trace", type=Path,
                        help="With --serve: run it under bench/memtrace.py, reporting here")
    parser.add_argument("--trace-every", type=float, default=30)
    parser.add_argument("--trace-frames", type=int, default=8)
    parser.add_argument("--trace-trim", action="store_true", help="malloc_trim(0) at each report")
    parser.add_argument("--duration", type=float, default=60, help="Seconds to run")
    parser.add_argument("--requests", type=int, default=1_000_000, help="At most this many")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pid", type=int, help="The server's pid, to sample its RSS")
    parser.add_argument("--warmup", type=float, default=None,
                        help="Seconds before RSS growth is measured (default 10%% of duration)")
    parser.add_argument("--sample-every", type=float, default=1.0, help="RSS sampling period")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", type=_mix, default=MIX,
                        help="Another mix, e.g. search=1 or issue=1,verify=1 (to isolate a class)")
    parser.add_argument("--json", type=Path, help="Also write the report here")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = args.duration / 10
    if args.serve:
        result = served(args)
    elif args.url and args.key:
        result = asyncio.run(run(args))
    else:
        parser.error("give --url and --key, or --serve")
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
