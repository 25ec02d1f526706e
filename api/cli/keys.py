"""``academy keys rotate-signing`` and ``revoke-signing``: an institution's signing keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import keys, run_async
from api.settings import load_settings
from credentials.keys import KeyRing, revoke_signing_key, rotate_signing_key

__all__ = ["revoke_signing", "rotate_signing"]


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
