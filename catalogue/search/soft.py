"""Soft matching: how a query's groups combine into the courses found and their order.

People type whole phrases: a subject, a filler ("opleiding", "course"), a word of context
("voor volwassenen"), a place, an institution. Requiring every word found nothing for a
third of such queries, so only what the user marked stays strict, and the rest is weighed:

1. **Roles.** Each group of the expansion is one of
   - *strict*: a quoted phrase or an ``OR`` list; a course must match it;
   - *place*: every word names an offering city or an institution of the catalogue
     (``snap.cities``, ``snap.institution_names``) and mostly sits outside the titles of
     the courses that hold it (``title_shares``); it only boosts (``PLACE_BOOST``);
   - *generic*: it names a kind of offer, from the glossary's ``generic`` list or from the
     catalogue's own field statistics (a word that mostly opens titles, such as
     "Postgraduaat …" or "Micro degree …", see ``title_shares``); it adds ``GENERIC_SHARE``
     of its score and is not a reason to show a course;
   - *core*: everything else.
   When no core group matches any course, generic and place groups act as core ones, so a
   query of only "Leuven" or "opleiding" still finds courses.
2. **Weights.** A core group weighs the idf of the courses it matches (its document
   frequency in the live catalogue), so words frequent across the catalogue count little.
3. **Who is found.** A course must match every strict group, no exclusion, and at least
   ``required(k)`` of the ``k`` core groups: 1 of 1-3, 2 of 4-6, then a third. A core
   group met by more than ``COMMON_SHARE`` of the live catalogue (and more than
   ``COMMON_MIN`` courses) cannot carry a course on its own when the query has another
   core group: the course must also match a rarer one or a second word. This is the bound that keeps "management zorg onderwijs" from
   listing, sorting and counting facets over half of a 100,000-course catalogue (WAND-like:
   the frequent words only add to what the telling ones found). If nobody qualifies, the
   minimum drops one by one, then the common-word rule goes: a query with a known word is
   never empty.
4. **Order.** The sum of the matched groups' BM25 scores, times the coordination factor
   (matched core weight / all core weight) ** ``COORDINATION``: a course with the more
   telling words outranks one with more frequent ones, and one with all words ranks first.
   ``COORDINATION`` and ``required`` were chosen on the judged queries (see BENCHMARKS.md,
   "Soft matching"): nDCG@10 is flat for powers 1-3 and lower without coordination; a
   minimum of one word throughout scored the same as this one, which rises with the query
   so that long queries at 100,000 courses do not list everything that shares one word.
5. **Partial.** A course that misses a core group is a partial match (``complete`` False);
   generic, place and stop words do not count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from catalogue.search.expand import Group
from catalogue.search.snapshot import Snapshot
from catalogue.search.tokens import words_of

__all__ = ["COMMON_MIN", "COMMON_SHARE", "COORDINATION", "GENERIC_SHARE", "PLACE_BOOST",
           "Combined", "Role",
           "combine", "label_word", "place_words", "required", "role_of", "title_shares"]

Role = Literal["strict", "place", "generic", "core"]
PLACE_BOOST = 0.35
GENERIC_SHARE = 0.15
COMMON_SHARE = 0.05
COMMON_MIN = 50  # in a small catalogue nothing costs much: no word is common below this
COORDINATION = 2.0
LABEL_SAMPLE = 64  # title openings checked per word (a sample of its postings)
LABEL_SHARE = 0.75
PLACE_IN_TITLES = 0.5  # a place name that more titles hold than not is a subject as well


def required(k: int) -> int:
    """How many of ``k`` core groups a course must match (before any relaxation)."""
    if k <= 3:
        return 1
    if k <= 6:
        return 2
    return k // 3


def place_words(snap: Snapshot) -> frozenset[str]:
    """Folded words of the catalogue's offering cities and institution names."""
    found = snap.derived.get("place_words")
    if found is None:
        names = [*snap.cities.display, *snap.institution_names.values(), *snap.institution_names]
        found = snap.derived["place_words"] = frozenset(w for n in names for w in words_of(n))
    return found  # type: ignore[return-value]


