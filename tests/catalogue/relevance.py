"""Graded relevance judgments and nDCG, to tune search ranking and guard it in tests."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal

import msgspec

__all__ = ["Judgment", "load_judgments", "mean_ndcg", "ndcg_at_k"]

Grade = Annotated[int, msgspec.Meta(ge=1, le=3)]


class Judgment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A query and its relevant courses (``institution/code`` → grade: 3 best, 1 marginal).

    ``kind`` is the query's main trait; ``tags`` name further ones ("filler", "context",
    "typed" for the queries written the way professionals type them), for per-tag figures.
    """

    q: str
    lang: Literal["nl", "en"]
    kind: str
    relevant: dict[str, Grade]
    tags: tuple[str, ...] = ()

    @property
    def all_tags(self) -> tuple[str, ...]:
        return (self.kind, *(t for t in self.tags if t != self.kind))


def load_judgments(path: Path) -> list[Judgment]:
    return msgspec.json.decode(path.read_bytes(), type=list[Judgment])


def _dcg(grades: Iterable[int]) -> float:
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at_k(ranked_ids: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gain 2^grade − 1 and discount log2(rank + 1), rank counted from 1.

    Ids without a judgment have grade 0; an id repeated in ``ranked_ids`` counts only where
    it first appears. The ideal ranking is the judged grades in descending order, so 1.0
    means the best possible first k results. Judgments without a positive grade are an
    error: nDCG is undefined there.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    ideal = _dcg(sorted((g for g in judgments.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        raise ValueError("judgments hold no relevant document")
    seen: set[str] = set()
    grades: list[int] = []
    for doc in ranked_ids:
        if len(grades) == k:
            break
        grades.append(0 if doc in seen else judgments.get(doc, 0))
        seen.add(doc)
    return _dcg(grades) / ideal


def mean_ndcg(
    results: Mapping[str, Sequence[str]], judgments: Iterable[Judgment], k: int = 10
) -> float:
    """Mean nDCG@k over ``judgments``; a query missing from ``results`` (by ``q``) scores 0."""
    scores = [ndcg_at_k(results.get(j.q, ()), j.relevant, k) for j in judgments]
    if not scores:
        raise ValueError("no judgments")
    return sum(scores) / len(scores)
