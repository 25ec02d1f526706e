"""One partner key cannot take the API down through harvesting.

A few KB of gzip that expand to megabytes of ``[{}, ...]``, a feed with too many items, a
feed that never finishes, and many manual runs of a slow feed at once: each run fails (or
waits its turn) within its bounds, in the harvest worker, while the API answers.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.app import create_app
from api.db import make_engine
from api.settings import Settings, load_settings
from catalogue.harvest import (
    ALLOW_ALL,
    FeedError,
    FetchPolicy,
    claim_run,
    fetch_documents,
    put_source,
    reap_stale_runs,
    work_queue,
)
from tests.client import AppClient
from tests.feeds import Feed, feed_server
from tests.support import TEST_SECRET, bearer, migrated_database

BASE = "/api/v1/institutions/ucll"
LOOPBACK = {"ACADEMY_HARVEST_ALLOW_PRIVATE": "1", "ACADEMY_HARVEST_ALLOW_HTTP": "1"}
POLICY = FetchPolicy(allow_http=True, private_networks=ALLOW_ALL)
FINAL = {"succeeded", "failed", "empty", "partial"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(env=LOOPBACK, data_dir=tmp_path, database_url=database_url,
                         secret_key=TEST_SECRET, harvest_in_background=False)


@pytest.fixture
async def ucll(make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(await make_key("ucll", "publish"))


@pytest.fixture
def feed() -> Iterator[Feed]:
    with feed_server() as served:
        yield served


def bomb(size: int) -> bytes:
    return gzip.compress(b"[" + b"{}, " * (size // 4) + b"{}]", compresslevel=9)


async def harvest(client, headers, session_factory, name: str, url: str,  # type: ignore[no-untyped-def]
                  policy: FetchPolicy = POLICY) -> dict[str, Any]:
    async with session_factory() as session:
        await put_source(session, "ucll", name, "json", url, 60, policy=policy)
        await session.commit()
    queued = await client.post(f"{BASE}/sources/{name}/run", headers=headers)
    assert queued.status_code == 202, queued.text
    await work_queue(session_factory, policy)
    return (await client.get(queued.headers["location"], headers=headers)).json()


async def test_a_gzip_bomb_fails_at_a_cap(client, ucll, feed, session_factory) -> None:  # type: ignore[no-untyped-def]
    body = bomb(6 * 1024 * 1024)
    assert len(body) < 10_000  # the 6 KB that expands to 6 MB
    url = feed.serve("/bomb.json", "application/json", body, encoding="gzip")
    run = await harvest(client, ucll, session_factory, "bomb", url)
    assert run["status"] == "failed" and run["counts"]["created"] == 0
    assert "more than 50000 items" in run["errors"][0]["message"]  # the first cap it meets

    text = b'[{"code": "LONG", "description": {"en": "' + b"a" * 6_000_000 + b'"}}]'
    url = feed.serve("/one.json", "application/json", gzip.compress(text), encoding="gzip")
    run = await harvest(client, ucll, session_factory, "one", url)
    assert run["status"] == "failed" and run["counts"]["created"] == 0
    assert "expands more than 100 times" in run["errors"][0]["message"]


async def test_a_bomb_is_never_inflated_in_memory(feed) -> None:  # type: ignore[no-untyped-def]
    """256 MB of one string in 250 KB of gzip: read and refused within a few MB of memory."""
    body = b'["' + b"a" * (256 * 1024 * 1024) + b'"]'
    url = feed.serve("/big.json", "application/json", gzip.compress(body, 9), encoding="gzip")
    del body
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match="expands more than"):
            await fetch_documents("json", url, {}, policy=POLICY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, peak


async def test_a_bomb_in_a_redirect_is_not_read(feed) -> None:  # type: ignore[no-untyped-def]
    target = feed.serve("/feed.json", "application/json", b"[]")
    body = gzip.compress(b" " * (256 * 1024 * 1024), 9)
    start = feed.redirect("/moved", target, gzipped_body=body)
    del body
    tracemalloc.start()
    try:
        assert await fetch_documents("json", start, {}, policy=POLICY) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, peak
    assert feed.requests == ["/moved", "/feed.json"]


async def test_items_and_bytes_are_capped(client, ucll, feed, session_factory) -> None:  # type: ignore[no-untyped-def]
    many = feed.serve("/many.json", "application/json", b"[" + b"{}," * 60_000 + b"{}]")
    run = await harvest(client, ucll, session_factory, "many", many)
    assert run["status"] == "failed" and "more than 50000 items" in run["errors"][0]["message"]

    small = msgspec.structs.replace(POLICY, max_bytes=100_000)
    big = feed.serve("/big.csv", "text/csv", b"code,type\n" + b"C-1,module\n" * 20_000)
    with pytest.raises(FeedError, match="larger than 100000 bytes"):
        await fetch_documents("csv", big, {}, policy=small)
    plain = gzip.compress(b"code,type\n" + b"C-1,module\n" * 20_000)
    zipped = feed.serve("/big.csv.gz", "text/csv", plain, encoding="gzip")
    with pytest.raises(FeedError, match="larger than 100000 bytes|expands more than"):
        await fetch_documents("csv", zipped, {}, policy=small)


async def test_a_run_stops_at_its_deadline(client, ucll, feed, session_factory) -> None:  # type: ignore[no-untyped-def]
    url = feed.serve("/slow.json", "application/json", b"[]")
    release = feed.hold()  # the feed answers only once released: slower than any deadline
    try:
        short = msgspec.structs.replace(POLICY, deadline=0.5)
        run = await harvest(client, ucll, session_factory, "slow", url, short)
    finally:
        release.set()
    assert run["status"] == "failed" and "longer than 0.5 s" in run["errors"][0]["message"]


async def test_a_run_whose_worker_died_is_failed_and_frees_its_source(  # type: ignore[no-untyped-def]
        client, ucll, feed, session_factory) -> None:
    url = feed.serve("/ok.json", "application/json", b"[]")
    async with session_factory() as session:
        await put_source(session, "ucll", "orphan", "json", url, 60, policy=POLICY)
        await session.commit()
    queued = (await client.post(f"{BASE}/sources/orphan/run", headers=ucll)).json()
    # A worker takes the run and dies: its deadline (here already two minutes gone) passes.
    claimed = await claim_run(session_factory, msgspec.structs.replace(POLICY, deadline=-120))
    assert claimed is not None and claimed[0] == queued["id"]
    busy = await client.post(f"{BASE}/sources/orphan/run", headers=ucll)
    assert busy.status_code == 409 and busy.json()["run"] == queued["id"]
    assert await reap_stale_runs(session_factory) == 1
    run = (await client.get(f"{BASE}/harvests/{queued['id']}", headers=ucll)).json()
    assert run["status"] == "failed" and "stopped before finishing" in run["errors"][0]["message"]
    assert (await client.post(f"{BASE}/sources/orphan/run", headers=ucll)).status_code == 202


async def test_a_stopped_worker_puts_its_run_back_in_the_queue(  # type: ignore[no-untyped-def]
        client, ucll, feed, session_factory) -> None:
    url = feed.serve("/later.json", "application/json", b"[]")
    async with session_factory() as session:
        await put_source(session, "ucll", "later", "json", url, 60, policy=POLICY)
        await session.commit()
    queued = (await client.post(f"{BASE}/sources/later/run", headers=ucll)).json()
    release = feed.hold()
    try:
        worker = asyncio.create_task(work_queue(session_factory, POLICY))
        assert await asyncio.to_thread(feed.waiting.acquire, True, 60)  # fetching, held
        worker.cancel()  # the worker is stopped (SIGTERM) mid-run
        with pytest.raises(asyncio.CancelledError):
            await worker
    finally:
        release.set()
    run = (await client.get(f"{BASE}/harvests/{queued['id']}", headers=ucll)).json()
    assert (run["status"], run["started_at"]) == ("queued", None)
    assert await work_queue(session_factory, POLICY) == 1  # the next worker runs it
    run = (await client.get(f"{BASE}/harvests/{queued['id']}", headers=ucll)).json()
    assert run["status"] == "empty"


async def test_streamed_csv_keeps_quoted_newlines_and_rows(feed) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f'C-{i},module,"Titel {i}\nmet ""twee"" regels",{i % 7}\n' for i in range(5000))
    url = feed.serve("/rows.csv", "text/csv", ("\ufeffcode,type,title_nl,ects\r\n" + rows).encode())
    docs = await fetch_documents("csv", url, {}, policy=POLICY)
    assert len(docs) == 5000
    assert docs[4999]["title"] == {"nl": 'Titel 4999\nmet "twee" regels'} and docs[6]["ects"] == 6


# --------------------------------------------------------------------------- a real server

@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Litestar, str]]:
    """An app that commits for real and starts its own harvest worker process."""
    async with migrated_database(database_url, "academy_h") as url:
        settings = load_settings(env=LOOPBACK, data_dir=tmp_path, database_url=url,
                                 secret_key=TEST_SECRET, harvest_in_background=True)
        yield create_app(settings), url


async def test_many_manual_runs_of_a_slow_feed_leave_the_api_answering(served, feed) -> None:  # type: ignore[no-untyped-def]
    app, url = served
    feed_url = feed.serve("/slow.json", "application/json",
                          b'[{"code": "S-1", "type": "module", "title": {"en": "Slow"}}]')
    release = feed.hold()
    engine = make_engine(url)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with factory() as session:
            from api.access import create_key

            _, key = await create_key(session, "ucll", ["publish"])
            for i in range(25):
                await put_source(session, "ucll", f"slow-{i}", "json", feed_url, 60, policy=POLICY)
            await session.commit()
        headers = bearer(key)
        async with AppClient(app) as client:
            posts = [client.post(f"{BASE}/sources/slow-{i}/run", headers=headers) for i in range(25)]
            again = [client.post(f"{BASE}/sources/slow-0/run", headers=headers) for _ in range(10)]
            answers = await asyncio.gather(*posts, *again, client.get("/ready"))
            assert answers[-1].status_code == 200
            first, slow0 = answers[1:25], [answers[0], *answers[25:-1]]
            assert [r.status_code for r in first] == [202] * 24
            # One run at a time per source: one of the eleven requests for slow-0 queued it.
            accepted = [r for r in slow0 if r.status_code == 202]
            refused = [r for r in slow0 if r.status_code != 202]
            assert len(accepted) == 1 and {r.status_code for r in refused} == {409}
            assert {r.json()["run"] for r in refused} == {accepted[0].json()["id"]}
            assert refused[0].headers["content-type"].startswith("application/problem+json")
            first = [*accepted, *first]

            # The worker process has taken runs and is waiting on the feed: the API still
            # answers, and no connection sits in a transaction across those fetches.
            for _ in range(2):
                assert await asyncio.to_thread(feed.waiting.acquire, True, 60)
            async with engine.connect() as conn:
                waiting_since = await conn.scalar(text("SELECT clock_timestamp()"))
            assert (await client.get("/ready")).status_code == 200
            progress = (await client.get(first[0].headers["location"], headers=headers)).json()
            assert progress["status"] in ("queued", "running") and progress["progress"]
            async with engine.connect() as conn:
                held = await conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state = 'idle in transaction' AND xact_start < :since"),
                    {"since": waiting_since})
            assert held == 0
            release.set()

            deadline = time.monotonic() + 120
            ids = [r.json()["id"] for r in first]
            while True:
                runs = [(await client.get(f"{BASE}/harvests/{i}", headers=headers)).json()
                        for i in ids]
                if all(r["status"] in FINAL for r in runs) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert [r["status"] for r in runs] == ["succeeded"] * 25, runs
            assert runs[0]["progress"]["phase"] == "finished"
    finally:
        release.set()
        await engine.dispose()
