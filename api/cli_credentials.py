"""``academy keys rotate-signing``: add an institution's new signing key (the old ones stay)."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import keys, run_async
from api.settings import load_settings
from credentials.keys import KeyRing, rotate_signing_key

__all__ = ["rotate_signing"]


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
