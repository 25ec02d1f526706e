"""Harvest runs as jobs: the ``harvest_run`` table is the queue, a harvest worker the consumer.

The API and the schedule only *queue* a run (a row in ``queued``); a harvest worker, in a
process of its own, claims the oldest one with ``FOR UPDATE SKIP LOCKED`` (so several
workers never take one run twice), marks it ``running`` with a deadline and commits; then
it fetches with no database session open, and stores the feed and the run's outcome in
one transaction. The worker is the caller here, so it owns the transactions: each one is a
``transaction`` block, the worker's one commit point (the domain functions it calls flush
only), as the request's session dependency is the API's. A partial unique index allows one queued or running run per source.

A worker that is stopped mid-run puts its runs back in the queue; one that dies leaves
them ``running``, and once a run's deadline is a minute past, any worker marks it failed
and the source can run again. While a run
fetches, its progress (phase, done, total) is written at most once a second, each time in
a short transaction of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalogue.errors import Conflict
from catalogue.harvest.mapping import FeedError
from catalogue.harvest.net import FetchPolicy
from catalogue.harvest.runner import (
    Outcome,
    deadline_message,
    failed,
    fetch_documents,
    store_documents,
)
from catalogue.models import HarvestRun, HarvestSource

__all__ = [
    "ACTIVE",
    "RunInProgress",
    "active_run",
    "claim_run",
    "enqueue_due",
    "execute_run",
    "harvest_worker",
    "reap_stale_runs",
    "request_run",
    "run_due_harvests",
    "transaction",
    "work_queue",
]

log = logging.getLogger("academy.harvest")

ACTIVE = ("queued", "running")
GRACE = timedelta(minutes=1)
PROGRESS_EVERY = 1.0
Factory = async_sessionmaker[AsyncSession]


class RunInProgress(Conflict):
    def __init__(self, run_id: int) -> None:
        super().__init__(f"Run {run_id} of this source is still queued or running; a source "
                         f"runs one harvest at a time. Follow it at .../harvests/{run_id}.")
        self.run_id = run_id


def _now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def transaction(session_factory: Factory) -> AsyncIterator[AsyncSession]:
    """A session whose work commits when the block ends; an exception rolls it back."""
    async with session_factory() as session:
        yield session
        await session.commit()


class _Lost(Exception):
    """The run was reaped or deleted while this worker fetched it: store nothing."""


async def active_run(session: AsyncSession, source_id: int) -> int | None:
    """The id of the source's queued or running run, if it has one."""
    return await session.scalar(select(HarvestRun.id).where(
        HarvestRun.source_id == source_id, HarvestRun.status.in_(ACTIVE)))


async def request_run(session: AsyncSession, source: HarvestSource) -> HarvestRun:
    """Queue a run of ``source``; ``RunInProgress`` when one is queued or running already."""
    stmt = (insert(HarvestRun).values(source_id=source.id, status="queued", counts={},
                                      errors=[], progress={"phase": "queued"})
            .on_conflict_do_nothing(index_elements=["source_id"],
                                    index_where=text("status IN ('queued', 'running')"))
            .returning(HarvestRun))
    run = (await session.scalars(stmt)).first()
    if run is None:
        raise RunInProgress(await active_run(session, source.id) or 0)
    return run


async def enqueue_due(session_factory: Factory, *, now: datetime | None = None,
                      batch: int = 100) -> int:
    """Queue a run of every source that is due (never run, or ``next_run_at <= now``)."""
    queued = 0
    while True:
        moment = now or _now()
        async with transaction(session_factory) as session:
            due = list(await session.scalars(
                select(HarvestSource)
                .where(or_(HarvestSource.next_run_at.is_(None),
                           HarvestSource.next_run_at <= moment))
                .order_by(HarvestSource.next_run_at.asc().nulls_first(), HarvestSource.id)
                .limit(batch).with_for_update(skip_locked=True)))
            for source in due:
                source.next_run_at = moment + timedelta(minutes=source.interval_minutes)
                try:
                    async with session.begin_nested():
                        await request_run(session, source)
                    queued += 1
                except RunInProgress:
                    pass
        if len(due) < batch:
            return queued


async def claim_run(session_factory: Factory,
                    policy: FetchPolicy) -> tuple[int, HarvestSource] | None:
    """Take the oldest queued run (committed as ``running``); None when the queue is empty."""
    async with transaction(session_factory) as session:
        found = (await session.execute(
            select(HarvestRun, HarvestSource).join(HarvestSource)
            .where(HarvestRun.status == "queued").order_by(HarvestRun.id).limit(1)
            .with_for_update(of=HarvestRun, skip_locked=True))).first()
        if found is None:
            return None
        run, source = found
        started = _now()
        run.status, run.started_at = "running", started
        run.deadline_at = started + timedelta(seconds=policy.deadline)
        run.progress = {"phase": "fetch", "done": 0, "total": None}
        await session.flush()
        session.expunge(source)
        run_id = run.id
    return run_id, source


async def reap_stale_runs(session_factory: Factory) -> int:
    """Fail runs whose worker stopped: still ``running`` a minute past their deadline."""
    async with transaction(session_factory) as session:
        reaped = list(await session.scalars(
            update(HarvestRun)
            .where(HarvestRun.status == "running", HarvestRun.deadline_at < _now() - GRACE)
            .values(status="failed", finished_at=_now(), errors=[{
                "code": None, "pointer": "",
                "message": "the harvest worker stopped before finishing; nothing was stored"}])
            .returning(HarvestRun.id)))
    return len(reaped)


