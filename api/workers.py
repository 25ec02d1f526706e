"""A small process pool for CPU-bound request work (parsing and validating big batches).

The event loop stays free to serve other requests and to talk to PostgreSQL while a
worker validates; with two cores this overlaps Python and database work. The pool starts
on first use (forkserver: no inherited sockets or threads) and stops with the app.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["CpuPool"]

T = TypeVar("T")


class CpuPool:
    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def kill(self) -> None:
        """Stop every worker now (one is stuck past a deadline); the next ``run`` starts anew.

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

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        except BrokenProcessPool:
            # A worker died (killed, or a result that could not be unpickled): this request
            # fails, and the next one gets a new pool instead of the same error forever.
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
