"""Issuer signing keys: Ed25519 per institution, encrypted at rest, cached once decrypted.

A private key is stored as ``nonce || AES-256-GCM(seed)``, with the AES key derived by
HKDF-SHA256 from ``ACADEMY_SECRET_KEY`` and the key's ``slug/key_id`` as associated data,
so a ciphertext moved to another institution or key id does not decrypt. The newest key
of an institution signs; every key stays in its DID document so older credentials keep
verifying. Private keys are never logged, returned or put in an exception message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import NotFound
from catalogue.structs import INSTITUTIONS
from credentials.multikey import (
    did_document,
    generate_private_key,
    issuer_did,
    public_key_from_multikey,
    public_key_to_multikey,
    verification_method_id,
)

__all__ = ["KeyRing", "SigningKey", "rotate_signing_key"]

_HKDF_INFO = b"academy issuer signing keys v1"


class SigningKey:
    """The active key of one institution. ``repr`` never shows the key."""

    __slots__ = ("institution_id", "key_id", "private_key", "verification_method")

    def __init__(self, institution_id: int, key_id: str, private_key: Ed25519PrivateKey,
                 verification_method: str) -> None:
        self.institution_id = institution_id
        self.key_id = key_id
        self.private_key = private_key
        self.verification_method = verification_method

    def __repr__(self) -> str:
        return f"SigningKey({self.verification_method!r})"


class KeyRing:
    """Per-app key material: the at-rest cipher, decrypted signing keys and public keys.

    ``base_url`` fixes the issuers' did:web. Signing keys are decrypted once per
    (institution, key id); a rotation is seen on the next issuance because the newest
    key id is read in the same query that loads the institution's key.
    """

    def __init__(self, secret_key: str, base_url: str) -> None:
        derived = HKDF(hashes.SHA256(), 32, salt=None, info=_HKDF_INFO).derive(secret_key.encode())
        self._aead = AESGCM(derived)
        self.base_url = base_url.rstrip("/")
        self.issuers: Mapping[str, str] = {issuer_did(self.base_url, s): s for s in INSTITUTIONS}
        self._signing: dict[tuple[int, str], SigningKey] = {}
        self._public: dict[str, Ed25519PublicKey] = {}

    def did(self, slug: str) -> str:
        return issuer_did(self.base_url, slug)

    # --- at rest -------------------------------------------------------------------------

    def encrypt(self, key: Ed25519PrivateKey, aad: str) -> bytes:
        nonce = os.urandom(12)
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return nonce + self._aead.encrypt(nonce, seed, aad.encode())

    def decrypt(self, blob: bytes, aad: str) -> Ed25519PrivateKey:
        seed = self._aead.decrypt(blob[:12], blob[12:], aad.encode())
        return Ed25519PrivateKey.from_private_bytes(seed)

    # --- signing -------------------------------------------------------------------------

    async def signing_key(self, session: AsyncSession, institution_id: int, slug: str) -> SigningKey:
        """The institution's newest key, created on first use (race-safe: unique key id)."""
        row = await _newest(session, institution_id)
        if row is None:
            await self._insert(session, institution_id, slug, "key-1")
            row = await _newest(session, institution_id)
            assert row is not None
        key_id, blob = row
        cached = self._signing.get((institution_id, key_id))
        if cached is None:
            private = self.decrypt(blob, f"{slug}/{key_id}")
            method = verification_method_id(self.did(slug), key_id)
            cached = SigningKey(institution_id, key_id, private, method)
            self._signing[(institution_id, key_id)] = cached
            self._public[method] = private.public_key()
        return cached

    async def rotate(self, session: AsyncSession, slug: str) -> str:
        """Add a key that signs from now on; returns its verification method id."""
        institution_id = await _institution_id(session, slug)
        count = await session.scalar(
            text("SELECT count(*) FROM issuer_key WHERE institution_id = :i"), {"i": institution_id}
        )
        key_id = f"key-{int(count or 0) + 1}"
        await self._insert(session, institution_id, slug, key_id)
        return verification_method_id(self.did(slug), key_id)

    async def _insert(self, session: AsyncSession, institution_id: int, slug: str, key_id: str) -> None:
        private = generate_private_key()
        await session.execute(
            text("INSERT INTO issuer_key (institution_id, key_id, public_multibase, private_encrypted) "
                 "VALUES (:i, :k, :p, :e) ON CONFLICT DO NOTHING"),
            {"i": institution_id, "k": key_id, "p": public_key_to_multikey(private),
             "e": self.encrypt(private, f"{slug}/{key_id}")},
        )

    # --- verifying -----------------------------------------------------------------------

    async def public_keys(self, session: AsyncSession, slug: str) -> list[tuple[str, str]]:
        rows = await session.execute(
            text("SELECT k.key_id, k.public_multibase FROM issuer_key k "
                 "JOIN institution i ON i.id = k.institution_id WHERE i.slug = :s ORDER BY k.id"),
            {"s": slug},
        )
        return [(key_id, public) for key_id, public in rows]

    async def did_document(self, session: AsyncSession, slug: str) -> dict[str, Any]:
        await _institution_id(session, slug)
        return did_document(self.did(slug), await self.public_keys(session, slug))

    async def load_method(self, session: AsyncSession, method: str) -> Ed25519PublicKey | None:
        """The public key of a partner's verification method, from our database (no network).

        Keys are only ever added, so a found key is cached for good; an unknown method is
        looked up again next time (it may be a key rotated in by another process).
        """
        if method in self._public:
            return self._public[method]
        did, _, key_id = method.partition("#")
        slug = self.issuers.get(did)
        if slug is None or not key_id:
            return None
        for found_id, public in await self.public_keys(session, slug):
            self._public[verification_method_id(did, found_id)] = public_key_from_multikey(public)
        return self._public.get(method)

    def cached_method(self, method: str) -> Ed25519PublicKey | None:
        return self._public.get(method)


async def rotate_signing_key(session: AsyncSession, keyring: KeyRing, slug: str) -> str:
    return await keyring.rotate(session, slug)


async def _newest(session: AsyncSession, institution_id: int) -> tuple[str, bytes] | None:
    row = (await session.execute(
        text("SELECT key_id, private_encrypted FROM issuer_key WHERE institution_id = :i "
             "ORDER BY id DESC LIMIT 1"),
        {"i": institution_id},
    )).first()
    return (row[0], bytes(row[1])) if row else None


async def _institution_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(text("SELECT id FROM institution WHERE slug = :s"), {"s": slug})
    if found is None:
        raise NotFound(f"No institution with slug {slug!r}.")
    return int(found)
