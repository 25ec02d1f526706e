"""The `academy` command line against the test database (as a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import bearer

ACADEMY = str(Path(sys.executable).parent / "academy")


def academy(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ACADEMY_DATA_DIR": str(tmp_path)}
    return subprocess.run([ACADEMY, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_key_lifecycle(client, database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    created = academy(database_url, tmp_path, "keys", "create", "--institution", "vives",
                      "--scopes", "publish")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("acad_")
    url = "/api/v1/institutions/vives/courses"
    assert (await client.get(url, headers=bearer(key))).status_code == 200

    listed = academy(database_url, tmp_path, "keys", "list")
    assert "vives" in listed.stdout and key.split("_", 2)[2] not in listed.stdout  # the secret
    key_id = next(line.split()[0] for line in listed.stdout.splitlines() if "vives" in line)
    revoked = academy(database_url, tmp_path, "keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert (await client.get(url, headers=bearer(key))).status_code == 401


async def test_bad_cli_input_says_what_to_do(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = academy(database_url, tmp_path, "keys", "create", "--institution", "harvard",
                     "--scopes", "publish")
    assert result.returncode != 0 and "harvard" in result.stderr
    result = academy(database_url, tmp_path, "keys", "create", "--institution", "ucll",
                     "--scopes", "root")
    assert result.returncode != 0 and "scopes" in result.stderr


def test_serve_with_two_workers_shares_one_embedded_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without DATABASE_URL, ``serve --workers 2`` starts the embedded PostgreSQL once, both
    workers answer on it, and stopping the server stops it."""
    import re
    import signal
    import time

    import httpx

    from tests.api.live import free_port
    from tests.conftest import TEST_SECRET

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ACADEMY_DATA_DIR=str(tmp_path), ACADEMY_SECRET_KEY=TEST_SECRET,
               ACADEMY_BACKGROUND_HARVEST="0", ACADEMY_LOG_LEVEL="WARNING",
               ACADEMY_SEARCH_RATE_PER_MINUTE="10")
    tables = set(Path("/dev/shm").glob("academy-rates-*"))
    upgrade = subprocess.run([ACADEMY, "db", "upgrade"], env=env, capture_output=True,
                             text=True, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([ACADEMY, "serve", "--workers", "2", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "academy serve --workers 2 never became ready"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        def listening() -> set[str]:  # the processes with a listening socket on the port
            out = subprocess.run(["ss", "-Hltnp", f"( sport = :{port} )"], capture_output=True,
                                 text=True).stdout
            return set(re.findall(r"pid=(\d+)", out))

        workers = listening()
        assert len(workers) == 2, workers  # a socket each
        killed = workers.pop()
        os.kill(int(killed), signal.SIGKILL)  # a worker dies: the supervisor replaces it
        deadline = time.monotonic() + 60
        while (now := listening()) == workers or killed in now or len(now) < 2:
            assert time.monotonic() < deadline, f"no worker replaced {killed}: {now}"
            time.sleep(0.2)
        for _ in range(6):  # fresh connections, spread over the workers by the kernel
            r = httpx.get(f"http://127.0.0.1:{port}/api/v1/courses", params={"q": "zorg"})
            assert r.status_code == 200, r.text
        # one limit over both workers: 6 searches so far, 4 more allowed, whichever worker
        statuses = [httpx.get(f"http://127.0.0.1:{port}/api/v1/courses").status_code
                    for _ in range(6)]
        assert statuses == [200] * 4 + [429] * 2, statuses
        assert (tmp_path / "pgdata" / "postmaster.pid").exists()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
    assert set(Path("/dev/shm").glob("academy-rates-*")) == tables  # the shared table is gone


def test_serve_with_workers_stops_when_the_app_cannot_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Workers that fail their start-up (here: a table the search index needs is gone; a
    database never migrated is migrated by serve itself, see test_startup.py) are not
    restarted forever: the server says so and exits with uvicorn's start-up failure code."""
    from api.embedded import EmbeddedPostgres
    from tests.api.live import free_port
    from tests.conftest import TEST_SECRET

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ACADEMY_DATA_DIR=str(tmp_path), ACADEMY_SECRET_KEY=TEST_SECRET,
               ACADEMY_BACKGROUND_HARVEST="0", ACADEMY_LOG_LEVEL="WARNING")
    subprocess.run([ACADEMY, "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=180)
    broken = EmbeddedPostgres(tmp_path)
    broken.start()
    broken.psql("DROP TABLE search_state CASCADE", "academy")
    broken.stop()
    result = subprocess.run([ACADEMY, "serve", "--workers", "2", "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "could not start" in result.stderr
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()