class _ProgressWriter:
    """Writes a run's latest progress at most every ``PROGRESS_EVERY`` s, in short transactions."""

    def __init__(self, session_factory: Factory, run_id: int) -> None:
        self._factory, self._run_id = session_factory, run_id
        self._latest: dict[str, Any] | None = None
        self._written: dict[str, Any] | None = None
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._loop())

    def update(self, done: int, total: int | None, phase: str) -> None:
        self._latest = {"phase": phase, "done": done, "total": total}

    async def write(self, progress: dict[str, Any]) -> None:
        async with transaction(self._factory) as session:
            await session.execute(update(HarvestRun).where(
                HarvestRun.id == self._run_id, HarvestRun.status == "running")
                .values(progress=progress))
        self._written = progress

    async def _loop(self) -> None:
        while not self._stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), PROGRESS_EVERY)
            if self._latest is not None and self._latest != self._written:
                try:
                    await self.write(self._latest)
                except Exception:  # progress is a courtesy; the run goes on without it
                    log.warning("could not record the progress of harvest run %s", self._run_id)

    async def close(self) -> None:
        """Stop after the write under way, if any (never cancelled halfway through a query)."""
        self._stop.set()
        await self._task


async def _finish(session: AsyncSession, run_id: int, source: HarvestSource,
                  outcome: Outcome) -> bool:
    """Record the outcome on a run this worker still holds; False when it was reaped or deleted."""
    status, counts, errors = outcome
    finished = _now()
    done = await session.scalar(
        update(HarvestRun).where(HarvestRun.id == run_id, HarvestRun.status == "running")
        .values(status=status, counts=counts, errors=errors, finished_at=finished,
                progress={"phase": "finished", "done": counts.get("fetched", 0),
                          "total": counts.get("fetched", 0)})
        .returning(HarvestRun.id))
    if done is None:
        return False
    next_run = finished + timedelta(minutes=source.interval_minutes)
    await session.execute(update(HarvestSource).where(HarvestSource.id == source.id)
                          .values(next_run_at=next_run))
    return True


async def _requeue(session_factory: Factory, run_id: int) -> None:
    async with transaction(session_factory) as session:
        await session.execute(
            update(HarvestRun).where(HarvestRun.id == run_id, HarvestRun.status == "running")
            .values(status="queued", started_at=None, deadline_at=None,
                    progress={"phase": "queued"}))


async def execute_run(session_factory: Factory, run_id: int, source: HarvestSource,
                      policy: FetchPolicy) -> str:
    """Fetch (no session open), then store and record in one transaction; returns the status.

    A worker that is stopped (cancelled) mid-run puts the run back in the queue.
    """
    try:
        async with asyncio.timeout(policy.deadline):
            writer = _ProgressWriter(session_factory, run_id)
            try:
                docs = await fetch_documents(source.type, source.location, source.mapping,
                                             policy=policy, progress=writer.update)
            finally:
                await writer.close()
            await writer.write({"phase": "store", "done": 0, "total": len(docs)})
            return await _store(session_factory, run_id, source, docs)
    except FeedError as exc:
        outcome = failed(str(exc))
    except TimeoutError:
        outcome = failed(deadline_message(policy))
    except asyncio.CancelledError:
        try:
            await asyncio.shield(_requeue(session_factory, run_id))
        except Exception:  # the reaper fails it after its deadline instead
            log.warning("could not put harvest run %s back in the queue", run_id)
        raise
    except Exception:
        log.exception("harvest run %s of %s crashed", run_id, source.name)
        outcome = failed("the harvest failed unexpectedly; nothing was stored (the server log "
                         "has the details)")
    async with transaction(session_factory) as session:
        await _finish(session, run_id, source, outcome)
    return outcome[0]


async def _store(session_factory: Factory, run_id: int, source: HarvestSource,
                 docs: list[Any]) -> str:
    """Store the feed and record the outcome in one transaction; nothing if the run was lost."""
    try:
        async with transaction(session_factory) as session:
            outcome = await store_documents(session, source, docs)
            if not await _finish(session, run_id, source, outcome):
                raise _Lost
    except _Lost:
        pass
    return outcome[0]


async def work_queue(session_factory: Factory, policy: FetchPolicy) -> int:
    """Run queued runs one after another until none is left; return how many ran."""
    ran = 0
    while (job := await claim_run(session_factory, policy)) is not None:
        status = await execute_run(session_factory, *job, policy)
        log.info("harvest %s: %s", job[1].name, status)
        ran += 1
    return ran


async def run_due_harvests(session_factory: Factory, *, policy: FetchPolicy | None = None,
                           now: datetime | None = None) -> int:
    """Queue the due sources and run the whole queue here; return how many runs ran."""
    await enqueue_due(session_factory, now=now)
    return await work_queue(session_factory, policy or FetchPolicy())


async def harvest_worker(session_factory: Factory, policy: FetchPolicy, stop: asyncio.Event, *,
                         concurrency: int = 2, period: float = 1.0,
                         schedule: bool = True) -> None:
    """Until ``stop``: queue due sources, reap stale runs, and run up to ``concurrency`` jobs."""
    running: set[asyncio.Task[str]] = set()
    try:
        while not stop.is_set():
            try:
                await reap_stale_runs(session_factory)
                if schedule:
                    await enqueue_due(session_factory)
                while len(running) < concurrency and (
                        job := await claim_run(session_factory, policy)) is not None:
                    task = asyncio.create_task(execute_run(session_factory, *job, policy))
                    running.add(task)
                    task.add_done_callback(running.discard)
            except Exception:
                log.exception("the harvest worker failed a round; trying again in %s s", period)
            waiters = [asyncio.ensure_future(stop.wait()), *running]
            await asyncio.wait(waiters, timeout=period, return_when=asyncio.FIRST_COMPLETED)
            if not waiters[0].done():
                waiters[0].cancel()
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
