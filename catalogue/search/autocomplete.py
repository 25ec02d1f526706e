"""Autocomplete over a ``Snapshot``: course titles, keywords and institutions by prefix.

Every phrase is stored under its folded text and under each word-start inside it, in one
sorted list, so a prefix is a ``bisect`` and a short scan. Titles and keywords shared by
many courses come first; a phrase that starts with the prefix beats one that only has a
word starting with it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from typing import Literal

import numpy as np

from catalogue.search.snapshot import Snapshot
from catalogue.search.text import fold, tokenize
from catalogue.structs import OutStruct

__all__ = ["Suggestion", "Table", "prefix_of", "suggestions"]

Kind = Literal["title", "keyword", "institution"]
SCAN = 3000
SUGGESTIONS_KEPT = 20_000  # answers kept per snapshot (a few hundred bytes each)


class Suggestion(OutStruct):
    text: str
    kind: Kind


class Table:
    """Every phrase under its folded text and each word start inside it, sorted."""

    def __init__(self, snap: Snapshot) -> None:
        counts: Counter[tuple[str, str]] = Counter()
        for slot in np.flatnonzero(snap.alive).tolist():
            for line in snap.titles[slot].split("\n"):
                if line.strip():
                    counts[(line.strip(), "title")] += 1
            for keyword in snap.keywords[slot]:
                counts[(keyword.strip(), "keyword")] += 1
        for names in snap.institution_names.values():
            for name in names.split("\n"):
                counts[(name, "institution")] += 1000  # few, and what people look for first
        entries = []
        for (text, kind), weight in counts.items():
            folded = " ".join(tokenize(text))
            starts = [0] + [i + 1 for i, ch in enumerate(folded) if ch == " "]
            for start in starts[:12]:
                entries.append((folded[start:], start > 0, -weight, text, kind))
        entries.sort()
        self.keys = [e[0] for e in entries]
        self.entries = entries


def prefix_of(q: str) -> str:
    """The folded prefix to complete (a trailing space is kept: the next word starts)."""
    words = tokenize(q)
    return " ".join(words) + (" " if q[-1:].isspace() and words else "")


def suggestions(table: Table, prefix: str, limit: int, cache: dict[object, object] | None = None
                ) -> list[Suggestion]:
    """Up to ``limit`` completions of ``prefix`` (see ``prefix_of``) from ``table``.

    ``cache`` (a snapshot's ``derived``) keeps answers when ``table`` is that snapshot's own.
    """
    if len(prefix.strip()) < 2:
        return []
    key = ("suggest", prefix, limit)
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = _lookup(table, prefix, limit)
        if cache is not None:
            if len(cache) > SUGGESTIONS_KEPT:  # the oldest half goes (dicts keep insertion order)
                answers = [k for k in cache if isinstance(k, tuple) and k[0] == "suggest"]
                for stale in answers[:len(answers) // 2]:
                    del cache[stale]
            cache[key] = found
    return found  # type: ignore[return-value]


def _lookup(table: Table, prefix: str, limit: int) -> list[Suggestion]:
    start = bisect_left(table.keys, prefix)
    hits = []
    for key, inner, weight, text, kind in table.entries[start:start + SCAN]:
        if not key.startswith(prefix):
            break
        hits.append((inner, weight, len(text), text, kind))
    hits.sort()
    seen: set[str] = set()
    out = []
    for _, _, _, text, kind in hits:
        if fold(text) not in seen:
            seen.add(fold(text))
            out.append(Suggestion(text=text, kind=kind))  # type: ignore[arg-type]
            if len(out) == limit:
                break
    return out
