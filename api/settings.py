"""Settings, read once from the environment inside ``create_app`` or the CLI."""

from __future__ import annotations

import ipaddress
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
    log_level: str = "INFO"
    harvest_allow_http: bool = False
    harvest_private_networks: tuple[str, ...] = ()
    harvest_deadline_seconds: float = 600.0
    harvest_max_bytes: int = 64 * 1024 * 1024
    harvest_max_items: int = 50_000


def _private_networks(value: str) -> tuple[str, ...]:
    """``ACADEMY_HARVEST_ALLOW_PRIVATE``: ``1`` exempts every address, or a list of networks."""
    value = value.strip()
    if value in ("", "0", "false", "no"):
        return ()
    if value in ("1", "true", "yes"):
        return ("0.0.0.0/0", "::/0")
    try:
        return tuple(str(ipaddress.ip_network(n.strip(), strict=False))
                     for n in value.split(",") if n.strip())
    except ValueError as exc:
        raise ValueError(f"ACADEMY_HARVEST_ALLOW_PRIVATE: {exc} (expected 1, or networks "
                         "such as 10.1.0.0/16,fd00::/8)") from None


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
        "log_level": env.get("ACADEMY_LOG_LEVEL", "INFO"),
        "harvest_allow_http": env.get("ACADEMY_HARVEST_ALLOW_HTTP", "0") in ("1", "true", "yes"),
        "harvest_private_networks": _private_networks(env.get("ACADEMY_HARVEST_ALLOW_PRIVATE", "")),
        "harvest_deadline_seconds": float(env.get("ACADEMY_HARVEST_DEADLINE_SECONDS", 600)),
        "harvest_max_bytes": int(env.get("ACADEMY_HARVEST_MAX_BYTES", 64 * 1024 * 1024)),
        "harvest_max_items": int(env.get("ACADEMY_HARVEST_MAX_ITEMS", 50_000)),
    }
    values.update(overrides)
    if "secret_key" not in values:
        values["secret_key"] = _secret_key(data_dir, env)
    return Settings(**values)  # type: ignore[arg-type]
