"""The in-process search index: columnar arrays per course slot and an inverted index.

A ``Snapshot`` is immutable once built; ``apply`` returns a new one with a batch of changed
courses (their old slots marked dead, live versions appended), so requests in flight keep
reading the snapshot they started with. Every course occupies one slot; filters are boolean
masks over slots, facets are ``bincount``s, ranking is a field-weighted BM25 sum over the
postings of the query's words (see ``catalogue.search.match``).

Nothing here touches the database: ``catalogue.search.index`` loads the rows (through
``catalogue.search.store``) and decides when to apply a delta or rebuild.

The module is longer than most (~480 lines) on purpose: the columnar layout, the full
build and the delta (``_Apply``) write the same private arrays and must change together.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

import numpy as np

from catalogue.search.text import fold
from catalogue.search.tokens import field_tokens, fold_fast, stems, title_vocabulary
from catalogue.structs import COURSE_TYPES, INSTITUTIONS, MODES

__all__ = [
    "ECTS_BUCKETS",
    "PRICE_BUCKETS",
    "IndexedCourse",
    "IndexedOffering",
    "Snapshot",
    "Values",
    "build_snapshot",
]

NONE_DAY = np.iinfo(np.int32).max
# (label, low exclusive, high inclusive); a course falls in the first bucket that holds it
ECTS_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("0-3", -1.0, 3.0), ("3-6", 3.0, 6.0), ("6-15", 6.0, 15.0), ("15-30", 15.0, 30.0),
    ("30-60", 30.0, 60.0), ("60+", 60.0, float("inf")),
)
PRICE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("0", -1.0, 0.0), ("1-250", 0.0, 250.0), ("250-500", 250.0, 500.0),
    ("500-1000", 500.0, 1000.0), ("1000-2500", 1000.0, 2500.0), ("2500+", 2500.0, float("inf")),
)


class IndexedCourse(NamedTuple):
    """What the index needs of a course; the text fields are plain strings."""

    id: uuid.UUID
    seq: int  # the change stamp of this version
    institution: str
    withdrawn: bool
    type: str
    microcredential: bool
    ects: float | None
    eqf_level: int | None
    languages: Sequence[str]
    mode: str | None
    isced_codes: Sequence[str]
    title: str  # every language's title, one a line
    sort_title: str
    subject: str
    body: str
    place: str  # the institution's names
    keywords: Sequence[str] = ()


class IndexedOffering(NamedTuple):
    course_id: uuid.UUID
    start_date: date | None
    city: str | None
    price_eur: float | None
    cancelled: bool


class Values:
    """A growing table of distinct values of one dimension: folded key → id, display text."""

    def __init__(self, fixed: Sequence[str] = ()) -> None:
        self.display: list[str] = list(fixed)
        self.ids: dict[str, int] = {fold(v): i for i, v in enumerate(fixed)}

    def id(self, value: str) -> int:
        key = fold(value)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.display)
            self.display.append(value)
        return found

    def copy(self) -> Values:
        out = Values()
        out.display, out.ids = list(self.display), dict(self.ids)
        return out

    def __len__(self) -> int:
        return len(self.display)


def _empty(dtype: type | str) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D array of Python objects (tuples stay elements).

    The snapshot keeps its per-course strings and ids in object arrays rather than lists:
    numpy arrays are invisible to the cyclic collector, while a full collection walking
    lists of 100,000 strings scattered over the heap pauses every request for ~70 ms.
    """
    return np.fromiter(values, dtype=object, count=len(values))


def _grow(old: np.ndarray, values: Sequence[Any]) -> np.ndarray:
    return np.concatenate([old, _objects(values)]) if len(values) else old


