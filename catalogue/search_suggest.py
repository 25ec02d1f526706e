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

from catalogue.search_engine import Snapshot
from catalogue.structs import OutStruct
from catalogue.textproc import fold, tokenize

__all__ = ["Suggestion", "suggestions"]

Kind = Literal["title", "keyword", "institution"]
SCAN = 3000


class Suggestion(OutStruct):
    text: str
    kind: Kind


class _Table:
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


def suggestions(snap: Snapshot, q: str, limit: int) -> list[Suggestion]:
    prefix = " ".join(tokenize(q)) + (" " if q[-1:].isspace() and tokenize(q) else "")
    if len(prefix.strip()) < 2:
        return []
    key = ("suggest", prefix, limit)
    cache = snap.derived
    found = cache.get(key)
    if found is None:
        table = cache.get("table")
        if table is None:
            table = cache["table"] = _Table(snap)
        found = _lookup(table, prefix, limit)  # type: ignore[arg-type]
        if len(cache) > 2000:
            cache.clear()
            cache["table"] = table
        cache[key] = found
    return found  # type: ignore[return-value]


def _lookup(table: _Table, prefix: str, limit: int) -> list[Suggestion]:
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
