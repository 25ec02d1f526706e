"""A real ``academy serve`` in a subprocess, on its own migrated database with the demo catalogue.

For tests that must see the server as clients do (schemathesis, secrets in process output):
the database is a fresh one on the test session's PostgreSQL, keys come from the CLI.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

from api.db import make_engine
from tests.conftest import TEST_SECRET, with_database

__all__ = ["LiveServer", "academy", "live_server"]

ROOT = Path(__file__).resolve().parents[2]
ACADEMY = str(Path(sys.executable).parent / "academy")


@dataclass
class LiveServer:
    base: str
    env: dict[str, str]
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    public: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)  # of CLI runs and, at the end, the server

    def academy(self, *args: str) -> str:
        result = academy(self.env, *args)
        self.outputs += [result.stdout, result.stderr]
        return result.stdout

    def key(self, institution: str, scopes: str) -> str:
        return self.academy("keys", "create", "--institution", institution,
                            "--scopes", scopes).strip().splitlines()[-1]


def academy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([ACADEMY, *args], env=env, capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"academy {' '.join(args)} failed: {result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def live_server(database_url: str, data_dir: Path, *, demo: bool = True,
                      log_level: str = "WARNING", public_scheme: str = "http",
                      env_overrides: dict[str, str] | None = None) -> AsyncIterator[LiveServer]:
    """Serve a fresh database (made next to ``database_url``) until the block ends.

    ``public_scheme="https"``: the public base URL (ids, did:web, status lists) is https, as
    behind the TLS proxy of production, while the server itself listens on loopback http
    (``LiveServer.public`` is that https URL, ``LiveServer.base`` the one to connect to)."""
    name = f"academy_live_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = with_database(database_url, name)
    port = free_port()
    # PYTHONPATH: the repository's packages, installed or not yet listed in pyproject.toml.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url,
           "ACADEMY_DATA_DIR": str(data_dir),
           "ACADEMY_SECRET_KEY": TEST_SECRET,
           "ACADEMY_BASE_URL": f"{public_scheme}://127.0.0.1:{port}",
           "ACADEMY_BACKGROUND_HARVEST": "0", "ACADEMY_LOG_LEVEL": log_level,
           "ACADEMY_SEARCH_RATE_PER_MINUTE": "0", "ACADEMY_WRITE_RATE_PER_MINUTE": "0",
           "ACADEMY_VERIFY_RATE_PER_MINUTE": "0",
           **(env_overrides or {})}
    academy(env, "db", "upgrade")
    if demo:
        academy(env, "demo", "load")
    log_path = data_dir / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([ACADEMY, "serve", "--port", str(port)], env=env, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", env, url, process, log_path,
                        public=f"{public_scheme}://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"{server.base}/ready", timeout=2)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("academy serve did not become ready:\n"
                                       + log_path.read_text(errors="replace")[-2000:])
                await asyncio.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.outputs.append(log_path.read_text(errors="replace"))
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