def title_shares(snap: Snapshot, word: str) -> tuple[float, float]:
    """Of the live courses holding ``word`` (a sample of its postings): the share whose
    title opens with it, and the share whose title holds it at all; (0, 0) when too rare.

    These are the field statistics behind the roles: a word that opens most titles it is in
    ("Postgraduaat …", "Micro degree …") labels a kind of offer; a city or institution name
    that mostly sits outside the titles is a place, one that titles hold ("Arts" in LUCA
    School of Arts, "School") is a subject too.
    """
    cache = snap.derived.get("title_shares")
    if cache is None or len(cache) > 50_000:  # query words are anyone's input: bounded
        cache = snap.derived["title_shares"] = {}
    found = cache.get(word)  # type: ignore[union-attr]
    if found is None:
        found = (0.0, 0.0)
        wid = snap.word_id.get(word)
        if wid is not None:
            slots = snap.postings[wid][0]
            live = slots[snap.alive[slots]]
            if len(live) >= max(3, snap.live // 100):
                step = max(1, len(live) // LABEL_SAMPLE)
                sample = live[::step][:LABEL_SAMPLE].tolist()
                titles = [words_of(snap.titles[s]) for s in sample]
                found = (sum(t[:1] == [word] for t in titles) / len(titles),
                         sum(word in t for t in titles) / len(titles))
        cache[word] = found  # type: ignore[index]
    return found  # type: ignore[return-value]


def label_word(snap: Snapshot, word: str) -> bool:
    """Whether ``word`` mostly opens titles: a label of the kind of offer, not its subject."""
    return title_shares(snap, word)[0] >= LABEL_SHARE


def role_of(snap: Snapshot, group: Group) -> Role:
    if group.strict:
        return "strict"
    words = group.text.split()
    places = place_words(snap)
    if words and all(w in places and title_shares(snap, w)[1] < PLACE_IN_TITLES for w in words):
        return "place"
    if group.generic or (len(words) == 1 and label_word(snap, words[0])):
        return "generic"
    return "core"


@dataclass(frozen=True, slots=True)
class Combined:
    """Matching slots, their scores, and whether each matched every core group."""

    slots: np.ndarray
    scores: np.ndarray
    complete: np.ndarray


def _idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def combine(snap: Snapshot, roles: Sequence[Role], scores: Sequence[np.ndarray | None],
            allowed: np.ndarray) -> Combined:
    """Apply the rule above to per-group dense scores (None: the group matches nothing).

    ``allowed`` is the mask of live courses matching every strict group and no exclusion.
    Who is found is decided over the whole catalogue (a few boolean passes); the scores are
    then gathered for the courses found only.
    """
    hits = [None if s is None else (s > 0) & allowed for s in scores]
    dfs = [0 if h is None else int(np.count_nonzero(h)) for h in hits]
    roles = list(roles)
    if not any(r == "core" and df for r, df in zip(roles, dfs)):
        roles = ["core" if r in ("place", "generic") else r for r in roles]
    n = max(snap.live, 1)
    weights = {i: _idf(df, n) for i, (r, df) in enumerate(zip(roles, dfs)) if r == "core"}
    core = [i for i in weights if dfs[i]]
    if not core:  # only what the user marked strictly matched: that stands, as partial
        if "strict" not in roles or not allowed.any():
            return _empty()
        found = allowed
    elif len(core) == 1:
        found = hits[core[0]]
    else:
        found = _who(snap, [hits[i] for i in core],  # type: ignore[misc]
                     [dfs[i] > max(COMMON_SHARE * n, COMMON_MIN) for i in core], len(weights))
    slots = np.flatnonzero(found)
    total = np.zeros(len(slots), np.float32)
    met = np.zeros(len(slots), np.float32)  # core idf met
    count = np.zeros(len(slots), np.int16)
    boost = np.ones(len(slots), np.float32)
    places = sum(r == "place" and df > 0 for r, df in zip(roles, dfs))
    for i, (role, score, hit) in enumerate(zip(roles, scores, hits)):
        if score is None or not dfs[i]:
            continue
        if role == "core":
            on = hit[slots]  # type: ignore[index]
            total += score[slots]
            met += on * np.float32(weights[i])
            count += on
        elif role == "strict":
            total += score[slots]
        elif role == "generic":
            total += score[slots] * np.float32(GENERIC_SHARE)
        else:  # place
            boost += hit[slots] * np.float32(PLACE_BOOST / places)  # type: ignore[index]
    all_weight = np.float32(sum(weights.values()) or 1.0)
    coordination = (met / all_weight) ** np.float32(COORDINATION) if core else np.float32(1)
    final = total * coordination * boost
    return Combined(slots, final.astype(np.float32), count == len(weights))


def _who(snap: Snapshot, core: list[np.ndarray], common: list[bool], k: int) -> np.ndarray:
    """Courses meeting the minimum of ``k`` core groups, carried by a rare or a second word."""
    counts = np.add.reduce([m.view(np.int8) for m in core])
    rare = [m for m, c in zip(core, common) if not c]
    carried = None
    if len(rare) < len(core):  # a common word cannot carry a course alone
        carried = counts >= 2
        if rare:
            carried |= np.logical_or.reduce(rare)
    for need in range(min(required(k), len(core)), 0, -1):
        ok = counts >= need
        if carried is not None:
            ok &= carried
        if ok.any():
            return ok
    return counts >= 1  # nothing is carried so: the common words alone, rather than nothing


def _empty() -> Combined:
    return Combined(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, bool))
