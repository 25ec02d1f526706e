"""Catalogue search: the request's view of the in-process index, typo look-ups, hydration.

PostgreSQL stays the source of truth. Each request reads the change stamp as its session
sees it and brings the index to exactly that stamp first (a delta of the courses stamped
since, or a full rebuild when the stamp went backwards, e.g. after a rollback, or the
checksum disagrees), so a search sees what its transaction sees, including uncommitted
publications of that transaction. Then it asks pg_trgm for corrections of words neither
the index nor the glossary knows, evaluates the query in memory (``search_match``) and
reads the documents of one page back by id (``search_hits``): two or three statements.
How the query's words combine (strict, soft, places, fillers) is ``search_soft``'s rule;
typo corrections, ``did_you_mean`` and the word-by-word retry are in ``search_fixes``.

Whole results are kept per (stamp, day, query), which is exact: any publication moves the
stamp. ``search_courses`` also serves page-numbered consumers (``SearchQuery.offset``).
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any, Literal

import asyncpg
import msgspec
import numpy as np
from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalogue.errors import Invalid
from catalogue.search.expand import expand_terms
from catalogue.search.fixes import apart, did_you_mean
from catalogue.search.fixes import corrections as find_corrections
from catalogue.search.glossary import Glossary, load_glossary
from catalogue.search.hits import Highlight, HitCache, SearchHit, hydrate
from catalogue.search.match import (
    Filters,
    Sort,
    facet_counts,
    filter_masks,
    match_text,
    page,
    relevance,
    sort_keys,
    title_threshold,
)
from catalogue.search.snapshot import Snapshot, build_snapshot
from catalogue.search.store import driver, load_courses, no_reset, read_checksum, read_stamp
from catalogue.search.suggest import Suggestion, Table, prefix_of, suggestions
from catalogue.search.text import STOPWORDS, fold, parse_query, tokenize
from catalogue.structs import COURSE_TYPES, INSTITUTIONS, MODES, OutStruct, Text

__all__ = [
    "MAX_LIMIT",
    "MAX_QUERY",
    "FacetValue",
    "PathwayFinder",
    "PathwayHit",
    "Highlight",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "Suggestion",
    "search_courses",
    "search_courses_json",
    "suggest",
]

MAX_LIMIT = 100
MAX_QUERY = 500
MAX_OFFSET = 10_000
SORTS = ("relevance", "start_date", "price", "title")
THREAD_BUILD = 5_000  # rebuild in a worker thread above this many courses
RESULT_BYTES = 64 << 20  # JSON bytes of the whole results kept (the parsed results about as much again)


class SearchQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A search as the API receives it; ``offset`` serves page-numbered consumers (OOAPI)."""

    q: str | None = None
    institution: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    mode: tuple[str, ...] = ()
    city: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    microcredential: bool | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    eqf: tuple[int, ...] = ()
    isced: tuple[str, ...] = ()
    price_max: float | None = None
    starts_after: date | None = None
    starts_before: date | None = None
    sort: str | None = None
    limit: int = 20
    cursor: str | None = None
    offset: int = 0
    facets: bool = True


class FacetValue(OutStruct, kw_only=True):
    value: str
    count: int


class PathwayHit(OutStruct, kw_only=True):
    """A pathway (a stack of courses leading to an award) that the query also found."""

    id: str
    institution: str
    code: str
    title: Text
    award_title: Text | None = None
    ects: float | None = None
    eqf_level: int | None = None
    url: str


class SearchResult(OutStruct, kw_only=True):
    items: list[SearchHit]
    total: int
    total_is_estimate: bool
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None
    did_you_mean: str | None
    pathways: list[PathwayHit] = []
    match: Annotated[Literal["all", "partial", "none"] | None, msgspec.Meta(description=(
        "With q: 'all' when some course met every meaningful word of q, 'partial' when the "
        "courses found each met only some of them (ranked by how many and how telling; "
        "see items[].match), 'none' when nothing matched; null without q."))] = None


# Finds pathways for a query's words (each a tuple of alternatives) within institutions
# (all when empty); set by the application, which knows where pathways live.
PathwayFinder = Callable[[Any, list[tuple[str, ...]], tuple[str, ...]], Awaitable[list[PathwayHit]]]


