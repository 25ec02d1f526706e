"""uvicorn's HTTP/1.1 protocol with one socket write per response instead of two.

uvicorn writes a response's status line and headers as soon as the app sends
``http.response.start``, and the body with ``http.response.body``: two ``write`` calls,
two TCP segments, and for the client two wake-ups. On loopback in a VM each costs tens
of microseconds of kernel time on both sides, a fifth of what a small JSON answer costs
the whole server (BENCHMARKS.md, OpenID4VCI). :class:`CoalescingTransport` holds what is
written during one pass of the event loop and hands it to the socket once, at the end of
that pass (the header and body of a response are sent in the same pass); it hands it on
at once past :data:`FLUSH_BYTES`, so a streamed body still meets the socket's back
pressure. Everything else is uvicorn's own code, configured with ``http=`` (a documented
``uvicorn.Config`` option).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["FLUSH_BYTES", "CoalescingHttpProtocol", "CoalescingTransport"]

FLUSH_BYTES = 64 * 1024


class CoalescingTransport:
    """A transport whose writes within one event-loop pass reach the socket as one."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._pending.clear()
            self._size = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        # Reading, flow control, extra info, ... are the socket transport's own.
        return getattr(self._transport, name)


class CoalescingHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
