"""Status lists held in memory, exact, while a PostgreSQL LISTEN says when they change.

Verification reads status bits on every view of a credential; this keeps the lists in
memory and drops one the moment ``credentials.status.set_bit`` commits a flip to it
(NOTIFY on ``CHANNEL``). Readers fall back to ``credentials.status.read_lists`` when it is
not live.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from credentials.status import CHANNEL, SIZES, ListKey, entry_value

__all__ = ["StatusCache"]


class StatusCache:
    """Status lists held in memory while a LISTEN connection says when they change.

    Exact, not time-bounded: every bit flip notifies ``CHANNEL`` on commit (``set_bit``)
    and the listener drops that list here. The cache answers only while ``live`` (the
    listener is connected); when it is lost everything is dropped and readers go to the
    database. A list read from the database is kept only if no notification arrived
    while it was being read (``generation``), so a slow read cannot store a stale copy.
    The lag is that of NOTIFY delivery, well under a millisecond on one host.

    A connection can also be lost without a word (a stalled server, a half-open socket):
    a heartbeat queries it every ``heartbeat`` seconds, and the cache stops answering as
    soon as no heartbeat succeeded for ``3 * heartbeat``, so it never serves statuses
    older than that.
    """

    def __init__(self, heartbeat: float = 5.0, clock: Any = time.monotonic) -> None:
        self._lists: dict[ListKey, bytes] = {}
        self._generation = 0
        self._connection: Any = None
        self._live = False
        self._beat = 0.0
        self._pulse: asyncio.Task[None] | None = None
        self.heartbeat = heartbeat
        self.clock = clock

    @property
    def live(self) -> bool:
        if self._live and self.clock() - self._beat >= 3 * self.heartbeat:
            self._live = False  # silent for too long: what we hold may be stale
            self.invalidate()
        return self._live

    @property
    def generation(self) -> int:
        return self._generation

    def invalidate(self, key: ListKey | None = None) -> None:
        self._generation += 1
        if key is None:
            self._lists.clear()
        else:
            self._lists.pop(key, None)

    def values(self, wanted: list[tuple[str, str, int, int]]) -> dict[tuple[str, str, int, int], int] | None:
        """Every wanted entry value from memory, or None when any list is not held."""
        if not self.live:
            return None
        found = {}
        for entry in wanted:
            bits = self._lists.get(entry[:3])
            if bits is None:
                return None
            value = entry_value(bits, entry[3], SIZES[entry[1]])
            if value is not None:
                found[entry] = value
        return found

    def keep(self, generation: int, lists: dict[ListKey, bytes]) -> None:
        if self.live and generation == self._generation:
            self._lists.update(lists)

    async def listen(self, dsn: str) -> None:
        """Connect the listener (asyncpg, outside any pool); the cache is live from here."""
        import asyncpg

        connection = await asyncpg.connect(dsn)
        connection.add_termination_listener(self._lost)
        await connection.add_listener(CHANNEL, self._notified)
        self._connection = connection
        self.invalidate()
        self._beat = self.clock()
        self._live = True
        self._pulse = asyncio.create_task(self._heartbeat(connection))

    async def _heartbeat(self, connection: Any) -> None:
        while self._connection is connection:
            await asyncio.sleep(self.heartbeat)
            try:
                await asyncio.wait_for(connection.fetchval("SELECT 1"), self.heartbeat)
            except asyncio.CancelledError:
                raise
            except Exception:  # timed out, or the connection broke: stop trusting it
                self._lost(connection)
                return
            self._beat = self.clock()

    async def close(self) -> None:
        self._live = False
        self.invalidate()
        if self._pulse is not None:
            self._pulse.cancel()
            self._pulse = None
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await _close(connection)

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        slug, purpose, seq = payload.split("/")
        self.invalidate((slug, purpose, int(seq)))

    def _lost(self, connection: Any) -> None:
        self._live = False
        self.invalidate()


async def _close(connection: Any) -> None:
    """Close politely, or drop the socket when the server does not answer in time."""
    try:
        await asyncio.wait_for(connection.close(), 5)
    except Exception:
        connection.terminate()
