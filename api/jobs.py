"""Work kept off the event loop that serves requests: the jobs process and the CPU pool.

The jobs process runs queued and scheduled harvests and sends the mail outbox
(``api.mail``), beside the server process that started it.

A feed is parsed, validated and stored in this process, never in one that serves
requests, so a huge, slow or hostile feed costs the worker time and memory, not the API's
event loop or its connection pool. ``academy serve`` starts one beside each server process
(unless ``ACADEMY_BACKGROUND_HARVEST=0``); ``academy harvest-worker`` runs one alone, e.g.
as a service of its own. Workers share the queue safely (``catalogue.harvest.jobs``). A
worker started by a server stops when that server stops, or dies.

The mail sender runs there too (unless ``ACADEMY_BACKGROUND_MAIL=0``): rendering and sending
a burst of award mails takes milliseconds a message, which in the server's own process
halved verification and cut issuance by a third while a batch's mails went out
(BENCHMARKS.md). Several senders share the outbox safely (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import msgspec

from api.db import Database
from api.mail import sender_for
from api.observability import configure_logging
from api.settings import Settings
from catalogue.harvest import FetchPolicy, harvest_worker

__all__ = ["CpuPool", "JobsProcess", "harvest_policy", "run_worker"]

log = logging.getLogger("academy.harvest")
PARENT_CHECK = 2.0  # seconds between checks that the server that started us is still there
T = TypeVar("T")


def harvest_policy(settings: Settings) -> FetchPolicy:
    """What harvests may reach and read on this server (``ACADEMY_HARVEST_*``)."""
    return FetchPolicy(
        allow_http=settings.harvest_allow_http,
        private_networks=settings.harvest_private_networks,
        deadline=settings.harvest_deadline_seconds,
        max_bytes=settings.harvest_max_bytes,
        max_items=settings.harvest_max_items,
    )


async def _serve(settings: Settings, parent: int | None, mail: bool) -> None:
    database = Database(settings)
    database.open()
    assert database.session_factory is not None and database.engine is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def orphaned() -> None:
        while not stop.is_set():
            if parent is not None and os.getppid() != parent:
                log.warning("the server that started this harvest worker is gone; stopping")
                stop.set()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PARENT_CHECK)

    watch = asyncio.create_task(orphaned())
    sending = None
    if mail:
        sender = sender_for(settings, database.session_factory)
        sending = asyncio.create_task(sender.run(database.engine, stop), name="academy-mail")
    try:
        await harvest_worker(database.session_factory, harvest_policy(settings), stop)
    finally:
        stop.set()
        await watch
        if sending is not None:
            await sending
        await database.close()


def run_worker(settings: Settings, parent: int | None = None, mail: bool = False) -> None:
    """Run harvests (and, with ``mail``, send the outbox) until SIGTERM or SIGINT (or until
    ``parent`` exits)."""
    configure_logging(settings.log_level)
    asyncio.run(_serve(settings, parent, mail))


class JobsProcess:
    """Harvests and, when ``mail``, the mail sender, in a process started by a server
    process, on the database that server uses."""

    def __init__(self, settings: Settings, database_url: str, *, mail: bool) -> None:
        self._settings = msgspec.structs.replace(settings, database_url=database_url)
        self._mail = mail
        self._process: BaseProcess | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited sockets, loop or pool
        self._process = context.Process(target=run_worker,
                                        args=(self._settings, os.getpid(), self._mail),
                                        name="academy-jobs", daemon=False)
        self._process.start()

    def stop(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.pid is None:
            return
        if process.is_alive():
            with suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()


class CpuPool:
    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.completed = 0  # tasks finished (not cancelled): has the pool moved lately?
        self._executor: ProcessPoolExecutor | None = None

    def kill(self) -> None:
        """Stop every worker now (they are stuck past a deadline); the next ``run`` starts anew.

        ``ProcessPoolExecutor`` cannot cancel a task that runs (``terminate_workers`` comes
        with Python 3.14), so its processes are killed; tasks of other requests in this pool
        fail with ``BrokenProcessPool``.
        """
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` in a worker; the future says whether it is still queued or started."""
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        executor = self._executor
        future = executor.submit(fn, *args)
        future.add_done_callback(lambda done: self._broken(executor, done))
        return future

    def _broken(self, executor: ProcessPoolExecutor, future: Future[Any]) -> None:
        if future.cancelled():
            return
        self.completed += 1
        # A worker died (killed, or a result that could not be unpickled): this request
        # fails, and the next one gets a new pool instead of the same error forever.
        if isinstance(future.exception(), BrokenProcessPool) and self._executor is executor:
            self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
