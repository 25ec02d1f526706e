"""Ranking quality on the demo catalogue: nDCG@10, recall@10 and empty pages, per tag.

    .venv/bin/python bench/relevance.py                 # the table for BENCHMARKS.md
    .venv/bin/python bench/relevance.py --worst 20      # and the 20 weakest queries
    .venv/bin/python bench/relevance.py --json out.json # every query's figures
    .venv/bin/python bench/relevance.py --compare before.json  # add an earlier run's column

One run measures two rankers on the judged queries of ``tests/catalogue/relevance_judgments.json``:

- **academy**: ``search_courses`` on the demo catalogue published into a fresh embedded
  PostgreSQL, exactly as the API answers (``limit=10``);
- **bm25**: a plain BM25 index (``bm25s``, Lucene's variant, k1 1.5, b 0.75) over each demo
  record's title, faculty, institution and city, folded, stopwords out, Dutch Snowball stems
  (PyStemmer): what a team gets from an off-the-shelf library with no query semantics. Query
  syntax is ignored there (quotes, ``-``, ``OR`` are plain words or dropped).

A query counts in its ``kind`` and in each of its ``tags``; "all" is every query, "first"
the 122 of the first round, "typed" the ones written the way professionals type (issue #15).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402

from api.embedded import EmbeddedPostgres  # noqa: E402
from tests.catalogue.relevance import Judgment, load_judgments, ndcg_at_k  # noqa: E402

__all__ = ["bm25_rankings", "engine_rankings", "main", "recall_at_k", "table"]

JUDGMENTS = ROOT / "tests" / "catalogue" / "relevance_judgments.json"
DEMO = ROOT / "catalogue" / "data" / "real-catalogue-2024.jsonl"
SLUGS = {"KU Leuven": "kuleuven", "Odisee": "odisee", "Thomas More": "thomasmore", "UCLL": "ucll",
         "Vives": "vives"}


def recall_at_k(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    """Share of the judged courses (any grade) in the first ``k``; at most k count as all."""
    wanted = set(relevant)
    return len(wanted & set(ranked[:k])) / min(len(wanted), k)


async def engine_rankings(judgments: list[Judgment]) -> dict[str, list[str]]:
    """Each query's first ten ``institution/code`` from the real search on the demo catalogue."""
    from search import demo_rankings

    data_dir = Path(tempfile.mkdtemp(prefix="academy-bench-relevance-", dir="/tmp"))
    pg = EmbeddedPostgres(data_dir, options={"fsync": "off", "synchronous_commit": "off"})
    try:
        return await demo_rankings(pg.start(), [j.q for j in judgments])
    finally:
        pg.stop()


def bm25_rankings(judgments: list[Judgment]) -> dict[str, list[str]]:
    import bm25s
    import Stemmer

    from catalogue.search import STOPWORDS, tokenize

    stemmer = Stemmer.Stemmer("dutch")

    def tokens(text: str) -> list[str]:
        return stemmer.stemWords([w for w in tokenize(text) if w not in STOPWORDS])

    ids, corpus = [], []
    for line in DEMO.read_text().splitlines():
        r = json.loads(line)
        ids.append(f"{SLUGS[r['institution']]}/{r['id']}")
        corpus.append(tokens(" ".join(filter(None, (r["title"], r.get("description"), r["faculty"],
                                                    r["institution"], r["city"])))))
    retriever = bm25s.BM25()
    retriever.index(_as_ids(corpus), show_progress=False)
    out = {}
    for j in judgments:
        words = [w for w in tokens(j.q) if w in _VOCAB]
        if not words:
            out[j.q] = []
            continue
        docs, scores = retriever.retrieve(bm25s.tokenization.Tokenized(
            ids=[[_VOCAB[w] for w in words]], vocab=_VOCAB), k=10, show_progress=False)
        out[j.q] = [ids[d] for d, s in zip(docs[0].tolist(), scores[0].tolist()) if s > 0]
    return out


_VOCAB: dict[str, int] = {}


def _as_ids(corpus: list[list[str]]) -> Any:
    import bm25s

    for doc in corpus:
        for w in doc:
            _VOCAB.setdefault(w, len(_VOCAB))
    return bm25s.tokenization.Tokenized(ids=[[_VOCAB[w] for w in doc] for doc in corpus],
                                        vocab=_VOCAB)


def figures(judgments: list[Judgment], rankings: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Per tag (and "all"): queries, mean nDCG@10, mean recall@10, empty pages."""
    per: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)
    for j in judgments:
        ranked = rankings[j.q]
        row = (ndcg_at_k(ranked, j.relevant, 10), recall_at_k(ranked, j.relevant), not ranked)
        for tag in ("all", *(() if "typed" in j.tags else ("first",)), *j.all_tags):
            per[tag].append(row)
    return {tag: {"n": len(rows), "ndcg": float(np.mean([r[0] for r in rows])),
                  "recall": float(np.mean([r[1] for r in rows])),
                  "zero": sum(r[2] for r in rows)}
            for tag, rows in per.items()}


def table(runs: dict[str, dict[str, dict[str, float]]]) -> str:
    names = list(runs)
    head = "| tag | n | " + " | ".join(f"{n} nDCG@10 | {n} R@10 | {n} empty" for n in names) + " |"
    lines = [head, "|" + " --- |" * (2 + 3 * len(names))]
    first = runs[names[0]]
    order = ["all", "first", "typed"] + sorted(t for t in first if t not in ("all", "first", "typed"))
    for tag in order:
        if tag not in first:
            continue
        cells = [f"{runs[n][tag]['ndcg']:.3f} | {runs[n][tag]['recall']:.3f} | {runs[n][tag]['zero']}"
                 for n in names]
        lines.append(f"| {tag} | {first[tag]['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worst", type=int, default=0, help="list this many weakest queries")
    parser.add_argument("--json", help="write every query's ranking and scores here")
    parser.add_argument("--only", help="only the judged queries containing this text")
    parser.add_argument("--compare", help="a --json file of an earlier run (e.g. the code before "
                        "a change): its academy rankings become a first column 'before'")
    args = parser.parse_args(argv)
    judgments = [j for j in load_judgments(JUDGMENTS) if not args.only or args.only in j.q]
    rankings = {"academy": asyncio.run(engine_rankings(judgments)), "bm25": bm25_rankings(judgments)}
    runs = {name: figures(judgments, r) for name, r in rankings.items()}
    if args.compare:
        earlier = json.loads(Path(args.compare).read_text())["rankings"]["academy"]
        runs = {"before": figures(judgments, earlier), **runs}
    print(table(runs))
    if args.worst:
        scored = sorted(judgments, key=lambda j: ndcg_at_k(rankings["academy"][j.q], j.relevant, 10))
        print(f"\nweakest {args.worst} (academy nDCG@10, bm25 nDCG@10, query):")
        for j in scored[:args.worst]:
            print(f"  {ndcg_at_k(rankings['academy'][j.q], j.relevant, 10):.3f} "
                  f"{ndcg_at_k(rankings['bm25'][j.q], j.relevant, 10):.3f}  {j.q}  [{', '.join(j.all_tags)}]"
                  f"  -> {', '.join(r.split('-')[-1] for r in rankings['academy'][j.q][:5])}")
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": runs, "rankings": rankings}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
