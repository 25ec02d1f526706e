"""Settings, read once from the environment inside ``create_app`` or the CLI."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

__all__ = ["Settings", "load_settings"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_MAX_BODY = 20 * 1024 * 1024


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None
    data_dir: Path
    base_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = DEFAULT_MAX_BODY
    harvest_in_background: bool = True
    search_rate_per_minute: int = 6000
    write_rate_per_minute: int = 6000
    verify_rate_per_minute: int = 1000  # credentials a client may have verified a minute
    verify_deadline_seconds: float = 10.0
    verify_workers: int = 2
    log_level: str = "INFO"
    offer_ttl_seconds: int = 600


def _secret_key(data_dir: Path, env: Mapping[str, str]) -> str:
    """The key that encrypts signing keys at rest; generated into the data dir for local use."""
    if key := env.get("ACADEMY_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    env = os.environ if env is None else env
    data_dir = Path(env.get("ACADEMY_DATA_DIR", "./.academy")).expanduser().resolve()
    values: dict[str, object] = {
        "database_url": env.get("DATABASE_URL") or None,
        "data_dir": data_dir,
        "base_url": env.get("ACADEMY_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
        "host": env.get("ACADEMY_HOST", "127.0.0.1"),
        "port": int(env.get("ACADEMY_PORT", "8000")),
        "max_body_bytes": int(env.get("ACADEMY_MAX_BODY_BYTES", DEFAULT_MAX_BODY)),
        "harvest_in_background": env.get("ACADEMY_BACKGROUND_HARVEST", "1") != "0",
        "search_rate_per_minute": int(env.get("ACADEMY_SEARCH_RATE_PER_MINUTE", 6000)),
        "write_rate_per_minute": int(env.get("ACADEMY_WRITE_RATE_PER_MINUTE", 6000)),
        "verify_rate_per_minute": int(env.get("ACADEMY_VERIFY_RATE_PER_MINUTE", 1000)),
        "verify_deadline_seconds": float(env.get("ACADEMY_VERIFY_DEADLINE_SECONDS", 10)),
        "verify_workers": int(env.get("ACADEMY_VERIFY_WORKERS", 2)),
        "log_level": env.get("ACADEMY_LOG_LEVEL", "INFO"),
        "offer_ttl_seconds": int(env.get("ACADEMY_OFFER_TTL_SECONDS", 600)),
    }
    values.update(overrides)
    if "secret_key" not in values:
        values["secret_key"] = _secret_key(data_dir, env)
    return Settings(**values)  # type: ignore[arg-type]
