"""`academy serve` as a newcomer meets it: a fresh data directory, an unmigrated database,
a start that fails. No traceback, no PostgreSQL left running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from api.db import make_engine
from tests.conftest import TEST_SECRET, with_database

ROOT = Path(__file__).resolve().parents[2]
ACADEMY = str(Path(sys.executable).parent / "academy")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "PYTHONPATH": str(ROOT), "ACADEMY_DATA_DIR": str(data_dir),
            "ACADEMY_SECRET_KEY": TEST_SECRET, "ACADEMY_BACKGROUND_HARVEST": "0", **extra}


def _postgres_running(data_dir: Path) -> bool:
    return (data_dir / "pgdata" / "postmaster.pid").exists()


def test_serve_on_a_fresh_data_dir_migrates_and_says_where_to_go(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([ACADEMY, "serve", "--port", str(port)], env=_env(tmp_path),
                                   stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while "Academy is ready" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10).status_code == 200
        said = log.read_text()
        assert f"http://127.0.0.1:{port}/schema" in said and "keys create" in said
        assert "Traceback" not in said
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert not _postgres_running(tmp_path)


def test_serve_refuses_an_unmigrated_database_in_one_line(tmp_path: Path, database_url: str) -> None:
    name = f"academy_empty_{uuid.uuid4().hex[:8]}"
    import asyncio

    async def create() -> None:
        admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()

    asyncio.run(create())
    done = subprocess.run([ACADEMY, "serve", "--port", str(_free_port())],
                          env=_env(tmp_path, DATABASE_URL=with_database(database_url, name)),
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert "database not migrated" in done.stderr and "academy db upgrade" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_failed_start_leaves_no_postgres_running(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([ACADEMY, "serve", "--port", str(port)], env=_env(tmp_path),
                              capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode != 0, done.stderr
    assert (tmp_path / "pgdata" / "PG_VERSION").exists()  # it did start one
    assert not _postgres_running(tmp_path)