class SearchIndex:
    """One application's index: the current snapshot and what it takes to keep it current."""

    def __init__(self, glossary: Glossary | None = None, *, pool_size: int = 8,
                 result_cache: int = 4096, result_bytes: int = RESULT_BYTES,
                 thread_above: int = THREAD_BUILD) -> None:
        self.glossary = glossary or load_glossary()
        self.pathways: PathwayFinder | None = None
        self.snapshot: Snapshot | None = None
        self.corrections: dict[str, tuple[str, ...]] = {}
        self.hits = HitCache()
        # Whole results by (stamp, day, query): exact, since any change moves the stamp.
        # Least recently asked out first, bounded by count and by their JSON's bytes.
        self.result_cache = result_cache
        self.result_bytes = result_bytes
        self._lock = asyncio.Lock()
        self.thread_above = thread_above  # catalogue size above which tables build in a thread
        self._table: Table | None = None  # the autocomplete table built last
        self._building: asyncio.Task[None] | None = None
        self._pool: Any = None
        self._pool_size = pool_size

    @asynccontextmanager
    async def reader(self, session: AsyncSession) -> AsyncIterator[Any]:
        """An asyncpg connection that sees what ``session`` sees, for the per-request reads.

        A session that is bound to a connection (tests, or a caller's transaction) or has
        already begun is read through its own connection. A fresh request session has nothing
        of its own to see, so it reads committed data through this index's small pool of
        plain asyncpg connections: no per-request pool ping, BEGIN, ROLLBACK or SQLAlchemy
        statement overhead, which together cost more than the search itself.
        """
        bind = session.bind
        if isinstance(bind, AsyncEngine) and not session.in_transaction():
            if self._pool is None:
                url = bind.url.set(drivername="postgresql").render_as_string(hide_password=False)
                self._pool = await asyncpg.create_pool(
                    url, min_size=1, max_size=self._pool_size, reset=no_reset)
            async with self._pool.acquire() as connection:
                yield connection
        else:
            yield await driver(session)

    @property
    def result_bytes(self) -> int:
        return int(self.results.maxsize)

    @result_bytes.setter
    def result_bytes(self, value: int) -> None:
        """A new byte bound starts an empty cache."""
        self.results: LRUCache[object, _Entry] = LRUCache(value, getsizeof=_json_size)

    @property
    def results_size(self) -> int:
        """The JSON bytes of the results kept."""
        return int(self.results.currsize)

    def recall(self, key: object) -> _Entry | None:
        """The cached result of ``key``, now the most recently asked; None if not kept."""
        return self.results.get(key)

    def remember(self, key: object, result: _Entry) -> None:
        if self.result_cache <= 0 or len(result.json) > self.results.maxsize:
            return  # nothing kept, or bigger than the whole budget
        self.results[key] = result
        while len(self.results) > self.result_cache:  # the count bound, beside the bytes
            self.results.popitem()

    def forget_results(self) -> None:
        self.result_bytes = self.result_bytes  # a fresh cache: clear() would pop one by one

    async def suggest_table(self, snap: Snapshot) -> Table:
        """The autocomplete table of ``snap``, or while a big one is built, the previous one.

        Building it walks every live course (~0.4 s at 100,000 courses). Small catalogues
        build it at once; a big one is built in a worker thread while suggestions come from
        the last table built, which lags by the publications since: for a few hundred
        milliseconds, autocomplete may not offer a course published just before.
        """
        if snap.live <= self.thread_above:
            table = snap.derived["table"] = self._table = Table(snap)
            return table
        if self._building is None or self._building.done():
            self._building = asyncio.create_task(self._build_table(snap))
        if self._table is None:  # the first: wait for it
            await asyncio.shield(self._building)
        return snap.derived.get("table") or self._table  # type: ignore[return-value]

    async def _build_table(self, snap: Snapshot) -> None:
        table = await asyncio.to_thread(Table, snap)
        snap.derived["table"] = table
        if self.snapshot is None or self.snapshot.stamp <= snap.stamp:
            self._table = table

    async def close(self) -> None:
        if self._building is not None:
            self._building.cancel()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def current(self, session: AsyncSession, db: Any, today: date) -> Snapshot:
        """The snapshot at the stamp ``db`` (a ``reader`` of ``session``) sees."""
        stamp = await read_stamp(db)
        snap = self.snapshot
        if snap is None or snap.stamp != stamp:
            async with self._lock:
                stamp = await read_stamp(db)
                snap = self.snapshot
                if snap is None or snap.stamp != stamp:
                    snap = self.snapshot = await self._catch_up(session, snap, stamp, today)
                    self.forget_results()
        if snap.day != today.toordinal():
            snap = self.snapshot = snap.for_day(today)
        return snap

    async def _catch_up(self, session: AsyncSession, snap: Snapshot | None, stamp: int,
                        today: date) -> Snapshot:
        """Apply the courses stamped since ``snap``; rebuild when that cannot be trusted.

        A rebuild happens on the first request, when the stamp went backwards (a rolled-back
        publication the snapshot had seen), when the live count or the sum of stamps
        disagrees after the delta (a rolled-back change that a later one overtook), and when
        a quarter of the slots are dead (compaction).
        """
        if snap is not None and snap.stamp < stamp and snap.dead < max(1000, snap.size // 4):
            courses, offerings = await load_courses(session, after=snap.stamp)
            updated = await _cpu(len(courses), snap.apply, stamp, courses, offerings, today)
            if updated.checksum() == await read_checksum(session):
                return updated
        courses, offerings = await load_courses(session, after=None)
        self.corrections = {}
        return await _cpu(len(courses), build_snapshot, stamp, courses, offerings, today,
                          self.glossary.vocabulary)

    async def warm(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        """Build the index before the first search (e.g. in the app's lifespan)."""
        async with session_factory() as session, self.reader(session) as db:
            snap = await self.current(session, db, date.today())
        await self.suggest_table(snap)


async def _cpu(size: int, function: Callable[..., Snapshot], *args: Any) -> Snapshot:
    """Large builds run in a worker thread, so the event loop keeps serving other requests."""
    if size > THREAD_BUILD:
        return await asyncio.to_thread(function, *args)
    return function(*args)

# --- validation --------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_ISCED = re.compile(r"^[0-9]{2,4}$")


def _check(query: SearchQuery, max_limit: int) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []

    def unknown(name: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
        bad = [v for v in values if v not in allowed]
        if bad:
            errors.append((f"query:{name}", f"unknown value {bad[0]!r}; one of {', '.join(allowed)}"))

    if query.q is not None and len(query.q) > MAX_QUERY:
        errors.append(("query:q", f"at most {MAX_QUERY} characters"))
    if not 1 <= query.limit <= max_limit:
        errors.append(("query:limit", f"must be between 1 and {max_limit}"))
    if not 0 <= query.offset <= MAX_OFFSET:
        errors.append(("query:offset", f"must be between 0 and {MAX_OFFSET}"))
    if query.offset and query.cursor:
        errors.append(("query:cursor", "use either a cursor or an offset"))
    unknown("institution", query.institution, INSTITUTIONS)
    unknown("mode", query.mode, MODES)
    unknown("type", query.type, COURSE_TYPES)
    if query.sort is not None:
        unknown("sort", (query.sort,), SORTS)
    if bad := [v for v in query.language if not _LANGUAGE.match(v)]:
        errors.append(("query:language", f"{bad[0]!r} is not a language code such as nl or en"))
    if bad := [v for v in query.isced if not _ISCED.match(v)]:
        errors.append(("query:isced", f"{bad[0]!r} is not an ISCED-F code such as 09 or 0913"))
    if bad := [v for v in query.city if not v.strip() or len(v) > 100]:
        errors.append(("query:city", "a city is 1 to 100 characters"))
    if bad := [v for v in query.eqf if not 1 <= v <= 8]:
        errors.append(("query:eqf", f"EQF levels are 1 to 8, not {bad[0]}"))
    for name in ("ects_min", "ects_max", "price_max"):
        value = getattr(query, name)
        if value is not None and not 0 <= value < 1e6:
            errors.append((f"query:{name}", "must be a number from 0"))
    if query.ects_min is not None and query.ects_max is not None and query.ects_min > query.ects_max:
        errors.append(("query:ects_min", "ects_min is above ects_max"))
    if query.starts_after and query.starts_before and query.starts_after > query.starts_before:
        errors.append(("query:starts_after", "starts_after is after starts_before"))
    return errors


def _filters(query: SearchQuery) -> Filters:
    return Filters(
        institution=query.institution, language=tuple(v.lower() for v in query.language),
        mode=query.mode, city=query.city, type=query.type, microcredential=query.microcredential,
        ects_min=query.ects_min, ects_max=query.ects_max, eqf=query.eqf, isced=query.isced,
        price_max=query.price_max, starts_after=query.starts_after,
        starts_before=query.starts_before,
    )


# --- cursors -------------------------------------------------------------------------------------


def _encode_cursor(sort: str, key: object, tiebreak: int) -> str:
    raw = msgspec.json.encode([sort, key, tiebreak])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str, snap: Snapshot) -> tuple[float, int]:
    bad = Invalid([("query:cursor", "not a cursor this server issued for this sort")])
    try:
        values = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, msgspec.DecodeError):
        raise bad from None
    if not (isinstance(values, list) and len(values) == 3 and values[0] == sort
            and type(values[2]) is int):
        raise bad
    key = values[1]
    if sort == "title":
        if not isinstance(key, str):
            raise bad
        return title_threshold(snap, key), values[2]
    if key is None:
        return float("inf"), values[2]
    if type(key) not in (int, float):
        raise bad
    return float(key), values[2]


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


_encode = msgspec.json.Encoder().encode


def _json_size(entry: _Entry) -> int:
    return len(entry.json)


class _Entry:
    """A result and its JSON (encoded once; its length is what the cache counts)."""

    __slots__ = ("json", "result")

    def __init__(self, result: SearchResult) -> None:
        self.result = result
        self.json = _encode(result)


async def _cached_search(session: AsyncSession, index: SearchIndex, query: SearchQuery,
                         today: date | None, max_limit: int) -> _Entry:
    if errors := _check(query, max_limit):
        raise Invalid(errors)
    today = today or date.today()
    async with index.reader(session) as db:
        snap = await index.current(session, db, today)
        key = (snap.stamp, snap.day, query)
        found = index.recall(key)
        if found is None:
            found = _Entry(await _search(db, index, snap, query, today))
            index.remember(key, found)
        return found


async def _search(db: Any, index: SearchIndex, snap: Snapshot, query: SearchQuery,
                  today: date) -> SearchResult:
    parsed = parse_query(query.q or "")
    corrections = await find_corrections(db, index.glossary, index.corrections, snap, parsed)
    expansion = expand_terms(parsed, index.glossary, snap.compound_vocabulary, corrections=corrections)
    matched = match_text(snap, expansion)
    if matched.dead:
        apart_, loose = apart(matched.dead, snap.compound_vocabulary)
        if apart_ or loose:
            expansion = expand_terms(parsed, index.glossary, snap.compound_vocabulary,
                                     corrections=corrections, keep_apart=apart_, loose=loose)
            matched = match_text(snap, expansion)
    text_mask, text_score = matched.dense(snap.size)
    base = text_mask & snap.alive
    masks = filter_masks(snap, _filters(query))
    selected = np.logical_and.reduce([base, *masks.values()])
    has_text = bool(expansion.groups)
    sort: Sort = query.sort or ("relevance" if has_text else "start_date")  # type: ignore[assignment]
    if sort == "relevance" and not has_text:
        sort = "start_date"
    hits = np.flatnonzero(selected)
    after = _decode_cursor(query.cursor, sort, snap) if query.cursor else None
    slots, keys, more = page(hits, sort_keys(snap, sort, text_score, hits), snap.tiebreak,
                             after=after, skip=query.offset, limit=query.limit)
    facets = facet_counts(snap, base, masks) if query.facets else {}
    scores = relevance(snap, text_score, slots) if has_text else np.zeros(len(slots))
    partial = matched.partial(snap.size)
    match: str | None = None
    flags: list[str | None] | None = None
    if has_text:
        flags = ["all"] * len(slots) if partial is None else [
            "partial" if p else "all" for p in partial[slots].tolist()]
        match = "none" if not hits.size else (
            "all" if partial is None or not partial[hits].all() else "partial")
    items = await hydrate(db, snap, slots.tolist(), scores.tolist(), matched.words, today,
                          index.hits, flags)
    next_cursor = None
    if more and len(slots):
        last = int(slots[-1])
        key: object = snap.sort_titles[last] if sort == "title" else float(keys[-1])
        next_cursor = _encode_cursor(sort, None if key == float("inf") else key,
                                     int(snap.tiebreak[last]))
    total = len(hits)
    pathways = []
    if index.pathways is not None and has_text and not query.cursor and not query.offset:
        words = [(w, *(" ".join(t) for t in index.glossary.translations((w,))))
                 for w in dict.fromkeys(parsed.words()) if len(w) >= 3]
        pathways = await index.pathways(db, words, query.institution) if words else []
    return SearchResult(
        items=items, total=total, total_is_estimate=False,
        facets={k: [FacetValue(value=v, count=c) for v, c in vs] for k, vs in facets.items()},
        next_cursor=next_cursor,
        did_you_mean=did_you_mean(index.glossary, snap, parsed, corrections, masks) if corrections else None,
        pathways=pathways, match=match,  # type: ignore[arg-type]
    )


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
