"""A database outage fails fast with 503 problem documents, and the pool recovers by itself."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from api.app import create_app
from api.db import make_engine, run_migrations
from api.embedded import EmbeddedPostgres
from api.settings import load_settings
from tests.client import AppClient
from tests.conftest import TEST_SECRET, bearer
from tests.credentials.support import committed_issuer, request_body


@pytest.fixture
async def own_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = EmbeddedPostgres(tmp_path / "outage")
    url = await asyncio.to_thread(server.start)
    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(run_migrations)
        await conn.commit()
    await engine.dispose()
    yield server, url
    await asyncio.to_thread(server.destroy)


async def test_outage_gives_503_then_recovers(own_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server, url = own_server
    settings = load_settings(env={}, data_dir=tmp_path, database_url=url, secret_key=TEST_SECRET,
                             harvest_in_background=False)
    app = create_app(settings)
    async with AppClient(app) as client:
        key = await committed_issuer(app, client)
        doc = {"type": "other", "title": {"nl": "Proef"}}
        url_ = "/api/v1/institutions/ucll/courses/OUT-1"
        assert (await client.put(url_, json=doc, headers=bearer(key))).status_code == 201

        batch = [{**doc, "code": f"OUT-B{i}"} for i in range(50)]
        await asyncio.to_thread(server.stop)
        attempts = [
            client.get("/ready"),
            client.put(url_, json={**doc, "ects": 3}, headers=bearer(key)),
            client.post("/api/v1/institutions/ucll/courses/batch", json=batch, headers=bearer(key)),
            client.post("/api/v1/institutions/ucll/credentials", json=request_body(),
                        headers=bearer(key)),
        ]
        for attempt in attempts:
            started = time.monotonic()
            r = await attempt
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert time.monotonic() - started < 10  # fails fast, no hang
        assert (await client.get("/health")).status_code == 200

        await asyncio.to_thread(server.start)
        assert (await client.get("/ready")).status_code == 200
        r = await client.get(url_, headers=bearer(key))
        assert r.status_code == 200 and r.json().get("ects") is None  # the failed write left nothing
        listed = (await client.get("/api/v1/institutions/ucll/courses", params={"limit": 100},
                                   headers=bearer(key))).json()
        assert not [c for c in listed["items"] if c["code"].startswith("OUT-B")]  # no half batch
        r = await client.post("/api/v1/institutions/ucll/credentials", json=request_body(),
                              headers=bearer(key))
        assert r.status_code == 201, r.text  # issuance works again without a restart
