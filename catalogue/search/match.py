"""Query evaluation over a ``Snapshot``: text matching and ranking, filters, facets, pages.

Ranking: each query word resolves to indexed words (itself, words sharing its Dutch or
English stem, and on the last word completions of the prefix); a word's score in a course
is the largest of their field-weighted BM25 weights times their idf, discounted for stem
and prefix matches. An alternative of a group (the typed term, its compound parts, a
glossary translation, a typo correction) scores the sum of its words, discounted by its
source; a group scores its best alternative. How groups combine (strict ones required,
the others weighed and coordinated, places a boost) is ``catalogue.search.soft``'s rule;
the result is multiplied by ``FRESH_BOOST`` when a course has an upcoming offering.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from cachetools import LRUCache

from catalogue.search.expand import Alternative, Expansion
from catalogue.search.snapshot import Snapshot
from catalogue.search.soft import combine, role_of
from catalogue.search.text import STOPWORDS

__all__ = ["Sort", "TextMatch", "cached", "match_text", "page", "relevance", "sort_keys",
           "title_threshold"]

Sort = Literal["relevance", "start_date", "price", "title"]
SOURCE_WEIGHT = {"query": 1.0, "compound": 0.85, "glossary": 0.8, "typo": 0.8, "related": 0.5}
STEM_FACTOR = 0.9
PREFIX_FACTOR = 0.75
FRESH_BOOST = np.float32(1.15)
MAX_PREFIX_WORDS = 40


@dataclass(frozen=True, slots=True)
class TextMatch:
    """Matching slots and their text scores; ``slots`` None: every slot. ``complete`` says
    per matching slot whether it met every meaningful word (None: all did)."""

    slots: np.ndarray | None
    scores: np.ndarray
    words: frozenset[str]  # indexed words the query met, for highlighting
    complete: np.ndarray | None = None
    dead: tuple[str, ...] = ()  # soft groups (their text) that met no live course

    def partial(self, size: int) -> np.ndarray | None:
        """A mask over ``size`` slots of the partial matches (None: there are none)."""
        if self.complete is None or self.slots is None or self.complete.all():
            return None
        mask = np.zeros(size, bool)
        mask[self.slots[~self.complete]] = True
        return mask

    def dense(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(mask, score) over all ``size`` slots."""
        score = np.zeros(size, np.float32)
        if self.slots is None:
            return np.ones(size, bool), score
        mask = np.zeros(size, bool)
        mask[self.slots] = True
        score[self.slots] = self.scores
        return mask, score


# Per snapshot: dense word scores are big (4 bytes a slot), text matches are sparse.
CACHES = {"word": 96, "phrase": 1024, "text": 2048, "filter": 256}
_MISSING = object()  # a cached value may be None (a word that matches nothing)


