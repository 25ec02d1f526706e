"""Shared benchmark plumbing: a fresh embedded database, a real server in a subprocess, keys."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

__all__ = ["Server", "machine", "server", "wait_ready"]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


class Server:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.pid: int | None = None  # of the serving process, once started
        self.env = {**os.environ, "ACADEMY_DATA_DIR": str(data_dir), "ACADEMY_LOG_LEVEL": "WARNING",
                    "ACADEMY_BASE_URL": self.base, "ACADEMY_BACKGROUND_HARVEST": "0",
                    "ACADEMY_SEARCH_RATE_PER_MINUTE": "100000000",
                    "ACADEMY_WRITE_RATE_PER_MINUTE": "100000000",
                    "ACADEMY_VERIFY_RATE_PER_MINUTE": "100000000"}
        self.env.pop("DATABASE_URL", None)

    def academy(self, *args: str) -> str:
        out = subprocess.run([str(BIN / "academy"), *args], env=self.env, check=True,
                             capture_output=True, text=True, cwd=ROOT)
        return out.stdout

    def key(self, institution: str, scopes: str) -> str:
        return self.academy("keys", "create", "--institution", institution, "--scopes", scopes
                            ).strip().splitlines()[-1]

    def database_url(self) -> str:
        from api.embedded import EmbeddedPostgres

        return EmbeddedPostgres(self.data_dir).url("academy")


def wait_ready(base: str, seconds: float) -> None:
    """Poll /ready until the server answers 200, or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


@contextmanager
def server(port: int = 8765, keep: bool = False, *, launcher: Sequence[str] = (),
           env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """A migrated, empty database in a temporary data dir and `academy serve` on it.

    ``launcher`` replaces the ``academy`` executable (e.g. ``bench/memtrace.py ... --``);
    ``env`` adds to the server's environment."""
    data_dir = Path(tempfile.mkdtemp(prefix="academy-bench-"))
    srv = Server(data_dir, port)
    srv.env.update(env or {})
    srv.academy("db", "upgrade")
    command = [*(launcher or [str(BIN / "academy")]), "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=srv.env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv.pid = proc.pid
    try:
        wait_ready(srv.base, 60)
        yield srv
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if not keep:
            from api.embedded import EmbeddedPostgres

            EmbeddedPostgres(data_dir).stop()
            shutil.rmtree(data_dir, ignore_errors=True)
