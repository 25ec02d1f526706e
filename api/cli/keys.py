"""``academy keys``: partner API keys (create, list, revoke) and an institution's signing
keys (rotate-signing, revoke-signing)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli.session import run_async
from api.settings import load_settings
from credentials.keys import KeyRing, revoke_signing_key, rotate_signing_key

__all__ = ["keys", "keys_create", "keys_list", "keys_revoke", "revoke_signing", "rotate_signing"]


@click.group()
def keys() -> None:
    """Partner API keys."""


@keys.command("create")
@click.option("--institution", required=True, help="Institution slug, e.g. ucll.")
@click.option("--scopes", required=True, help="Comma-separated: publish,issue,admin.")
@click.option("--label", default=None, help="A note to recognise the key by.")
def keys_create(institution: str, scopes: str, label: str | None) -> None:
    """Create a key. The key is printed once, as the last line; only its hash is stored."""
    from api.access import create_key

    async def go(session: AsyncSession) -> tuple[Any, str]:
        return await create_key(session, institution, [s.strip() for s in scopes.split(",") if s.strip()], label)

    key, plaintext = run_async(go)
    click.echo(f"key id {key.id} for {institution} with scopes {','.join(key.scopes)}", err=False)
    click.echo("store it now; it cannot be shown again:")
    click.echo(plaintext)


@keys.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from api.access import list_keys

    rows = run_async(list_keys)
    click.echo(f"{'id':36}  {'institution':11}  {'scopes':20}  {'created':20}  revoked")
    for key, slug in rows:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
        click.echo(f"{key.id!s:36}  {slug:11}  {','.join(key.scopes):20}  "
                   f"{key.created_at:%Y-%m-%d %H:%M:%S}  {revoked}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id."""
    from api.access import revoke_key

    async def go(session: AsyncSession) -> Any:
        return await revoke_key(session, key_id)

    key = run_async(go)
    click.echo(f"revoked {key.id}")


@keys.command("rotate-signing")
@click.option("--institution", "slug", required=True, help="The institution's slug, e.g. ucll.")
def rotate_signing(slug: str) -> None:
    """Add a new Ed25519 signing key for SLUG; it signs from now on.

    Older keys stay in the institution's DID document, so credentials signed with them
    keep verifying. A running server picks the new key up on its next issuance.
    """
    settings = load_settings()
    keyring = KeyRing(settings.secret_key, settings.base_url)

    async def go(session: AsyncSession) -> str:
        return await rotate_signing_key(session, keyring, slug)

    method = run_async(go)
    click.echo(f"new signing key {method}")


def _since(value: str | None) -> datetime | None:
    """``--since``: a date (midnight UTC) or a date-time (UTC unless it names a zone)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("give a date (2026-12-01) or a date-time "
                                 "(2026-12-01T14:00:00Z)", param_hint="--since") from None
    if len(value) == 10:
        parsed = datetime.combine(date.fromisoformat(value), time(), UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@keys.command("revoke-signing")
@click.option("--institution", "slug", required=True, help="The institution's slug, e.g. ucll.")
@click.option("--key", "key_id", required=True, help="The key id, e.g. key-1 (the fragment "
              "of the verification method in the DID document).")
@click.option("--since", default=None, help="Only proofs created from this date or date-time "
              "on stop verifying (a retired key); without it, every proof (a leaked key).")
def revoke_signing(slug: str, key_id: str, since: str | None) -> None:
    """Revoke one of SLUG's signing keys.

    Without --since the key leaves the DID document's assertionMethod and no credential it
    signed verifies any more; with --since only proofs created from that instant on are
    refused. If the key was signing, a new key is added and signs from now on.
    """
    settings = load_settings()
    keyring = KeyRing(settings.secret_key, settings.base_url)
    when = _since(since)

    async def go(session: AsyncSession) -> tuple[str, str | None]:
        return await revoke_signing_key(session, keyring, slug, key_id, when)

    method, rotated = run_async(go)
    scope = f"for proofs created from {when.isoformat()} on" if when else "entirely"
    click.echo(f"revoked {method} {scope}")
    if rotated:
        click.echo(f"new signing key {rotated}")
