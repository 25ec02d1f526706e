"""A pytest plugin: no plaintext API key or learner token appears in the logs of a test run.

Every key ``api.access.create_key`` and every token ``credentials.learners.create_token``
hands out during the run (``make_key`` included) is remembered; every log record of the
run is kept (the root logger's records, with their tracebacks). At the end of the session
the records are searched for the secrets; a hit fails the run and names the logger.
Registered from ``tests/conftest.py`` with ``pytest_plugins = ["tests.conftest_secrets"]``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from functools import wraps
from typing import Any

import pytest

__all__ = ["LogCapture", "leaks", "secret_parts"]


def secret_parts(secret: str) -> list[str]:
    """What must never be logged of a key or token: the key's secret part, or the token."""
    if secret.startswith("acad_"):
        return [secret.split("_", 2)[2]]
    return [secret]


def leaks(secrets: Iterable[str], texts: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(where, secret prefix) for every secret found in ``texts`` of (where, text) pairs."""
    parts = {part for secret in secrets for part in secret_parts(secret) if len(part) >= 16}
    return [(where, part[:8] + "...") for where, text in texts for part in parts if part in text]


class LogCapture(logging.Handler):
    """Keeps every record it sees, formatted with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is still worth searching
            text = f"{record.msg} {record.args}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        extra = " ".join(f"{k}={v}" for k, v in record.__dict__.items()
                         if k not in _STANDARD)
        self.texts.append((record.name, f"{text} {record.exc_text or ''} {extra}"))


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class _SecretWatch:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.capture = LogCapture()
        self.patched: list[tuple[Any, str, Any]] = []

    def remember(self, module: Any, name: str, pick: Any) -> None:
        original = getattr(module, name)

        @wraps(original)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = await original(*args, **kwargs)
            self.secrets.append(pick(result))
            return result

        # Also where it was imported by name before this plugin started.
        for holder in [m for m in list(sys.modules.values()) if m is not None]:
            if getattr(holder, name, None) is original:
                setattr(holder, name, wrapper)
                self.patched.append((holder, name, original))

    def start(self) -> None:
        import api.access

        self.remember(api.access, "create_key", lambda result: result[1])
        try:
            import credentials.learners
        except ImportError:  # learners not built yet
            pass
        else:
            self.remember(credentials.learners, "create_token", lambda result: result.token)
        logging.getLogger().addHandler(self.capture)

    def stop(self) -> None:
        logging.getLogger().removeHandler(self.capture)
        for module, name, original in reversed(self.patched):
            setattr(module, name, original)


_watch = _SecretWatch()


def pytest_configure(config: pytest.Config) -> None:
    _watch.start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _watch.stop()
    found = leaks(_watch.secrets, _watch.capture.texts)
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "plaintext secrets in the logs", red=True)
            for where, secret in sorted(set(found)):
                reporter.write_line(f"logger {where!r} logged secret {secret}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def remembered_secrets() -> list[str]:
    """The plaintext keys and tokens created so far in this run."""
    return _watch.secrets