@dataclass(eq=False)
class Snapshot:
    """One consistent view of the catalogue at change stamp ``stamp``."""

    stamp: int = 0
    compound_vocabulary: frozenset[str] = frozenset()
    # Course ids as the integers of their UUIDs: ints are invisible to the cyclic collector,
    # 100,000 UUID objects are not (a full collection would walk them all).
    ids: np.ndarray = field(default_factory=lambda: _empty(object))
    slot_of: dict[int, int] = field(default_factory=dict)
    alive: np.ndarray = field(default_factory=lambda: _empty(bool))
    tiebreak: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    seq: np.ndarray = field(default_factory=lambda: _empty(np.int64))
    titles: np.ndarray = field(default_factory=lambda: _empty(object))  # str: as published, one language a line
    keywords: np.ndarray = field(default_factory=lambda: _empty(object))  # tuple[str, ...]
    institution_names: dict[str, str] = field(default_factory=dict)  # slug: names, one a line
    institution: np.ndarray = field(default_factory=lambda: _empty(np.int16))
    type: np.ndarray = field(default_factory=lambda: _empty(np.int16))
    mode: np.ndarray = field(default_factory=lambda: _empty(np.int16))  # -1: unknown
    microcredential: np.ndarray = field(default_factory=lambda: _empty(bool))
    ects: np.ndarray = field(default_factory=lambda: _empty(np.float32))  # nan: unknown
    eqf: np.ndarray = field(default_factory=lambda: _empty(np.int16))  # 0: unknown
    price: np.ndarray = field(default_factory=lambda: _empty(np.float32))  # lowest; inf: unknown
    sort_titles: np.ndarray = field(default_factory=lambda: _empty(object))  # str
    titles_sorted: np.ndarray = field(default_factory=lambda: _empty(object))  # distinct, in order
    title_rank: np.ndarray = field(default_factory=lambda: _empty(np.float64))
    phrases: np.ndarray = field(default_factory=lambda: _empty(object))  # tuple[str, ...]
    languages: Values = field(default_factory=Values)
    lang_slot: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    lang_value: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    isced: Values = field(default_factory=Values)
    isced_slot: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    isced_value: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    cities: Values = field(default_factory=Values)
    off_slot: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    off_start: np.ndarray = field(default_factory=lambda: _empty(np.int32))  # NONE_DAY: unknown
    off_city: np.ndarray = field(default_factory=lambda: _empty(np.int32))  # -1: none
    off_live: np.ndarray = field(default_factory=lambda: _empty(bool))  # not cancelled
    city_slot: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    city_value: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    words: list[str] = field(default_factory=list)
    word_id: dict[str, int] = field(default_factory=dict)
    postings: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    stem_words: dict[str, tuple[int, ...]] = field(default_factory=dict)
    sorted_words: list[str] = field(default_factory=list)
    ects_bucket: np.ndarray = field(default_factory=lambda: _empty(np.int16))
    price_bucket: np.ndarray = field(default_factory=lambda: _empty(np.int16))
    # derived for ``day`` (an ordinal): the next upcoming start and upcoming start months
    day: int = 0
    next_start: np.ndarray = field(default_factory=lambda: _empty(np.float64))
    months: list[int] = field(default_factory=list)  # month number (year * 12 + month - 1)
    month_slot: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    month_value: np.ndarray = field(default_factory=lambda: _empty(np.int32))
    cache: dict[object, object] = field(default_factory=dict)  # query results of this snapshot
    derived: dict[object, object] = field(default_factory=dict)  # lazily built: suggest, offsets

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def live(self) -> int:
        return len(self.slot_of)

    @property
    def dead(self) -> int:
        return self.size - self.live

    def apply(
        self, stamp: int, courses: Sequence[IndexedCourse], offerings: Sequence[IndexedOffering],
        today: date,
    ) -> Snapshot:
        """A new snapshot with these courses replaced (withdrawn ones removed)."""
        return _Apply(self, courses, offerings).run(stamp, today)

    def for_day(self, today: date) -> Snapshot:
        """This snapshot with 'next start' and start months computed for ``today``."""
        if self.day == today.toordinal():
            return self
        return _derive_day(replace(self, cache={}, derived={}), today.toordinal())

    def checksum(self) -> tuple[int, int]:
        """(live courses, sum of their stamps): what ``course`` must say for this to be current."""
        return self.live, int(self.seq[self.alive].sum())

    def has_word(self, word: str) -> bool:
        return word in self.word_id

    def words_with_prefix(self, prefix: str, limit: int) -> list[int]:
        """Ids of up to ``limit`` indexed words starting with ``prefix``, most frequent first."""
        start = bisect_left(self.sorted_words, prefix)
        found = []
        for word in self.sorted_words[start:start + 2000]:
            if not word.startswith(prefix):
                break
            found.append(self.word_id[word])
        if len(found) > limit:
            found.sort(key=lambda w: -len(self.postings[w][0]))
            found = found[:limit]
        return found

    def stem_equivalents(self, word: str) -> set[int]:
        nl, en = stems(word)
        return {*self.stem_words.get("nl:" + nl, ()), *self.stem_words.get("en:" + en, ())}


