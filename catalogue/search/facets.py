"""Filters and facets over a ``Snapshot``: boolean masks per filter, counts per facet.

Each filter is a boolean mask over course slots (kept in the snapshot's cache); a facet
counts the courses that pass every *other* filter, so choosing a value never hides the
alternatives to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from catalogue.search.match import cached as snapshot_cached
from catalogue.search.snapshot import ECTS_BUCKETS, NONE_DAY, PRICE_BUCKETS, Snapshot
from catalogue.search.text import fold
from catalogue.structs import COURSE_TYPES, INSTITUTIONS, MODES

__all__ = ["FACETS", "Filters", "facet_counts", "filter_masks"]

FACETS = ("institution", "language", "mode", "city", "type", "ects", "price", "start_month")


@dataclass(frozen=True, slots=True)
class Filters:
    institution: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    mode: tuple[str, ...] = ()
    city: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    microcredential: bool | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    eqf: tuple[int, ...] = ()
    isced: tuple[str, ...] = ()  # a code matches itself and its narrower codes
    price_max: float | None = None
    starts_after: date | None = None
    starts_before: date | None = None



def _pairs_mask(size: int, slots: np.ndarray, values: np.ndarray, wanted: list[int]) -> np.ndarray:
    mask = np.zeros(size, bool)
    if wanted:
        mask[slots[np.isin(values, wanted)]] = True
    return mask


def filter_masks(snap: Snapshot, f: Filters) -> dict[str, np.ndarray]:
    """One mask per active filter, keyed by the facet it narrows (or its own name)."""
    def cached(key: object, make: Callable[[], np.ndarray]) -> np.ndarray:
        return snapshot_cached(snap, ("filter", key), make)  # type: ignore[no-any-return]

    size, out = snap.size, {}
    if f.institution:
        codes = [INSTITUTIONS.index(s) for s in f.institution if s in INSTITUTIONS]
        out["institution"] = cached(("i", f.institution), lambda: np.isin(snap.institution, codes))
    if f.type:
        codes = [COURSE_TYPES.index(s) for s in f.type if s in COURSE_TYPES]
        out["type"] = cached(("t", f.type), lambda: np.isin(snap.type, codes))
    if f.mode:
        codes = [MODES.index(s) for s in f.mode if s in MODES]
        out["mode"] = cached(("m", f.mode), lambda: np.isin(snap.mode, codes))
    if f.language:
        ids = [snap.languages.ids[k] for k in map(fold, f.language) if k in snap.languages.ids]
        out["language"] = cached(("l", f.language), lambda: _pairs_mask(size, snap.lang_slot, snap.lang_value, ids))
    if f.city:
        ids = [snap.cities.ids[k] for k in map(fold, f.city) if k in snap.cities.ids]
        out["city"] = cached(("c", f.city), lambda: _pairs_mask(size, snap.city_slot, snap.city_value, ids))
    if f.isced:
        ids = [i for code, i in snap.isced.ids.items() if code.startswith(f.isced)]
        out["isced"] = cached(("s", f.isced), lambda: _pairs_mask(size, snap.isced_slot, snap.isced_value, ids))
    if f.microcredential is not None:
        out["microcredential"] = snap.microcredential == f.microcredential
    if f.eqf:
        out["eqf"] = np.isin(snap.eqf, list(f.eqf))
    if f.ects_min is not None or f.ects_max is not None:
        low = -np.inf if f.ects_min is None else f.ects_min
        high = np.inf if f.ects_max is None else f.ects_max
        out["ects"] = (snap.ects >= low) & (snap.ects <= high)
    if f.price_max is not None:
        out["price"] = snap.price <= f.price_max
    if f.starts_after is not None or f.starts_before is not None:
        low = f.starts_after.toordinal() if f.starts_after else 0
        high = f.starts_before.toordinal() if f.starts_before else NONE_DAY - 1
        out["start_month"] = cached(("d", low, high), lambda: _window(snap, low, high))
    return out


def _window(snap: Snapshot, low: int, high: int) -> np.ndarray:
    hit = snap.off_live & (snap.off_start >= low) & (snap.off_start <= high)
    mask = np.zeros(snap.size, bool)
    mask[snap.off_slot[hit]] = True
    return mask


def facet_counts(snap: Snapshot, base: np.ndarray, masks: dict[str, np.ndarray],
                 everything: np.ndarray | None = None) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value over ``base`` with every filter applied except the facet's own.

    Each distinct combination of masks becomes a list of slots once; multi-valued facets
    (languages, cities, start months) read their values through per-slot offsets, so the
    work follows the number of hits rather than the size of the catalogue. ``everything``:
    the slots that pass ``base`` and every filter, when the caller has them.
    """
    if everything is None:
        everything = np.flatnonzero(np.logical_and.reduce([base, *masks.values()]))
    out = {}
    for name in FACETS:
        if name in masks:
            others = [m for k, m in masks.items() if k != name]
            slots = np.flatnonzero(np.logical_and.reduce([base, *others]) if others else base)
        else:
            slots = everything
        out[name] = _facet(snap, name, slots)
    return out


