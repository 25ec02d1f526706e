"""Search hits as the API shows them: the stored document, its next offering, highlights."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from catalogue.search_engine import Snapshot
from catalogue.search_tokens import Marker, highlight, snippet, words_of
from catalogue.structs import OfferingOut, OutStruct, SkillOut, Text

__all__ = ["HIGHLIGHT_CACHE", "Highlight", "SearchHit", "hydrate"]

HIGHLIGHT_CACHE = 20_000


class Highlight(OutStruct, kw_only=True):
    title: str
    description: str | None = None


class SearchHit(OutStruct, kw_only=True):
    institution: str
    code: str
    type: str
    title: Text
    description: Text | None = None
    ects: float | None = None
    eqf_level: int | None = None
    isced_codes: list[str] | None = None
    languages: list[str] | None = None
    mode: str | None = None
    microcredential: bool = False
    keywords: list[str] | None = None
    skills: list[SkillOut] | None = None
    url: str | None = None
    next_offering: OfferingOut | None = None
    highlight: Highlight
    score: float


_DOCUMENTS = """
SELECT c.id, i.slug, c.document::text, c.content_hash
FROM course c JOIN institution i ON i.id = c.institution_id
WHERE c.id = ANY($1::uuid[]) AND NOT c.withdrawn
"""
_decode = msgspec.json.Decoder().decode


async def hydrate(db: Any, snap: Snapshot, slots: list[int], scores: list[float],
                  words: frozenset[str], today: date,
                  highlights: dict[object, Any]) -> list[SearchHit]:
    """The hits of one page, read back by id in one statement, in the page's order."""
    if not slots:
        return []
    ids = [snap.ids[s] for s in slots]
    rows = {r[0]: r for r in await db.fetch(_DOCUMENTS, ids)}
    marked = Marker(words, snap.compound_vocabulary)
    hits = []
    for score, course_id in zip(scores, ids):
        row = rows.get(course_id)
        if row is None:  # withdrawn or gone since the snapshot; the next request rebuilds
            continue
        doc = _decode(row[2])
        hits.append(msgspec.convert({
            **{k: doc.get(k) for k in ("code", "type", "title", "description", "ects", "eqf_level",
                                       "isced_codes", "languages", "mode", "keywords", "skills", "url")},
            "microcredential": doc.get("microcredential", False),
            "institution": row[1],
            "next_offering": _next_offering(doc.get("offerings") or [], today),
            "highlight": _cached_highlight(highlights, row[3], doc, marked),
            "score": round(score, 4),
        }, SearchHit, strict=False))
    return hits


def _cached_highlight(cache: dict[object, Any], content_hash: str, doc: dict[str, Any],
                      marked: Marker) -> dict[str, str | None]:
    """Highlights are pure in (document version, matched words): popular queries reuse them."""
    key = (content_hash, marked.words)
    found = cache.get(key)
    if found is None:
        if len(cache) >= HIGHLIGHT_CACHE:
            cache.pop(next(iter(cache)))
        found = cache[key] = _highlight(doc, marked)
    return found  # type: ignore[no-any-return]


def _highlight(doc: dict[str, Any], marked: Marker) -> dict[str, str | None]:
    """The title in the language with most matches, and the description in the same one."""
    titles = {k: v for k, v in (doc.get("title") or {}).items() if isinstance(v, str)}
    language = max(titles, key=lambda k: sum(map(marked, words_of(titles[k]))), default=None) \
        if len(titles) > 1 else next(iter(titles), None)
    descriptions = {k: v for k, v in (doc.get("description") or {}).items() if isinstance(v, str)}
    description = descriptions.get(language or "") or next(iter(descriptions.values()), None)
    return {"title": highlight(titles.get(language or "", ""), marked),
            "description": snippet(description, marked) if description else None}


def _next_offering(offerings: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The earliest upcoming offering; else the first undated one that is not cancelled."""
    live = [o for o in offerings if o.get("status") != "cancelled"]
    dated = sorted((o for o in live if o.get("start_date") and o["start_date"] >= today.isoformat()),
                   key=lambda o: o["start_date"])
    if dated:
        return dated[0]
    undated = [o for o in live if not o.get("start_date")]
    return undated[0] if undated else None