def cached(snap: Snapshot, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """``make()``, kept in the snapshot's least-recently-used cache of ``key[0]``'s kind
    (word, phrase, text or filter; see ``CACHES``)."""
    lru = snap.cache.get(key[0])
    if lru is None:
        lru = snap.cache[key[0]] = LRUCache(CACHES[key[0]])
    found = lru.get(key, _MISSING)
    if found is _MISSING:
        found = lru[key] = make()
    return found


def _resolve(snap: Snapshot, word: str, prefix: bool) -> list[tuple[int, float]]:
    out: dict[int, float] = {}
    if (wid := snap.word_id.get(word)) is not None:
        out[wid] = 1.0
    for other in snap.stem_equivalents(word):
        out.setdefault(other, STEM_FACTOR)
    if prefix:
        for other in snap.words_with_prefix(word, MAX_PREFIX_WORDS):
            out.setdefault(other, PREFIX_FACTOR)
    return list(out.items())


def _word(snap: Snapshot, word: str, prefix: bool) -> tuple[np.ndarray, frozenset[str]] | None:
    def make() -> tuple[np.ndarray, frozenset[str]] | bool:
        resolved = _resolve(snap, word, prefix)
        if not resolved:
            return False
        n = max(snap.live, 1)
        acc = np.zeros(snap.size, np.float32)
        for wid, factor in resolved:
            slots, weights = snap.postings[wid]
            df = len(slots)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            current = acc[slots]
            np.maximum(current, weights * np.float32(idf * factor), out=current)
            acc[slots] = current
        return acc, frozenset(snap.words[w] for w, _ in resolved)

    found = cached(snap, ("word", word, prefix), make)
    return found or None  # type: ignore[no-any-return]


def _alternative(snap: Snapshot, alt: Alternative) -> tuple[np.ndarray, frozenset[str]] | None:
    if len(alt.words) == 1:
        return _word(snap, alt.words[0], alt.prefix)
    # Several words: a city such as "sint-katelijne-waver" meets thousands of courses whose
    # texts are checked for adjacency one by one, so the outcome is kept per snapshot, in a
    # cache of its own: among the dense single-word scores (``CACHES["word"]``, 400 KB each
    # at 100,000 courses) a phrase was pushed out by the next few queries' words and checked
    # again. Kept sparse (the slots met and their scores), it is cheap to keep many.
    def make() -> tuple[np.ndarray, np.ndarray, frozenset[str]] | bool:
        found = _words(snap, alt)
        if found is None:
            return False
        slots = np.flatnonzero(found[0])
        return slots, found[0][slots], found[1]

    kept = cached(snap, ("phrase", alt.words, alt.prefix, alt.adjacent, alt.loose), make)
    if not kept:
        return None
    dense = np.zeros(snap.size, np.float32)
    dense[kept[0]] = kept[1]
    return dense, kept[2]


def _words(snap: Snapshot, alt: Alternative) -> tuple[np.ndarray, frozenset[str]] | None:
    last = len(alt.words) - 1
    # stop words are not indexed; a phrase ("psychotherapie voor kinderen") checks them below
    parts = [_word(snap, w, alt.prefix and i == last) for i, w in enumerate(alt.words)
             if not (alt.adjacent and w in STOPWORDS and i != last)]
    if alt.loose:
        return _loose(parts, len(alt.words))
    if not parts or any(p is None for p in parts):
        return None
    arrays = [p[0] for p in parts]  # type: ignore[index]
    words = frozenset().union(*(p[1] for p in parts))  # type: ignore[index]
    if len(arrays) == 1:
        return arrays[0], words
    matched = np.logical_and.reduce([a > 0 for a in arrays])
    if alt.adjacent:
        needle = " " + " ".join(alt.words) + ("" if alt.prefix else " ")
        candidates = np.flatnonzero(matched)
        ok = np.fromiter(_holding(needle, snap.phrases[candidates].tolist()), bool, len(candidates))
        matched = np.zeros(snap.size, bool)
        matched[candidates[ok]] = True
    return np.where(matched, np.add.reduce(arrays), np.float32(0)), words


def _holding(needle: str, phrases: list[tuple[str, str, str, str]]) -> list[bool]:
    """Whether each course's field texts (title, subject, body, place) hold ``needle``.

    The short fields are read first: a city's name ("sint katelijne waver") is in the place
    text of thousands of courses, and reading their long descriptions before it cost ~30 ms.
    """
    return [needle in p[3] or needle in p[0] or needle in p[1] or needle in p[2] for p in phrases]


def _loose(parts: list[tuple[np.ndarray, frozenset[str]] | None], n: int
           ) -> tuple[np.ndarray, frozenset[str]] | None:
    """Some parts suffice: the sum of those met times the share of parts met."""
    found = [p for p in parts if p is not None]
    if not found:
        return None
    met = np.add.reduce([(p[0] > 0).astype(np.float32) for p in found])
    score = np.add.reduce([p[0] for p in found]) * (met / np.float32(n))
    return score, frozenset().union(*(p[1] for p in found))


def match_text(snap: Snapshot, expansion: Expansion) -> TextMatch:
    """Live courses the query finds (``catalogue.search.soft``'s rule) and no exclusion,
    with their text scores and whether each met every meaningful word."""
    return cached(snap, ("text", expansion.key()), lambda: _match_text(snap, expansion))  # type: ignore[no-any-return]


def _match_text(snap: Snapshot, expansion: Expansion) -> TextMatch:
    if not expansion.groups and not expansion.excluded:
        return TextMatch(None, np.zeros(0, np.float32), frozenset())
    allowed = snap.alive.copy()
    words: set[str] = set()
    roles, scores, dead = [], [], []
    for group in expansion.groups:
        best, owned = None, False
        for alt in group.alternatives:
            found = _alternative(snap, alt)
            if found is None:
                continue
            words |= found[1]
            weight = SOURCE_WEIGHT.get(alt.source, 0.7)
            # Each step over 100,000 slots costs: a typed word's scores are used as cached
            # (read only, never changed in place), and a new array is made only to merge.
            weighed = found[0] if weight == 1.0 else found[0] * np.float32(weight)
            if best is None:
                best, owned = weighed, weighed is not found[0]
            elif owned:
                np.maximum(best, weighed, out=best)
            else:
                best, owned = np.maximum(best, weighed), True
        if best is not None and not best.any():  # met only dead courses, or a phrase not adjacent
            best = None
        role = role_of(snap, group)
        if best is None and role == "core":
            dead.append(group.text)
        if role == "strict":
            if best is None:
                return TextMatch(np.zeros(0, np.int64), np.zeros(0, np.float32), frozenset(words))
            allowed &= best > 0
        roles.append(role)
        scores.append(best)
    for alt in expansion.excluded:
        found = _alternative(snap, Alternative(alt.words, adjacent=alt.adjacent))
        if found is not None:
            allowed &= found[0] <= 0
    if not expansion.groups:
        slots = np.flatnonzero(allowed)
        return TextMatch(slots, np.zeros(len(slots), np.float32), frozenset())
    if all(r == "strict" for r in roles):
        score = np.add.reduce(scores) if len(scores) > 1 else scores[0]
        slots = np.flatnonzero(allowed)
        return TextMatch(slots, score[slots], frozenset(words))  # type: ignore[index]
    combined = combine(snap, roles, scores, allowed)
    return TextMatch(combined.slots, combined.scores, frozenset(words), combined.complete,
                     tuple(dead))



def sort_keys(snap: Snapshot, sort: Sort, score: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """The primary sort key of ``slots`` (ascending); ties break on the stable tiebreak."""
    if sort == "relevance":
        return -relevance(snap, score, slots)
    if sort == "start_date":
        return snap.next_start[slots]
    if sort == "price":
        return snap.price[slots].astype(np.float64)
    return snap.title_rank[slots]


def relevance(snap: Snapshot, score: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """The text score with the freshness boost for courses with an upcoming offering."""
    text = score[slots].astype(np.float64)
    return np.where(np.isfinite(snap.next_start[slots]), text * float(FRESH_BOOST), text)


def title_threshold(snap: Snapshot, title: str) -> float:
    """The ``title_rank`` a cursor's title sits at (between ranks when it is gone)."""
    from bisect import bisect_left

    at = bisect_left(snap.titles_sorted, title)
    exact = at < len(snap.titles_sorted) and snap.titles_sorted[at] == title
    return float(at) if exact else at - 0.5


def page(slots: np.ndarray, key: np.ndarray, tiebreak: np.ndarray, *,
         after: tuple[float, int] | None, skip: int, limit: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """One page of ``slots`` in (key, tiebreak) order, their keys, and whether more follow."""
    k = key
    if after is not None:
        keep = (k > after[0]) | ((k == after[0]) & (tiebreak[slots] > after[1]))
        slots, k = slots[keep], k[keep]
    need = skip + limit + 1
    if len(slots) > need:
        kth = np.partition(k, need - 1)[need - 1]
        below = np.flatnonzero(k < kth)
        ties = np.flatnonzero(k == kth)
        room = need - len(below)
        if len(ties) > room:
            ties = ties[np.argpartition(tiebreak[slots[ties]], room - 1)[:room]]
        chosen = np.concatenate([below, ties])
        slots, k = slots[chosen], k[chosen]
    order = np.lexsort((tiebreak[slots], k))[skip:]
    return slots[order][:limit], k[order][:limit], len(order) > limit