def _counts(values: np.ndarray, size: int) -> np.ndarray:
    """Counts of codes 0..size-1 in ``values``; -1 (unknown) is not counted."""
    return np.bincount(values.astype(np.intp) + 1, minlength=size + 1)[1:]


def _facet(snap: Snapshot, name: str, slots: np.ndarray) -> list[tuple[str, int]]:
    if name == "institution":
        return _ranked(INSTITUTIONS, _counts(snap.institution[slots], len(INSTITUTIONS)))
    if name == "type":
        return _ranked(COURSE_TYPES, _counts(snap.type[slots], len(COURSE_TYPES)))
    if name == "mode":
        return _ranked(MODES, _counts(snap.mode[slots], len(MODES)))
    if name == "language":
        values = _multi(snap, "language", snap.lang_slot, snap.lang_value, slots)
        return _ranked(snap.languages.display, _counts(values, len(snap.languages)))
    if name == "city":
        values = _multi(snap, "city", snap.city_slot, snap.city_value, slots)
        return _ranked(snap.cities.display, _counts(values, len(snap.cities)))
    if name == "start_month":
        values = _multi(snap, "month", snap.month_slot, snap.month_value, slots)
        counts = _counts(values, len(snap.months))
        labels = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in snap.months]
        return [(label, int(c)) for label, c in zip(labels, counts.tolist()) if c]
    buckets, values = (ECTS_BUCKETS, snap.ects_bucket) if name == "ects" else (PRICE_BUCKETS, snap.price_bucket)
    counts = _counts(values[slots], len(buckets))
    return [(b[0], int(c)) for b, c in zip(buckets, counts.tolist()) if c]


def _multi(snap: Snapshot, name: str, pair_slots: np.ndarray, pair_values: np.ndarray,
           slots: np.ndarray) -> np.ndarray:
    """The values of ``slots`` in a (slot, value) pair list sorted by slot."""
    if len(slots) * 4 > snap.size:  # most of the catalogue: a mask is cheaper
        mask = np.zeros(snap.size, bool)
        mask[slots] = True
        return pair_values[mask[pair_slots]]
    ptr = snap.derived.get(("ptr", name))
    if ptr is None:
        ptr = snap.derived[("ptr", name)] = np.searchsorted(pair_slots, np.arange(snap.size + 1))
    starts = ptr[slots]
    lengths = ptr[slots + 1] - starts
    total = int(lengths.sum())
    if not total:
        return pair_values[:0]
    begins = np.cumsum(lengths) - lengths
    return pair_values[np.repeat(starts - begins, lengths) + np.arange(total)]


def _ranked(labels: list[str] | tuple[str, ...], counts: np.ndarray) -> list[tuple[str, int]]:
    pairs = [(label, int(c)) for label, c in zip(labels, counts.tolist()) if c]
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return pairs
