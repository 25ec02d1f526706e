"""Helpers that test modules import (a conftest is for fixtures, not for importing)."""

from __future__ import annotations

__all__ = ["TEST_SECRET", "bearer", "with_database"]

TEST_SECRET = "test-secret-key-not-for-production-0123456789"


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name (the query may hold a socket path)."""
    base, sep, query = url.partition("?")
    return f"{base.rpartition('/')[0]}/{name}{sep}{query}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