def build_snapshot(
    stamp: int, courses: Sequence[IndexedCourse], offerings: Sequence[IndexedOffering],
    today: date, glossary_vocabulary: Collection[str] = frozenset(),
) -> Snapshot:
    """A full index; compound parts are split with the titles' words and the glossary's."""
    titles = [c.title for c in courses if not c.withdrawn]
    vocabulary = frozenset(title_vocabulary(titles)) | frozenset(glossary_vocabulary)
    return Snapshot(compound_vocabulary=vocabulary).apply(stamp, courses, offerings, today)


class _Apply:
    def __init__(self, base: Snapshot, courses: Sequence[IndexedCourse],
                 offerings: Sequence[IndexedOffering]) -> None:
        self.base = base
        latest = {c.id: c for c in courses}  # the last version of a course in the batch wins
        self.courses = list(latest.values())
        self.offerings: dict[uuid.UUID, list[IndexedOffering]] = defaultdict(list)
        for o in offerings:
            self.offerings[o.course_id].append(o)

    def run(self, stamp: int, today: date) -> Snapshot:
        base = self.base
        alive = base.alive.copy()
        slot_of = dict(base.slot_of)
        for c in self.courses:
            old = slot_of.pop(c.id.int, None)
            if old is not None:
                alive[old] = False
        new = [c for c in self.courses if not c.withdrawn]
        first = base.size
        for k, c in enumerate(new):
            slot_of[c.id.int] = first + k
        snap = replace(
            base, stamp=stamp, slot_of=slot_of, ids=_grow(base.ids, [c.id.int for c in new]),
            alive=np.concatenate([alive, np.ones(len(new), bool)]), cache={}, derived={},
            languages=base.languages.copy(), isced=base.isced.copy(), cities=base.cities.copy(),
            words=list(base.words), word_id=dict(base.word_id), postings=dict(base.postings),
        )
        self._columns(snap, new, first)
        self._offerings(snap, new, first)
        self._postings(snap, new, first)
        day = today.toordinal()
        if base.day == day and base.size:
            return _derive_more(snap, base, day)
        snap.day = 0
        return _derive_day(snap, day)

    def _columns(self, snap: Snapshot, new: list[IndexedCourse], first: int) -> None:
        institution_ids = {s: i for i, s in enumerate(INSTITUTIONS)}
        type_ids = {s: i for i, s in enumerate(COURSE_TYPES)}
        mode_ids = {s: i for i, s in enumerate(MODES)}

        def grow(old: np.ndarray, values: list[object], dtype: object) -> np.ndarray:
            return np.concatenate([old, np.array(values, dtype=dtype)])

        snap.tiebreak = grow(snap.tiebreak, [c.id.int >> 65 for c in new], np.int64)
        snap.seq = grow(snap.seq, [c.seq for c in new], np.int64)
        snap.titles = _grow(snap.titles, [c.title for c in new])
        snap.keywords = _grow(snap.keywords, [tuple(c.keywords) for c in new])
        snap.institution_names = {**snap.institution_names, **{c.institution: c.place for c in new}}
        snap.institution = grow(snap.institution, [institution_ids.get(c.institution, -1) for c in new], np.int16)
        snap.type = grow(snap.type, [type_ids.get(c.type, -1) for c in new], np.int16)
        snap.mode = grow(snap.mode, [mode_ids.get(c.mode or "", -1) for c in new], np.int16)
        snap.microcredential = grow(snap.microcredential, [c.microcredential for c in new], bool)
        ects = [np.nan if c.ects is None else c.ects for c in new]
        snap.ects = grow(snap.ects, ects, np.float32)
        snap.eqf = grow(snap.eqf, [c.eqf_level or 0 for c in new], np.int16)
        titles = [fold_fast(c.sort_title) for c in new]
        snap.sort_titles = _grow(snap.sort_titles, titles)
        snap.titles_sorted, snap.title_rank = _rank_titles(snap.titles_sorted, snap.title_rank,
                                                           titles, snap.sort_titles)
        snap.ects_bucket = _buckets(snap.ects, ECTS_BUCKETS)
        lang = [(first + k, snap.languages.id(v)) for k, c in enumerate(new) for v in set(c.languages)]
        snap.lang_slot, snap.lang_value = _grow_pairs(snap.lang_slot, snap.lang_value, lang)
        isced = [(first + k, snap.isced.id(v)) for k, c in enumerate(new) for v in set(c.isced_codes)]
        snap.isced_slot, snap.isced_value = _grow_pairs(snap.isced_slot, snap.isced_value, isced)

    def _offerings(self, snap: Snapshot, new: list[IndexedCourse], first: int) -> None:
        slots, starts, cities, live, prices, pairs = [], [], [], [], [], set()
        for k, c in enumerate(new):
            lowest = np.inf
            for o in self.offerings.get(c.id, ()):
                city = snap.cities.id(o.city) if o.city else -1
                slots.append(first + k)
                starts.append(o.start_date.toordinal() if o.start_date else NONE_DAY)
                cities.append(city)
                live.append(not o.cancelled)
                if city >= 0:
                    pairs.add((first + k, city))
                if o.price_eur is not None and not o.cancelled:
                    lowest = min(lowest, o.price_eur)
            prices.append(lowest)
        snap.off_slot = np.concatenate([snap.off_slot, np.array(slots, np.int32)])
        snap.off_start = np.concatenate([snap.off_start, np.array(starts, np.int32)])
        snap.off_city = np.concatenate([snap.off_city, np.array(cities, np.int32)])
        snap.off_live = np.concatenate([snap.off_live, np.array(live, bool)])
        snap.price = np.concatenate([snap.price, np.array(prices, np.float32)])
        snap.price_bucket = _buckets(snap.price, PRICE_BUCKETS)
        snap.city_slot, snap.city_value = _grow_pairs(snap.city_slot, snap.city_value, sorted(pairs))

    def _postings(self, snap: Snapshot, new: list[IndexedCourse], first: int) -> None:
        """Tokenise each distinct field value once, then group (word, slot) in numpy."""
        vocabulary = snap.compound_vocabulary
        memo: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, str]] = {}
        piece_words, piece_weights, lengths = [], [], []
        phrases = []
        for k, c in enumerate(new):
            cities = " ".join(dict.fromkeys(o.city for o in self.offerings.get(c.id, ()) if o.city))
            texts = (("title", c.title), ("subject", c.subject), ("body", c.body),
                     ("place", f"{c.place} {cities}"))
            own = []
            for name, text in texts:
                got = memo.get((name, text))
                if got is None:
                    words, weights, phrase = field_tokens(name, text, vocabulary)
                    ids = [snap.word_id.setdefault(w, len(snap.word_id)) for w in words]
                    got = memo[(name, text)] = (np.array(ids, np.int32),
                                                np.array(weights, np.float32), phrase)
                piece_words.append(got[0])
                piece_weights.append(got[1])
                lengths.append(len(got[0]))
                own.append(got[2])
            phrases.append(tuple(own))
        snap.phrases = _grow(snap.phrases, phrases)
        snap.words = list(snap.word_id)  # ids are handed out in insertion order
        if not lengths:
            snap.sorted_words, snap.stem_words = sorted(snap.word_id), _stem_index(snap.words)
            return
        words = np.concatenate(piece_words)
        weights = np.concatenate(piece_weights)
        slots = np.repeat(np.arange(first, first + len(new), dtype=np.int64),
                          np.add.reduceat(np.array(lengths), np.arange(0, len(lengths), 4)))
        key = words.astype(np.int64) * (first + len(new)) + slots
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        summed = np.add.reduceat(weights[order], starts).astype(np.float32)
        u_word = words[order][starts]
        u_slot = slots[order][starts].astype(np.int32)
        bounds = np.flatnonzero(np.r_[True, u_word[1:] != u_word[:-1]])
        ends = np.r_[bounds[1:], len(u_word)]
        for lo, hi in zip(bounds.tolist(), ends.tolist()):
            wid = int(u_word[lo])
            old = snap.postings.get(wid)
            if old is None:
                snap.postings[wid] = (u_slot[lo:hi], summed[lo:hi])
            else:
                snap.postings[wid] = (np.concatenate([old[0], u_slot[lo:hi]]),
                                      np.concatenate([old[1], summed[lo:hi]]))
        snap.sorted_words = sorted(snap.word_id)
        snap.stem_words = _stem_index(snap.words)


