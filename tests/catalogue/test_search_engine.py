"""The index's deltas give what a full build of the same catalogue gives.

``Snapshot.apply`` shifts title ranks and derives start months for the new slots only;
searching reads them through live slots, so for every live course a snapshot grown by
deltas must agree with one built from scratch.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.search.snapshot import IndexedCourse, IndexedOffering, Snapshot, build_snapshot

TODAY = date(2026, 11, 22)
TITLES = ["Wondzorg", "Leiderschap", "Data science", "Filosofie", "Zorg", "Beheer", "Ethiek"]


def _course(i: int, version: int, title: str) -> IndexedCourse:
    return IndexedCourse(
        id=uuid.UUID(int=i + 1), seq=version, institution="ucll", withdrawn=False,
        type="short_course", microcredential=False, ects=3.0, eqf_level=6, languages=["nl"],
        mode="online", isced_codes=["0913"], title=title, sort_title=title, subject="",
        body="", place="UCLL")


def _offerings(i: int, starts: list[int]) -> list[IndexedOffering]:
    return [IndexedOffering(course_id=uuid.UUID(int=i + 1),
                            start_date=TODAY + timedelta(days=d), city="Leuven",
                            price_eur=100.0, cancelled=False) for d in starts]


change = st.tuples(st.integers(0, 11), st.sampled_from(TITLES),
                   st.lists(st.integers(-60, 400), max_size=3))


def _by_course(snap: Snapshot) -> dict[int, tuple[object, ...]]:
    """What a search reads of each live course: next start, start months, title order."""
    out = {}
    for course_id, slot in snap.slot_of.items():
        months = sorted(snap.months[v] for v in snap.month_value[snap.month_slot == slot])
        out[course_id] = (float(snap.next_start[slot]), months)
    live = sorted(snap.slot_of.items(), key=lambda kv: (snap.title_rank[kv[1]], kv[0]))
    order = [snap.sort_titles[slot] for _, slot in live]
    return {**out, -1: tuple(order)}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(change, min_size=1, max_size=4), min_size=1, max_size=5))
def test_deltas_agree_with_a_full_build(batches: list[list[tuple[int, str, list[int]]]]) -> None:
    current: dict[int, tuple[IndexedCourse, list[IndexedOffering]]] = {}
    snap: Snapshot | None = None
    for version, batch in enumerate(batches, start=1):
        changed = {i: (_course(i, version, f"{title} {i % 3}"), _offerings(i, starts))
                   for i, title, starts in batch}  # one version of a course per delta
        current.update(changed)
        courses = [c for c, _ in changed.values()]
        offerings = [o for _, os in changed.values() for o in os]
        snap = (build_snapshot(version, courses, offerings, TODAY) if snap is None
                else snap.apply(version, courses, offerings, TODAY))
        full = build_snapshot(version, [c for c, _ in current.values()],
                              [o for _, os in current.values() for o in os], TODAY)
        assert _by_course(snap) == _by_course(full)
        assert np.all(np.diff([snap.title_rank[s] for s in sorted(
            snap.slot_of.values(), key=lambda s: snap.sort_titles[s])]) >= 0)
