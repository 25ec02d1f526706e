"""Litestar's AsyncTestClient, but on pytest-asyncio's loop (litestar#1920).

The stock client runs the app in a thread with its own loop, where asyncpg connections
bound to the test's transaction cannot be used. Requests go through httpx's ASGI transport
and the lifespan through asgi-lifespan, both on the current loop; the app is the real one.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from litestar import Litestar
from litestar.testing import AsyncTestClient

__all__ = ["AppClient"]


class AppClient(AsyncTestClient[Litestar]):
    def __init__(self, app: Litestar, client: tuple[str, int] = ("127.0.0.1", 50000), **kw: Any) -> None:
        super().__init__(app, **kw)
        self._transport = httpx.ASGITransport(app=app, client=client)  # type: ignore[assignment]
        self._lifespan = LifespanManager(app, startup_timeout=60, shutdown_timeout=60)

    def from_address(self, host: str) -> None:
        """Send the following requests as if from another client IP."""
        self._transport = httpx.ASGITransport(app=self.app, client=(host, 50000))  # type: ignore[assignment]

    async def __aenter__(self) -> AppClient:
        await self._lifespan.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._lifespan.__aexit__(exc_type, exc, tb)
        await self.aclose()
