"""What bounds a search's work at a big catalogue, checked on a small one (no timings here:
``bench/search_profile.py`` measures them).

A phrase (a hyphenated city such as "Sint-Katelijne-Waver", a glossary phrase) is checked
for adjacency course by course, the costliest step of a search; its outcome is kept per
snapshot however many other words are asked in between, and reading the short fields
first gives the same answer as reading them all.
"""

from __future__ import annotations

import uuid
from datetime import date

from catalogue.search.expand import expand_terms
from catalogue.search.glossary import load_glossary
from catalogue.search.match import CACHES, match_text
from catalogue.search.snapshot import IndexedCourse, IndexedOffering, Snapshot, build_snapshot
from catalogue.search.text import parse_query

TODAY = date(2026, 12, 7)
GLOSSARY = load_glossary()


def _course(i: int, title: str, body: str = "", city: str = "Leuven") -> tuple[IndexedCourse, IndexedOffering]:
    course_id = uuid.UUID(int=i + 1)
    course = IndexedCourse(
        id=course_id, seq=1, institution="thomasmore", withdrawn=False, type="short_course",
        microcredential=False, ects=3.0, eqf_level=6, languages=["nl"], mode="presential",
        isced_codes=["0913"], title=title, sort_title=title, subject="", body=body,
        place="Thomas More")
    return course, IndexedOffering(course_id, TODAY, city, 100.0, False)


def _snapshot(rows: list[tuple[IndexedCourse, IndexedOffering]]) -> Snapshot:
    return build_snapshot(1, [c for c, _ in rows], [o for _, o in rows], TODAY)


def _found(snap: Snapshot, q: str) -> set[str]:
    expansion = expand_terms(parse_query(q), GLOSSARY, snap.compound_vocabulary)
    matched = match_text(snap, expansion)
    slots = range(snap.size) if matched.slots is None else matched.slots.tolist()
    return {snap.titles[s] for s in slots}


def test_a_phrase_is_found_adjacent_in_any_field_and_only_adjacent() -> None:
    snap = _snapshot([
        _course(0, "Wondzorg", city="Sint-Katelijne-Waver"),
        _course(1, "Ethiek", body="Een dag in Sint-Katelijne-Waver, met wondzorg."),
        _course(2, "Zorg", body="Sint-Niklaas en Katelijne; Waver is elders."),
        _course(3, "Sint-Katelijne-Waver vandaag"),
    ])
    assert _found(snap, '"sint katelijne waver"') == {
        "Wondzorg", "Ethiek", "Sint-Katelijne-Waver vandaag"}


def test_a_phrase_checked_once_stays_kept_while_many_words_are_asked() -> None:
    words = [f"onderwerp{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(CACHES["word"] + 20)]
    snap = _snapshot([_course(0, "Wondzorg", city="Sint-Katelijne-Waver"),
                      *(_course(i + 1, w) for i, w in enumerate(words))])
    assert _found(snap, '"sint katelijne waver"') == {"Wondzorg"}
    for word in words:  # more single words than the dense word cache keeps
        assert word in _found(snap, f"{word} ")
    kept = snap.cache["phrase"]
    assert any(key[1] == ("sint", "katelijne", "waver") for key in kept)  # type: ignore[attr-defined]
