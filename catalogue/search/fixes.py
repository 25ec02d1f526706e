"""When words do not match as typed: typo corrections, "did you mean", and the retry.

``corrections`` asks pg_trgm (the ``search_term`` table of the catalogue's vocabulary) for
the words neither the index nor the glossary knows; ``did_you_mean`` offers the corrected
query only when it finds more; ``apart`` names what to retry word by word when a glossary
phrase or a compound met nothing as a whole (soft matching, #15).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catalogue.search.expand import expand_terms
from catalogue.search.glossary import Glossary
from catalogue.search.match import match_text
from catalogue.search.snapshot import Snapshot
from catalogue.search.store import similar_terms
from catalogue.search.text import ParsedQuery, parse_query, split_compound

__all__ = ["apart", "corrections", "did_you_mean"]


def apart(dead: tuple[str, ...], vocabulary: frozenset[str]
           ) -> tuple[frozenset[tuple[str, ...]], frozenset[str]]:
    """What met nothing as a whole, to retry word by word: glossary phrases not merged
    ("animal assisted therapy"), compounds the catalogue lacks matched by some of their
    parts ("zorgmanagement": zorg, management), each still one word of the query."""
    return (frozenset(tuple(t.split()) for t in dead if " " in t),
            frozenset(t for t in dead if " " not in t and split_compound(t, vocabulary)))


def did_you_mean(glossary: Glossary, snap: Snapshot, parsed: ParsedQuery,
                 corrections: dict[str, tuple[str, ...]],
                 masks: dict[str, np.ndarray]) -> str | None:
    """The query with its corrected words, offered only when it finds more courses (with
    the same filters) than the words as typed do without the corrector's help: a
    suggestion must never lead to fewer results, as "opleiding wondzorg" for "opleiding
    wonzorg" did when every word was required."""
    words = parsed.words()
    if not any(w in corrections for w in words):
        return None
    fixed = " ".join(corrections[w][0] if w in corrections else w for w in words)

    def found(query: ParsedQuery) -> int:
        expansion = expand_terms(query, glossary, snap.compound_vocabulary)
        slots = match_text(snap, expansion).slots
        if slots is None:  # no text to match: every live course passing the filters
            return int(np.logical_and.reduce([snap.alive, *masks.values()]).sum())
        # counted over the courses matched only, not over dense masks of the whole catalogue
        keep = snap.alive[slots]
        for mask in masks.values():
            keep &= mask[slots]
        return int(np.count_nonzero(keep))

    return fixed if found(parse_query(fixed + " ")) > found(parsed) else None


async def corrections(db: Any, glossary: Glossary, cache: dict[str, tuple[str, ...]],
                      snap: Snapshot, parsed: ParsedQuery) -> dict[str, tuple[str, ...]]:
    """pg_trgm corrections of the words neither the index nor the glossary knows, kept in
    ``cache`` (the index's, emptied when the index is rebuilt)."""
    unknown = []
    for group in parsed.groups:
        for term in group:
            for i, word in enumerate(term.words):
                prefix = term.prefix and i == len(term.words) - 1
                if _is_unknown(snap, glossary, word, prefix):
                    unknown.append(word)
    if not unknown:
        return {}
    missing = [w for w in dict.fromkeys(unknown) if w not in cache]
    if missing:
        found: dict[str, list[str]] = {w: [] for w in missing}
        for word, term in await similar_terms(db, missing):
            if snap.has_word(term) and len(found[word]) < 2:
                found[word].append(term)
        if len(cache) > 50_000:
            cache.clear()
        cache.update({w: tuple(v) for w, v in found.items()})
    return {w: cache[w] for w in unknown if cache.get(w)}


def _is_unknown(snap: Snapshot, glossary: Glossary, word: str, prefix: bool) -> bool:
    if len(word) < 4 or not word.isalpha() or snap.has_word(word) or snap.stem_equivalents(word):
        return False
    if prefix and snap.words_with_prefix(word, 1):
        return False
    if word in glossary.words or glossary.lookup((word,)):
        return False
    return not split_compound(word, snap.compound_vocabulary)
