"""The application's search index: the current snapshot and what keeps it current.

Each request reads the change stamp as its session sees it and brings the index to exactly
that stamp first (a delta of the courses stamped since, or a full rebuild when the stamp
went backwards, e.g. after a rollback, or the checksum disagrees), so a search sees what
its transaction sees, including uncommitted publications of that transaction. Large
builds run in a worker thread. The index also keeps the typo corrections, the parsed hits,
the autocomplete table and whole results per (stamp, day, query), which is exact: any
publication moves the stamp.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import msgspec
from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalogue.search.autocomplete import Table
from catalogue.search.glossary import Glossary, load_glossary
from catalogue.search.hits import HitCache
from catalogue.search.query import PathwayHit, SearchResult
from catalogue.search.snapshot import Snapshot, build_snapshot
from catalogue.search.store import driver, load_courses, open_pool, read_checksum, read_stamp

__all__ = ["RESULT_BYTES", "THREAD_BUILD", "CachedResult", "PathwayFinder", "SearchIndex"]

THREAD_BUILD = 5_000  # rebuild in a worker thread above this many courses
RESULT_BYTES = 64 << 20  # JSON bytes of the whole results kept (the parsed results about as much again)

# Finds pathways for a query's words (each a tuple of alternatives) within institutions
# (all when empty); set by the application, which knows where pathways live.
PathwayFinder = Callable[[Any, list[tuple[str, ...]], tuple[str, ...]], Awaitable[list[PathwayHit]]]

_encode = msgspec.json.Encoder().encode


class CachedResult:
    """A result and its JSON (encoded once; its length is what the cache counts)."""

    __slots__ = ("json", "result")

    def __init__(self, result: SearchResult) -> None:
        self.result = result
        self.json = _encode(result)


def _json_size(entry: CachedResult) -> int:
    return len(entry.json)


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
                self._pool = await open_pool(bind, self._pool_size)
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
        self.results: LRUCache[object, CachedResult] = LRUCache(value, getsizeof=_json_size)

    @property
    def results_size(self) -> int:
        """The JSON bytes of the results kept."""
        return int(self.results.currsize)

    def recall(self, key: object) -> CachedResult | None:
        """The cached result of ``key``, now the most recently asked; None if not kept."""
        return self.results.get(key)

    def remember(self, key: object, result: CachedResult) -> None:
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
