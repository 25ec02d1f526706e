"""What the browser tests share: Debian's Chromium, where screenshots go, and a live server.

``serving`` runs a real ``academy serve`` (``bench._harness``); the ``live`` fixture
(tests/web/conftest.py) loads the demo catalogue into one and issues a credential.
"""

from __future__ import annotations

import gc
import socket
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench._harness import Server, server

__all__ = ["ARTIFACTS", "launch_chromium", "serving"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str] | None = None) -> Iterator[Server]:
    """``bench._harness.server`` (``env`` added to its environment), closed quietly: the
    harness leaves the server's stderr pipe to the garbage collector, whose ResourceWarning
    would be an error here."""
    stack = ExitStack()
    try:
        yield stack.enter_context(server(port=_free_port(), env=env))
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            stack.close()
            gc.collect()


async def launch_chromium(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium "
                    "(apt-get update && apt-get install -y chromium; `make test` does this)")
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
