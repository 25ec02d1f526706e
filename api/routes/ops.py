"""Liveness and readiness."""

from __future__ import annotations

import logging

from litestar import Controller, Request, get
from litestar.response import Response
from sqlalchemy import text

from api.access import PUBLIC, access
from api.errors import problem

__all__ = ["OpsController"]

log = logging.getLogger("academy.ops")


class OpsController(Controller):
    include_in_schema = True
    tags = ["operations"]

    @get("/health", opt=access(PUBLIC), summary="The process is alive",
         description="For a liveness probe: answers 200 while the process serves requests, "
                     "without touching the database.")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", opt=access(PUBLIC), summary="The database is reachable",
         description="For a readiness probe: 200 once a query reaches PostgreSQL, 503 with "
                     "Retry-After when it does not.")
    async def ready(self, request: Request) -> Response:
        for attempt in (1, 2):  # a pooled connection may predate a restart: retry once
            try:
                async with request.app.state.session_factory() as session:
                    await session.execute(text("SELECT 1"))
                return Response({"status": "ready"})
            except Exception:  # noqa: BLE001 - any failure means not ready
                if attempt == 2:
                    log.warning("not ready", exc_info=True)
        return problem(503, "The database is not reachable.", headers={"Retry-After": "5"},
                       request=request)
