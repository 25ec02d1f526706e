"""Serving with several processes: one listening socket each, shared with ``SO_REUSEPORT``.

With one socket shared by every worker (uvicorn's ``--workers``), whichever worker wakes
first accepts every connection waiting: a proxy or a client that opens its keep-alive
connections in a burst lands them all on one process while the others idle. With a socket
of its own per worker, the kernel spreads new connections over the workers by their
addresses, as nginx's ``reuseport`` does. The supervisor starts the workers, replaces one
that dies, and stops them all on SIGINT or SIGTERM. The workers count rate limits in one
shared table that the supervisor makes (``api.ratelimit.SharedWindows``).

``python -m api.serve --factory MODULE:FUNCTION`` serves another app factory the same way
(the search benchmark uses it for its instrumented app).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import socket
import time
from contextlib import suppress
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from api.ratelimit import RATE_TABLE_ENV, SharedWindows

__all__ = ["serve_workers"]

log = logging.getLogger("academy.serve")

BACKLOG = 2048
RESTART_PAUSE = 1.0  # seconds between replacing workers that die at once, so a crash loop idles
STARTUP_FAILURE = 3  # uvicorn's exit code when the app's start-up (lifespan) fails


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _worker(factory: str, host: str, port: int) -> None:
    import uvicorn

    from api.http_protocol import CoalescingHttpProtocol

    config = uvicorn.Config(factory, factory=True, host=host, port=port, log_config=None,
                            access_log=False, lifespan="on", backlog=BACKLOG,
                            http=CoalescingHttpProtocol,  # one write a response
                            proxy_headers=False)  # see ACADEMY_TRUSTED_PROXIES
    uvicorn.Server(config).run(sockets=[_listen(host, port)])


def serve_workers(factory: str, host: str, port: int, workers: int) -> None:
    """Run ``workers`` processes serving ``factory`` (``module:function``) until signalled."""
    _listen(host, port).close()  # a port in use fails here, before any worker starts
    # One table of rate-limit windows for every worker (api.ratelimit), named in the
    # environment the workers inherit.
    table = SharedWindows.create().path
    assert table is not None
    os.environ[RATE_TABLE_ENV] = str(table)
    try:
        _supervise(factory, host, port, workers)
    finally:
        os.environ.pop(RATE_TABLE_ENV, None)
        table.unlink(missing_ok=True)


def _supervise(factory: str, host: str, port: int, workers: int) -> None:
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(factory, host, port), daemon=False)
        process.start()
        return process

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for process in running:
            if process.is_alive() and process.pid is not None:
                with suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)  # each worker shuts down gracefully

    running: list[BaseProcess] = []
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    failed = False
    try:
        running += [start() for _ in range(workers)]
        while running:
            wait([p.sentinel for p in running])
            for process in [p for p in running if not p.is_alive()]:
                running.remove(process)
                if stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:  # the app cannot start: say so, stop
                    log.error("a server worker could not start (its error is above); stopping")
                    failed = True
                    stop(signal.SIGTERM, None)
                    continue
                log.error("server worker %s exited with %s; starting another",
                          process.pid, process.exitcode)
                time.sleep(RESTART_PAUSE)
                if not stopping:
                    running.append(start())
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failed:
        raise SystemExit(STARTUP_FAILURE)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--factory", default="api.app:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    serve_workers(args.factory, args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
