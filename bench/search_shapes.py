"""The cost of each query shape under soft matching, in process, on a big catalogue.

    .venv/bin/python bench/search_shapes.py --data-dir /tmp/academy-bench-100k   # from bench/search.py

Soft matching (#15) lets a course match some of the query's words, so a query of common
words could touch most of the catalogue. This times ``search_courses`` (facets on, as the
API asks) for the shapes that could cost most, each computed afresh: the whole-result cache
is off and the snapshot's per-word and per-query caches (and the typo corrections) are
emptied before every run, so the figures are the cold cost of a query nobody asked before
(what is built once per snapshot, such as the facet offsets, stays). CPU time of this
process is printed beside the wall-clock time: it is the steadier figure on a shared machine. Needs a data dir that
``bench/search.py --data-dir DIR`` filled (it starts that PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker  # noqa: E402

from api.db import make_engine  # noqa: E402
from api.embedded import EmbeddedPostgres  # noqa: E402

__all__ = ["SHAPES", "main"]

SHAPES = (
    ("one rare word", "stomatherapie"),
    ("one common word", "management"),
    ("filler + common word", "opleiding management"),
    ("common word + city", "management leuven"),
    ("two common words", "management zorg"),
    ("three common words", "management zorg onderwijs"),
    ("common + rare word", "management stomatherapie"),
    ("typo + filler", "opleiding managment"),
    ("unknown + common word", "qqqxzv management"),
    ("sentence, 10 words", "ik zoek een opleiding rond management en zorg voor leerkrachten in leuven"),
    ("quoted phrase + soft word", '"data science" management'),
)


async def run(data_dir: Path, repeat: int) -> None:
    from catalogue.search import SearchIndex, SearchQuery, search_courses

    pg = EmbeddedPostgres(data_dir)
    url = pg.start()
    engine = make_engine(url)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    index = SearchIndex(result_cache=0)
    await index.warm(factory)
    assert index.snapshot is not None
    print(f"{index.snapshot.live:,} live courses\n")
    print("| shape | query | results | match | p50 ms | max ms | CPU ms p50 |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
    async with factory() as session:
        for name, q in SHAPES:
            times, cpu = [], []
            for _ in range(repeat):
                snap = index.snapshot
                snap.cache.clear()  # per-word and per-query results
                for key in [k for k in snap.derived if isinstance(k, tuple) and k[0] == "label"]:
                    del snap.derived[key]  # per-word statistics
                index.corrections.clear()
                started, cpu_started = time.perf_counter(), time.process_time()
                result = await search_courses(session, index, SearchQuery(q=q, limit=20))
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            print(f"| {name} | `{q}` | {result.total:,} | {result.match} | "
                  f"{np.percentile(times, 50):.2f} | {max(times):.2f} | {np.percentile(cpu, 50):.2f} |",
                  flush=True)
    await index.close()
    await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="a data dir bench/search.py filled")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    asyncio.run(run(Path(args.data_dir), args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