def _rank_titles(ordered: np.ndarray, ranks: np.ndarray, titles: list[str],
                 every: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct sort titles in order, and each slot's rank among them, with ``titles``
    (the new slots') added: a few new titles shift the old ranks instead of re-sorting all."""
    added = sorted({t for t in titles if not _has(ordered, t)})
    if len(added) > 1000 or len(ranks) + len(titles) != len(every):
        distinct = sorted(set(every.tolist()))
        rank = {t: i for i, t in enumerate(distinct)}
        return _objects(distinct), np.array([rank[t] for t in every.tolist()], dtype=np.float64)
    if added:
        at = np.array([bisect_left(ordered, t) for t in added])
        ranks = ranks + np.searchsorted(at, ranks, side="right")
        ordered = np.insert(ordered, at, _objects(added))
    new = np.array([bisect_left(ordered, t) for t in titles], dtype=np.float64)
    return ordered, np.concatenate([ranks, new])


def _has(ordered: np.ndarray, title: str) -> bool:
    i = bisect_left(ordered, title)
    return i < len(ordered) and ordered[i] == title


def _stem_index(words: list[str]) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = defaultdict(list)
    for wid, word in enumerate(words):
        nl, en = stems(word)
        index["nl:" + nl].append(wid)
        index["en:" + en].append(wid)
    return {k: tuple(v) for k, v in index.items()}


def _grow_pairs(slots: np.ndarray, values: np.ndarray,
                pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return slots, values
    new = np.array(pairs, dtype=np.int32).reshape(-1, 2)
    return np.concatenate([slots, new[:, 0]]), np.concatenate([values, new[:, 1]])


def _buckets(values: np.ndarray, buckets: Sequence[tuple[str, float, float]]) -> np.ndarray:
    out = np.full(len(values), -1, dtype=np.int16)
    for i, (_, low, high) in reversed(list(enumerate(buckets))):
        out[(values > low) & (values <= high)] = i
    return out


def _month_numbers(starts: np.ndarray) -> np.ndarray:
    """year * 12 + month - 1 of each start ordinal."""
    if not len(starts):
        return np.zeros(0, np.int64)
    ordinals, inverse = np.unique(starts, return_inverse=True)
    month_of_day = np.array([d.year * 12 + d.month - 1 for d in map(date.fromordinal, ordinals.tolist())],
                            dtype=np.int64)
    return month_of_day[inverse]


def _derive_more(snap: Snapshot, base: Snapshot, day: int) -> Snapshot:
    """``_derive_day`` for ``snap``, which is ``base`` (derived for ``day``) with slots and
    offerings appended: only the new ones are computed. Slots that died keep their values,
    which no search reads (every mask includes ``alive``)."""
    n = len(base.off_slot)
    slot, start = snap.off_slot[n:], snap.off_start[n:]
    upcoming = snap.off_live[n:] & (start >= day) & (start != NONE_DAY)
    tail = np.full(snap.size - base.size, np.inf)
    np.minimum.at(tail, slot[upcoming] - base.size, start[upcoming].astype(np.float64))
    snap.next_start = np.concatenate([base.next_start, tail])
    month = _month_numbers(start[upcoming])
    months = sorted(set(base.months).union(month.tolist()))
    old_values = base.month_value
    if months != base.months:  # a new month: the old ids move up
        old_values = np.searchsorted(months, base.months).astype(np.int32)[old_values]
    width = max(len(months), 1)
    pairs = np.unique(slot[upcoming].astype(np.int64) * width + np.searchsorted(months, month))
    snap.months = months
    snap.month_slot = np.concatenate([base.month_slot, (pairs // width).astype(np.int32)])
    snap.month_value = np.concatenate([old_values, (pairs % width).astype(np.int32)])
    snap.day = day
    return snap


def _derive_day(snap: Snapshot, day: int) -> Snapshot:
    upcoming = snap.off_live & (snap.off_start >= day) & (snap.off_start != NONE_DAY)
    next_start = np.full(snap.size, np.inf)
    np.minimum.at(next_start, snap.off_slot[upcoming], snap.off_start[upcoming].astype(np.float64))
    snap.next_start = next_start
    month = _month_numbers(snap.off_start[upcoming])
    months, month_ids = np.unique(month, return_inverse=True)
    # distinct (slot, month) pairs in slot order, through one integer key (a 2-D unique sorts
    # rows lexicographically and costs ten times more)
    width = max(len(months), 1)
    pairs = np.unique(snap.off_slot[upcoming].astype(np.int64) * width + month_ids)
    snap.months = months.tolist()
    snap.month_slot = (pairs // width).astype(np.int32)
    snap.month_value = (pairs % width).astype(np.int32)
    snap.day = day
    return snap
