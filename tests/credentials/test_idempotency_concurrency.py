"""Fifty concurrent retries of one issuance with the same Idempotency-Key give one credential."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.client import AppClient
from tests.conftest import bearer
from tests.credentials.support import committed_issuer, request_body


async def test_fifty_concurrent_retries_make_one_credential(committed_app) -> None:  # type: ignore[no-untyped-def]
    async with AppClient(committed_app) as client:
        key = await committed_issuer(committed_app, client)
        headers = {**bearer(key), "Idempotency-Key": "retry-7f3c"}
        responses = await asyncio.gather(*(
            client.post("/api/v1/institutions/ucll/credentials", json=request_body(), headers=headers)
            for _ in range(50)
        ))
        assert {r.status_code for r in responses} <= {200, 201}, {r.status_code for r in responses}
        assert len({r.content for r in responses}) == 1  # the same bytes for every retry
        async with committed_app.state.session_factory() as s:
            count = await s.scalar(text("SELECT count(*) FROM credential"))
        assert count == 1
        other = await client.post("/api/v1/institutions/ucll/credentials",
                                  json=request_body(participation="online"), headers=headers)
        assert other.status_code == 409
