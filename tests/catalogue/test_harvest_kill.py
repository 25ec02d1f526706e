"""A harvest killed mid-run leaves the catalogue exactly as it was before that run.

``academy harvest`` runs as a real process against a loopback feed and is sent SIGKILL
while it writes (an INSERT into ``course`` is seen running); nothing of that run may
remain: no course, offering, withdrawal or run record. The next run then completes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import make_engine
from tests.feeds import Feed, feed_server

ACADEMY = str(Path(sys.executable).parent / "academy")
COURSES = 20_000  # enough that storing takes seconds on a small box
TABLES = ("course", "offering", "harvest_run", "harvest_source")


def feed_body(version: int, count: int) -> bytes:
    docs = [{
        "code": f"K-{i:05d}", "type": "module",
        "title": {"en": f"Course {i} version {version}", "nl": f"Cursus {i} versie {version}"},
        "description": {"en": "A course harvested from a partner feed. " * 4},
        "ects": 3 + version, "languages": ["nl", "en"],
        "offerings": [{"code": f"O-{i}-{version}", "start_date": "2027-02-01",
                       "end_date": "2027-06-30", "city": "Leuven"}],
    } for i in range(count)]
    return json.dumps(docs).encode()


@pytest.fixture
async def database(committed_app: Litestar) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url = committed_app.state.settings.database_url
    engine = make_engine(url)
    yield url, engine
    await engine.dispose()


@pytest.fixture
def feed() -> Any:
    with feed_server() as served:
        yield served


def academy(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ACADEMY, *args], env=_env(url, data_dir), capture_output=True,
                          text=True, timeout=300)


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "ACADEMY_DATA_DIR": str(data_dir),
            "ACADEMY_LOG_LEVEL": "WARNING",
            # a loopback feed over http: allowed for tests and development only
            "ACADEMY_HARVEST_ALLOW_PRIVATE": "1", "ACADEMY_HARVEST_ALLOW_HTTP": "1"}


async def catalogue(engine: AsyncEngine) -> dict[str, tuple[int, str]]:
    """Row count and checksum of each table a harvest touches."""
    found = {}
    async with engine.connect() as conn:
        for table in TABLES:
            row = (await conn.execute(text(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f"FROM {table} t"))).one()
            found[table] = (int(row[0]), str(row[1]))
    return found


async def writing(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return bool(await conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' "
            "AND query ILIKE '%INSERT INTO course%'")))


async def other_sessions(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) or 0)


async def test_a_harvest_killed_while_writing_leaves_the_catalogue_as_before(
        database: tuple[str, AsyncEngine], feed: Feed, tmp_path: Path) -> None:
    url, engine = database
    feed.serve("/feed.json", "application/json", feed_body(1, COURSES))
    made = academy(url, tmp_path, "sources", "set", "--institution", "ucll", "nightly",
                   "--type", "json", "--location", f"{feed.base_url}/feed.json")
    assert made.returncode == 0, made.stderr
    first = academy(url, tmp_path, "harvest", "--institution", "ucll", "--timeout", "120")
    assert first.returncode == 0, first.stdout + first.stderr
    before = await catalogue(engine)
    assert before["course"][0] == COURSES

    # The next run changes every course and drops a tenth of them: were any of it kept,
    # the checksums would show it.
    feed.serve("/feed.json", "application/json", feed_body(2, COURSES * 9 // 10))
    process = subprocess.Popen([ACADEMY, "harvest", "--institution", "ucll", "--timeout", "120"],
                               env=_env(url, tmp_path), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not await writing(engine):
            assert process.poll() is None, "the harvest finished before it could be killed"
            assert time.monotonic() < deadline, "the harvest never started writing"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # well inside the write: several chunks along
        assert process.poll() is None, "the harvest finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # PostgreSQL rolls the transaction back once it sees the connection gone.
    deadline = time.monotonic() + 30
    while await other_sessions(engine) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert await catalogue(engine) == before

    again = academy(url, tmp_path, "harvest", "--institution", "ucll", "--timeout", "120")
    assert again.returncode == 0, again.stdout + again.stderr
    async with engine.connect() as conn:
        live = await conn.scalar(text("SELECT count(*) FROM course WHERE NOT withdrawn"))
        titles = await conn.scalar(text(
            "SELECT count(*) FROM course WHERE document->'title'->>'en' LIKE '%version 2'"))
    assert live == titles == COURSES * 9 // 10
