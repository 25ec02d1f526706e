"""Settings, read once from the environment inside ``create_app`` or the CLI."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
import string
from collections.abc import Mapping
from pathlib import Path

import msgspec

__all__ = ["MIN_SECRET_BITS", "SecretKeyTooWeak", "Settings", "check_secret_key", "load_settings",
           "secret_key_bits"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_MAX_BODY = 20 * 1024 * 1024
MIN_SECRET_BITS = 256
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/-_=")


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
    learner_token_hours: int = 24
    # Peers whose X-Forwarded-For is believed (the reverse proxies in front of us); nobody else's.
    trusted_proxies: tuple[str, ...] = ()
    harvest_allow_http: bool = False
    harvest_private_networks: tuple[str, ...] = ()
    harvest_deadline_seconds: float = 600.0
    harvest_max_bytes: int = 64 * 1024 * 1024
    harvest_max_items: int = 50_000
    offer_ttl_seconds: int = 600
    # Sign-in links asked a minute per client (and 3 per address: api.sessions); sessions' life.
    signin_rate_per_minute: int = 10
    learner_session_hours: int = 12
    # Mail (api.mail): None writes {data_dir}/outbox/*.eml instead of sending.
    smtp_url: str | None = None
    mail_from: str = "Academy <noreply@localhost>"
    mail_in_background: bool = True
    mail_max_attempts: int = 8
    mail_retry_seconds: float = 60.0


class SecretKeyTooWeak(ValueError):
    """``ACADEMY_SECRET_KEY`` carries less than 32 bytes of entropy."""


def secret_key_bits(key: str) -> float:
    """A conservative estimate of the key's entropy in bits.

    Each character counts for the smallest usual alphabet the whole key fits in (hex: 4
    bits, base64: 6, any other text: log2 of 95 printable characters), and never for more
    than the key's distinct characters allow, so ``"a" * 100`` or ``"abab..."`` count for
    little. A key from ``secrets.token_urlsafe(32)`` or ``openssl rand -hex 32`` passes.
    """
    chars = set(key)
    if chars <= _HEX:
        per = 4.0
    elif chars <= _BASE64:
        per = 6.0
    else:
        per = math.log2(95)
    if len(chars) < 8:  # a random key of 32+ characters has more: this is a pattern
        per = min(per, math.log2(max(len(chars), 1)))
    return len(key) * per


def check_secret_key(key: str) -> str:
    """``key``, or :class:`SecretKeyTooWeak` with what to do."""
    bits = secret_key_bits(key)
    if bits < MIN_SECRET_BITS:
        raise SecretKeyTooWeak(
            f"ACADEMY_SECRET_KEY is too weak (about {int(bits)} bits; at least {MIN_SECRET_BITS} "
            "bits, 32 random bytes, are needed). Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'  or  openssl rand -hex 32")
    return key


def _proxies(value: str) -> tuple[str, ...]:
    """``ACADEMY_TRUSTED_PROXIES``: comma-separated addresses or networks, checked here."""
    out = []
    for item in (v.strip() for v in value.split(",")):
        if item:
            try:
                out.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"ACADEMY_TRUSTED_PROXIES: {item!r} is not an IP address "
                                 "or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
    return tuple(out)



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
        "verify_rate_per_minute": int(env.get("ACADEMY_VERIFY_RATE_PER_MINUTE", 1000)),
        "verify_deadline_seconds": float(env.get("ACADEMY_VERIFY_DEADLINE_SECONDS", 10)),
        "verify_workers": int(env.get("ACADEMY_VERIFY_WORKERS", 2)),
        "log_level": env.get("ACADEMY_LOG_LEVEL", "INFO"),
        "learner_token_hours": int(env.get("ACADEMY_LEARNER_TOKEN_HOURS", 24)),
        "trusted_proxies": _proxies(env.get("ACADEMY_TRUSTED_PROXIES", "")),
        "harvest_allow_http": env.get("ACADEMY_HARVEST_ALLOW_HTTP", "0") in ("1", "true", "yes"),
        "harvest_private_networks": _private_networks(env.get("ACADEMY_HARVEST_ALLOW_PRIVATE", "")),
        "harvest_deadline_seconds": float(env.get("ACADEMY_HARVEST_DEADLINE_SECONDS", 600)),
        "harvest_max_bytes": int(env.get("ACADEMY_HARVEST_MAX_BYTES", 64 * 1024 * 1024)),
        "harvest_max_items": int(env.get("ACADEMY_HARVEST_MAX_ITEMS", 50_000)),
        "offer_ttl_seconds": int(env.get("ACADEMY_OFFER_TTL_SECONDS", 600)),
        "signin_rate_per_minute": int(env.get("ACADEMY_SIGNIN_RATE_PER_MINUTE", 10)),
        "learner_session_hours": int(env.get("ACADEMY_LEARNER_SESSION_HOURS", 12)),
        "smtp_url": env.get("ACADEMY_SMTP_URL") or None,
        "mail_from": env.get("ACADEMY_MAIL_FROM") or "Academy <noreply@localhost>",
        "mail_in_background": env.get("ACADEMY_BACKGROUND_MAIL", "1") != "0",
        "mail_max_attempts": int(env.get("ACADEMY_MAIL_MAX_ATTEMPTS", 8)),
        "mail_retry_seconds": float(env.get("ACADEMY_MAIL_RETRY_SECONDS", 60)),
    }
    values.update(overrides)
    if "secret_key" not in values:  # what the operator configured (an override is code's)
        values["secret_key"] = check_secret_key(_secret_key(data_dir, env))
    if not 1 <= int(values["learner_token_hours"]) <= 24 * 90:  # type: ignore[call-overload]
        raise ValueError("ACADEMY_LEARNER_TOKEN_HOURS must be between 1 and 2160 (90 days)")
    if not 1 <= int(values["learner_session_hours"]) <= 24 * 30:  # type: ignore[call-overload]
        raise ValueError("ACADEMY_LEARNER_SESSION_HOURS must be between 1 and 720 (30 days)")
    return Settings(**values)  # type: ignore[arg-type]
