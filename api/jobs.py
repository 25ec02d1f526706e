"""The harvest worker: a process of its own that runs queued and scheduled harvests.

A feed is parsed, validated and stored in this process, never in one that serves
requests, so a huge, slow or hostile feed costs the worker time and memory, not the API's
event loop or its connection pool. ``academy serve`` starts one beside each server process
(unless ``ACADEMY_BACKGROUND_HARVEST=0``); ``academy harvest-worker`` runs one alone, e.g.
as a service of its own. Workers share the queue safely (``catalogue.harvest_jobs``). A
worker started by a server stops when that server stops, or dies.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from contextlib import suppress
from multiprocessing.process import BaseProcess

import msgspec

from api.db import Database
from api.routes.harvest import harvest_policy
from api.observability import configure_logging
from api.settings import Settings
from catalogue.harvest_jobs import harvest_worker

__all__ = ["HarvestProcess", "run_worker"]

log = logging.getLogger("academy.harvest")
PARENT_CHECK = 2.0  # seconds between checks that the server that started us is still there


async def _serve(settings: Settings, parent: int | None) -> None:
    database = Database(settings)
    database.open()
    assert database.session_factory is not None
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
    try:
        await harvest_worker(database.session_factory, harvest_policy(settings), stop)
    finally:
        stop.set()
        await watch
        await database.close()


def run_worker(settings: Settings, parent: int | None = None) -> None:
    """Run harvests until SIGTERM or SIGINT (or until ``parent`` exits)."""
    configure_logging(settings.log_level)
    asyncio.run(_serve(settings, parent))


class HarvestProcess:
    """A harvest worker started by a server process, on the database that server uses."""

    def __init__(self, settings: Settings, database_url: str) -> None:
        self._settings = msgspec.structs.replace(settings, database_url=database_url)
        self._process: BaseProcess | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited sockets, loop or pool
        self._process = context.Process(target=run_worker, args=(self._settings, os.getpid()),
                                        name="academy-harvest", daemon=False)
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
