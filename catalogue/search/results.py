"""A search and an autocomplete, each in one request: the index brought up to date, the
query evaluated in memory, one page of documents read back.

``search_courses`` checks the query (``catalogue.search.query``), brings the index to the
stamp its session sees (``catalogue.search.index``), asks pg_trgm for corrections of words
neither the index nor the glossary knows (``fixes``), expands and matches the query in
memory (``expand``, ``match``, ``soft``), pages, and reads the documents of one page back
by id (``hits``): two or three statements. Whole results are kept per (stamp, day,
query). ``search_courses`` also serves page-numbered consumers (``SearchQuery.offset``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import Invalid
from catalogue.search.autocomplete import Suggestion, prefix_of, suggestions
from catalogue.search.expand import Expansion, expand_terms
from catalogue.search.facets import facet_counts, filter_masks
from catalogue.search.fixes import apart, did_you_mean
from catalogue.search.fixes import corrections as find_corrections
from catalogue.search.hits import hydrate
from catalogue.search.index import CachedResult, SearchIndex
from catalogue.search.match import (
    Sort,
    TextMatch,
    match_text,
    page,
    relevance,
    sort_keys,
)
from catalogue.search.query import (
    MAX_LIMIT,
    MAX_QUERY,
    FacetValue,
    PathwayHit,
    SearchQuery,
    SearchResult,
    check_query,
    decode_cursor,
    encode_cursor,
    filters_of,
)
from catalogue.search.snapshot import Snapshot
from catalogue.search.text import STOPWORDS, ParsedQuery, fold, parse_query, tokenize

__all__ = ["search_courses", "search_courses_json", "suggest"]


# --- search --------------------------------------------------------------------------------------


async def search_courses(
    session: AsyncSession, index: SearchIndex, query: SearchQuery, *, today: date | None = None,
    max_limit: int = MAX_LIMIT,
) -> SearchResult:
    """Search the live catalogue; raises ``Invalid`` for bad input (pointers ``query:<name>``).

    ``max_limit`` lets other read APIs allow bigger pages (OOAPI's ``pageSize`` goes to 250).
    """
    return (await _cached_search(session, index, query, today, max_limit)).result


async def search_courses_json(session: AsyncSession, index: SearchIndex, query: SearchQuery,
                              *, today: date | None = None) -> bytes:
    """``search_courses`` as the JSON document the API sends, encoded once per cached result."""
    return (await _cached_search(session, index, query, today, MAX_LIMIT)).json


async def _cached_search(session: AsyncSession, index: SearchIndex, query: SearchQuery,
                         today: date | None, max_limit: int) -> CachedResult:
    if errors := check_query(query, max_limit):
        raise Invalid(errors)
    today = today or date.today()
    async with index.reader(session) as db:
        snap = await index.current(session, db, today)
        key = (snap.stamp, snap.day, query)
        found = index.recall(key)
        if found is None:
            found = CachedResult(await _search(db, index, snap, query, today))
            index.remember(key, found)
        return found


async def _search(db: Any, index: SearchIndex, snap: Snapshot, query: SearchQuery,
                  today: date) -> SearchResult:
    parsed = parse_query(query.q or "")
    corrections, expansion, matched = await _match(db, index, snap, parsed)
    text_mask, text_score = matched.dense(snap.size)
    base = text_mask & snap.alive
    masks = filter_masks(snap, filters_of(query))
    has_text = bool(expansion.groups)
    sort = _sort_of(query, has_text)
    hits = _hits(snap, matched, base, masks)
    after = decode_cursor(query.cursor, sort, snap) if query.cursor else None
    slots, keys, more = page(hits, sort_keys(snap, sort, text_score, hits), snap.tiebreak,
                             after=after, skip=query.offset, limit=query.limit)
    facets = facet_counts(snap, base, masks, hits) if query.facets else {}
    scores = relevance(snap, text_score, slots) if has_text else np.zeros(len(slots))
    match, flags = _match_flags(matched, snap, slots, hits) if has_text else (None, None)
    items = await hydrate(db, snap, slots.tolist(), scores.tolist(), matched.words, today,
                          index.hits, flags)
    pathways = await _pathways(db, index, parsed, query) if has_text else []
    return SearchResult(
        items=items, total=len(hits), total_is_estimate=False,
        facets={k: [FacetValue(value=v, count=c) for v, c in vs] for k, vs in facets.items()},
        next_cursor=_next_cursor(snap, sort, slots, keys) if more else None,
        did_you_mean=did_you_mean(index.glossary, snap, parsed, corrections, masks) if corrections else None,
        pathways=pathways, match=match,  # type: ignore[arg-type]
    )


async def _match(db: Any, index: SearchIndex, snap: Snapshot, parsed: ParsedQuery
                 ) -> tuple[dict[str, tuple[str, ...]], Expansion, TextMatch]:
    """Corrections, the expansion and the text match; a glossary phrase or compound that met
    nothing as a whole is retried word by word (soft matching, #15)."""
    corrections = await find_corrections(db, index.glossary, index.corrections, snap, parsed)
    expansion = expand_terms(parsed, index.glossary, snap.compound_vocabulary, corrections=corrections)
    matched = match_text(snap, expansion)
    if matched.dead:
        apart_, loose = apart(matched.dead, snap.compound_vocabulary)
        if apart_ or loose:
            expansion = expand_terms(parsed, index.glossary, snap.compound_vocabulary,
                                     corrections=corrections, keep_apart=apart_, loose=loose)
            matched = match_text(snap, expansion)
    return corrections, expansion, matched


def _hits(snap: Snapshot, matched: TextMatch, base: np.ndarray,
          masks: dict[str, np.ndarray]) -> np.ndarray:
    """The slots that pass the text match and every filter, in slot order.

    A text match is sparse (a few thousand of 100,000 slots): the filters are read at its
    slots only, rather than combined as dense masks over the whole catalogue first.
    """
    if matched.slots is None:
        return np.flatnonzero(np.logical_and.reduce([base, *masks.values()]))
    slots = matched.slots
    keep = snap.alive[slots]
    for mask in masks.values():
        keep &= mask[slots]
    return slots[keep]


def _sort_of(query: SearchQuery, has_text: bool) -> Sort:
    sort: Sort = query.sort or ("relevance" if has_text else "start_date")  # type: ignore[assignment]
    return "start_date" if sort == "relevance" and not has_text else sort


def _match_flags(matched: TextMatch, snap: Snapshot, slots: np.ndarray, hits: np.ndarray
                 ) -> tuple[str, list[str | None]]:
    """The result's ``match`` (all, partial, none) and each hit's on the page."""
    partial = matched.partial(snap.size)
    flags: list[str | None] = ["all"] * len(slots) if partial is None else [
        "partial" if p else "all" for p in partial[slots].tolist()]
    match = "none" if not hits.size else (
        "all" if partial is None or not partial[hits].all() else "partial")
    return match, flags


def _next_cursor(snap: Snapshot, sort: Sort, slots: np.ndarray, keys: np.ndarray) -> str | None:
    if not len(slots):
        return None
    last = int(slots[-1])
    key: object = snap.sort_titles[last] if sort == "title" else float(keys[-1])
    return encode_cursor(sort, None if key == float("inf") else key, int(snap.tiebreak[last]))


async def _pathways(db: Any, index: SearchIndex, parsed: ParsedQuery, query: SearchQuery
                    ) -> list[PathwayHit]:
    """Pathways the query's words (with their translations) find, on the first page only."""
    if index.pathways is None or query.cursor or query.offset:
        return []
    words = [(w, *(" ".join(t) for t in index.glossary.translations((w,))))
             for w in dict.fromkeys(parsed.words()) if len(w) >= 3]
    return await index.pathways(db, words, query.institution) if words else []


# --- autocomplete --------------------------------------------------------------------------------


async def suggest(session: AsyncSession, index: SearchIndex, q: str, *, limit: int = 8,
                  today: date | None = None) -> list[Suggestion]:
    """Up to ``limit`` completions of course titles, keywords and institutions for ``q``."""
    if len(q) > MAX_QUERY:
        raise Invalid([("query:q", f"at most {MAX_QUERY} characters")])
    if not 1 <= limit <= 20:
        raise Invalid([("query:limit", "must be between 1 and 20")])
    prefix = prefix_of(q)
    if len(prefix.strip()) < 2:
        return []
    async with index.reader(session) as db:
        snap = await index.current(session, db, today or date.today())
    table = snap.derived.get("table")
    cache = snap.derived if table is not None else None
    if table is None:
        table = await index.suggest_table(snap)
    found = list(suggestions(table, prefix, limit, cache))  # type: ignore[arg-type]  # a cached list
    words = prefix.split()
    if len(found) >= limit or len(words) < 2 or prefix.endswith(" ") or len(words[-1]) < 2:
        return found
    # Soft, as search is (#15): when the whole text completes to too little ("opleiding
    # wondz"), complete the last word, those holding more of the earlier meaningful words first.
    earlier = {w for w in words[:-1] if w not in STOPWORDS and not index.glossary.is_generic((w,))}
    more = sorted(suggestions(table, words[-1], min(4 * limit, 20), cache),  # type: ignore[arg-type]
                  key=lambda s: -len(earlier.intersection(tokenize(s.text))))
    seen = {fold(s.text) for s in found}
    for s in more:
        if len(found) == limit:
            break
        if fold(s.text) not in seen:
            seen.add(fold(s.text))
            found.append(s)
    return found
