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
    assert "vives" in listed.stdout and key.split("_")[2] not in listed.stdout
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
