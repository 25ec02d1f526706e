"""Search hits as the API shows them: the stored document, its next offering, highlights."""

from __future__ import annotations

import uuid
from bisect import bisect_left
from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from cachetools import LRUCache

from catalogue.search.snapshot import Snapshot
from catalogue.search.store import read_documents
from catalogue.search.tokens import Marker, highlight, snippet, words_of
from catalogue.structs import OfferingOut, OutStruct, SkillOut, Text

__all__ = ["HIGHLIGHT_CACHE", "SUMMARY_CACHE", "Highlight", "HitCache", "SearchHit", "hydrate"]

HIGHLIGHT_CACHE = 10_000
SUMMARY_CACHE = 20_000  # parsed course versions (~2 KB each)


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
    match: Annotated[Literal["all", "partial"] | None, msgspec.Meta(description=(
        "With q: 'all' when the course met every meaningful word of q (fillers such as "
        "'opleiding', places and stop words aside), 'partial' when it met only some; "
        "null without q."))] = None


_decode = msgspec.json.Decoder().decode
_NO_HIGHLIGHT = Highlight(title="")


class _Summary(OutStruct, frozen=True):
    """What a hit needs of one course version, parsed once: hits differ only in the rest."""

    hit: SearchHit  # without next_offering, highlight and score
    dated: tuple[tuple[str, OfferingOut], ...]  # live offerings with a start, by start
    undated: tuple[tuple[str, OfferingOut], ...]  # live offerings without a start: (end, it)
    doc: dict[str, Any]  # title and description, for highlighting
    content_hash: str


class HitCache:
    """Parsed course versions by course id (as an int), least recently used out first.

    A snapshot knows the stamp of every course's current version, so a cached version is
    exact when its stamp is the one asked for; a newer version replaces it, so edits do not
    pile up old versions. Highlights are kept per (version, matched words), bounded.
    """

    def __init__(self, size: int = SUMMARY_CACHE) -> None:
        self.size = size
        self.summaries: LRUCache[int, tuple[int, _Summary]] = LRUCache(max(size, 1))
        self.highlights: LRUCache[tuple[str, str], Highlight] = LRUCache(
            HIGHLIGHT_CACHE)

    def get(self, key: tuple[int, int]) -> _Summary | None:
        found = self.summaries.get(key[0])
        if found is None or found[0] != key[1]:
            return None
        return found[1]

    def put(self, key: tuple[int, int], summary: _Summary) -> None:
        if self.size > 0:  # 0 keeps nothing (cachetools has no empty cache)
            self.summaries[key[0]] = (key[1], summary)


async def hydrate(db: Any, snap: Snapshot, slots: list[int], scores: list[float],
                  words: frozenset[str], today: date, cache: HitCache,
                  matches: list[Any] | None = None) -> list[SearchHit]:
    """The hits of one page in the page's order; versions not in ``cache`` read in one statement."""
    if not slots:
        return []
    keys = [(snap.ids[s], int(snap.seq[s])) for s in slots]
    found = {key: cache.get(key) for key in keys}
    missing = [uuid.UUID(int=key[0]) for key, summary in found.items() if summary is None]
    if missing:
        stamps = dict(keys)
        for course_id, slug, text, content_hash in await read_documents(db, missing):
            key = (course_id.int, stamps[course_id.int])
            found[key] = summary = _summarise(slug, text, content_hash)
            cache.put(key, summary)
    marked = Marker(words, snap.compound_vocabulary)
    day = today.isoformat()
    hits = []
    for score, key, match in zip(scores, keys, matches or [None] * len(keys)):
        summary = found.get(key)
        if summary is None:  # withdrawn or gone since the snapshot; the next request rebuilds
            continue
        hits.append(msgspec.structs.replace(
            summary.hit, next_offering=_next_offering(summary, day),
            highlight=_cached_highlight(cache.highlights, summary, marked), score=round(score, 4),
            match=match))
    return hits


def _summarise(slug: str, text: str, content_hash: str) -> _Summary:
    doc = _decode(text)
    hit = msgspec.convert({
        **{k: doc.get(k) for k in ("code", "type", "title", "description", "ects", "eqf_level",
                                   "isced_codes", "languages", "mode", "keywords", "skills", "url")},
        "microcredential": doc.get("microcredential", False),
        "institution": slug, "highlight": _NO_HIGHLIGHT, "score": 0.0,
    }, SearchHit, strict=False)
    # tuples of atoms and dicts of strings drop out of the cyclic collector's walk
    hit = msgspec.structs.replace(hit, **{
        k: tuple(v) for k in ("isced_codes", "languages", "keywords", "skills")
        if (v := getattr(hit, k)) is not None})
    live = [o for o in doc.get("offerings") or [] if o.get("status") != "cancelled"]
    dated = sorted(((o["start_date"], msgspec.convert(o, OfferingOut, strict=False))
                    for o in live if o.get("start_date")), key=lambda pair: pair[0])
    undated = tuple((o.get("end_date") or "", msgspec.convert(o, OfferingOut, strict=False))
                    for o in live if not o.get("start_date"))
    return _Summary(hit=hit, dated=tuple(dated), undated=undated,
                    doc={"title": doc.get("title"), "description": doc.get("description")},
                    content_hash=content_hash)


def _next_offering(summary: _Summary, day: str) -> OfferingOut | None:
    """``catalogue.offerings.next_offering`` on the pre-sorted summary (ISO dates compare as
    strings): the earliest upcoming start, else the first undated offering that has not ended."""
    i = bisect_left(summary.dated, day, key=lambda pair: pair[0])
    if i < len(summary.dated):
        return summary.dated[i][1]
    return next((o for end, o in summary.undated if not end or end >= day), None)


def _cached_highlight(cache: LRUCache[tuple[str, str], Highlight],
                      summary: _Summary, marked: Marker) -> Highlight:
    """Highlights are pure in (document version, matched words): popular queries reuse them."""
    key = (summary.content_hash, marked.key)
    found = cache.get(key)
    if found is None:
        found = cache[key] = Highlight(**_highlight(summary.doc, marked))
    return found


def _highlight(doc: dict[str, Any], marked: Marker) -> dict[str, str | None]:
    """The title in the language with most matches, and the description in the same one."""
    titles = {k: v for k, v in (doc.get("title") or {}).items() if isinstance(v, str)}
    language = max(titles, key=lambda k: sum(map(marked, words_of(titles[k]))), default=None) \
        if len(titles) > 1 else next(iter(titles), None)
    descriptions = {k: v for k, v in (doc.get("description") or {}).items() if isinstance(v, str)}
    description = descriptions.get(language or "") or next(iter(descriptions.values()), None)
    return {"title": highlight(titles.get(language or "", ""), marked),
            "description": snippet(description, marked) if description else None}
