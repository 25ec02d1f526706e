"""A lean HTTP/1.1 load generator: keep-alive connections, pre-encoded GET requests.

The server under test and the load generator share this 2-core machine, so every
millisecond of client CPU is taken from the server. An httpx client spends about 1.1-1.4
ms of CPU a request; this one writes pre-built request bytes on raw asyncio streams (with
uvloop) and reads ``Content-Length`` bodies, about 0.1 ms a request.

Two shapes:
- ``closed_loop``: ``concurrency`` clients, each sending its next request as soon as the
  previous answer arrived (throughput at that concurrency);
- ``open_loop``: a request due every 1/``rate`` s whatever the server does, on at most
  ``concurrency`` connections; latency counts from the moment a request was *due*, so a
  server (or client) that falls behind shows it instead of silently lowering the rate
  (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit

import numpy as np

__all__ = ["closed_loop", "figures", "open_loop", "requests_for"]


def requests_for(base: str, path: str, queries: Sequence[dict[str, object]]) -> list[bytes]:
    """One pre-encoded GET request per query (``doseq``: lists become repeated parameters)."""
    host = urlsplit(base).netloc
    return [(f"GET {path}?{urlencode(q, doseq=True)} HTTP/1.1\r\nHost: {host}\r\n"
             "Accept: application/json\r\n\r\n").encode() for q in queries]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> _Connection:
        url = urlsplit(base)
        return cls(*await asyncio.open_connection(url.hostname, url.port))

    async def get(self, request: bytes) -> int:
        """Send one request and read its answer; the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding":
                raise RuntimeError("chunked answers are not supported by this load generator")
        if length:
            await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


def figures(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    """Requests, errors, requests a second and latency percentiles in milliseconds."""
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "errors": errors, "rps": len(ms) / elapsed,
            "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
            "p99": float(np.percentile(ms, 99)), "mean": float(ms.mean())}


async def closed_loop(base: str, requests: Sequence[bytes], concurrency: int,
                      duration: float) -> dict[str, float]:
    """``concurrency`` clients back to back over ``requests`` (cycled) for ``duration`` s."""
    connections = [await _Connection.open(base) for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def client(k: int) -> None:
        nonlocal errors
        connection, i = connections[k], k
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status = await connection.get(requests[i % len(requests)])
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
            i += concurrency

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(k) for k in range(concurrency)))
    finally:
        for connection in connections:
            connection.close()
    return figures(latencies, errors, time.perf_counter() - started)


async def open_loop(base: str, requests: Sequence[bytes], rate: float, concurrency: int,
                    duration: float) -> dict[str, float]:
    """A request every 1/``rate`` s over ``requests`` (cycled), at most ``concurrency`` in flight."""
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(concurrency):
        idle.put_nowait(await _Connection.open(base))
    latencies: list[float] = []
    errors = 0

    async def one(request: bytes, due: float) -> None:
        nonlocal errors
        connection = await idle.get()
        try:
            errors += await connection.get(request) != 200
        finally:
            latencies.append(time.perf_counter() - due)
            idle.put_nowait(connection)

    tasks = []
    started = time.perf_counter()
    i = 0
    while (due := started + i / rate) < started + duration:
        if due > time.perf_counter():
            await asyncio.sleep(due - time.perf_counter())
            due = time.perf_counter()  # the timer's own lateness is not the server's
        tasks.append(asyncio.create_task(one(requests[i % len(requests)], due)))
        i += 1
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not idle.empty():
        idle.get_nowait().close()
    return figures(latencies, errors, elapsed)
