"""Issuer signing keys: Ed25519 per institution, encrypted at rest, cached once decrypted.

A private key is stored as ``nonce || AES-256-GCM(seed)``, with the AES key derived by
HKDF-SHA256 from ``ACADEMY_SECRET_KEY`` and the key's ``slug/key_id`` as associated data,
so a ciphertext moved to another institution or key id does not decrypt. The newest key
of an institution that is not revoked signs; every key stays in its DID document so older
credentials keep verifying. Private keys are never logged, returned or put in an exception
message.

A key can be revoked (``academy keys revoke-signing``): entirely, when it leaked, or from a
date on, when it was retired (``revoked_since``). The DID document then gives its
verification method the Controlled Identifiers ``revoked`` date, and a key revoked entirely
(``revoked_since`` at or before its creation) leaves ``assertionMethod``, so third-party
verifiers refuse every proof by it. Our verifier refuses a proof whose ``created`` is not
before ``revoked_since``. Public keys are cached for :data:`KEY_REFRESH_SECONDS`, so a
revocation made by another process is seen within that time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import Invalid, NotFound, Unavailable
from catalogue.structs import INSTITUTIONS
from catalogue.structs import OutStruct
from credentials.proofs.multikey import (
    did_document,
    generate_private_key,
    issuer_did,
    public_key_from_multikey,
    public_key_to_multikey,
    verification_method_id,
)

__all__ = ["KEY_REFRESH_SECONDS", "IssuerPublicKey", "KeyRing", "SigningKey",
           "SigningKeyUnavailable", "parse_instant", "revoke_signing_key", "rotate_signing_key"]

_HKDF_INFO = b"academy issuer signing keys v1"
KEY_REFRESH_SECONDS = 30.0


class SigningKeyUnavailable(Unavailable):
    """A stored private key does not decrypt under this server's ``ACADEMY_SECRET_KEY``."""

    title = "Signing key unavailable"


class IssuerPublicKey(OutStruct, frozen=True):
    key_id: str
    public_multibase: str
    created_at: datetime
    revoked_since: datetime | None

    @property
    def revoked_entirely(self) -> bool:
        return self.revoked_since is not None and self.revoked_since <= self.created_at


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
        self._revoked: dict[str, IssuerPublicKey] = {}  # methods with a revocation
        self._loaded: dict[str, float] = {}  # slug -> when its keys were read
        self.refresh_seconds = KEY_REFRESH_SECONDS

    def did(self, slug: str) -> str:
        return issuer_did(self.base_url, slug)

    # --- at rest -------------------------------------------------------------------------

    def encrypt(self, key: Ed25519PrivateKey, aad: str) -> bytes:
        nonce = os.urandom(12)
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return nonce + self._aead.encrypt(nonce, seed, aad.encode())

    def decrypt(self, blob: bytes, aad: str) -> Ed25519PrivateKey:
        try:
            seed = self._aead.decrypt(blob[:12], blob[12:], aad.encode())
        except InvalidTag:
            raise SigningKeyUnavailable(
                f"The signing key {aad} does not decrypt with this server's ACADEMY_SECRET_KEY "
                "(was the database restored under another secret key?).") from None
        return Ed25519PrivateKey.from_private_bytes(seed)

    # --- signing -------------------------------------------------------------------------

    async def signing_key(self, session: AsyncSession, institution_id: int, slug: str) -> SigningKey:
        """The institution's newest key not revoked, created on first use (race-safe: unique
        key id)."""
        row = await _newest(session, institution_id)
        if row is None:
            await self._insert(session, institution_id, slug,
                               await _next_key_id(session, institution_id))
            row = await _newest(session, institution_id)
            assert row is not None
        return self.signing_key_of(institution_id, slug, *row)

    def signing_key_of(self, institution_id: int, slug: str, key_id: str, blob: bytes
                       ) -> SigningKey:
        """The key of a stored row (``key_id``, encrypted ``blob``), decrypted once."""
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
        key_id = await _next_key_id(session, institution_id)
        await self._insert(session, institution_id, slug, key_id)
        return verification_method_id(self.did(slug), key_id)

    async def revoke(self, session: AsyncSession, slug: str, key_id: str,
                     since: datetime | None = None) -> tuple[str, str | None]:
        """Revoke ``slug``'s key ``key_id`` entirely, or for proofs created from ``since`` on.

        Returns (the revoked verification method, the method of a key rotated in because
        the revoked one was signing, or None). Status lists signed by the key are signed
        again on their next read.
        """
        institution_id = await _institution_id(session, slug)
        row = (await session.execute(
            # Only ever earlier: a second revocation never makes refused proofs valid again.
            text("UPDATE issuer_key SET revoked_since = least(coalesce(revoked_since, "
                 "'infinity'), CASE WHEN CAST(:since AS timestamptz) IS NULL "
                 "OR :since <= created_at THEN created_at ELSE :since END) "
                 "WHERE institution_id = :i AND key_id = :k RETURNING id"),
            {"i": institution_id, "k": key_id, "since": since},
        )).first()
        if row is None:
            known = [k.key_id for k in await self.public_keys(session, slug)]
            raise Invalid([("--key", (f"{slug} has no signing key {key_id!r}; its keys are "
                                      f"{', '.join(known) or 'none yet'}"))])
        await session.execute(
            text("UPDATE status_list SET signed = NULL, signed_version = NULL "
                 "WHERE institution_id = :i"), {"i": institution_id})
        self._loaded.pop(slug, None)
        self._signing.pop((institution_id, key_id), None)
        rotated = None
        if await _newest(session, institution_id) is None:  # it was the only live key
            rotated = await self.rotate(session, slug)
        return verification_method_id(self.did(slug), key_id), rotated

    async def _insert(self, session: AsyncSession, institution_id: int, slug: str, key_id: str) -> None:
        private = generate_private_key()
        await session.execute(
            text("INSERT INTO issuer_key (institution_id, key_id, public_multibase, private_encrypted) "
                 "VALUES (:i, :k, :p, :e) ON CONFLICT DO NOTHING"),
            {"i": institution_id, "k": key_id, "p": public_key_to_multikey(private),
             "e": self.encrypt(private, f"{slug}/{key_id}")},
        )

    # --- verifying -----------------------------------------------------------------------

    async def public_keys(self, session: AsyncSession, slug: str) -> list[IssuerPublicKey]:
        rows = await session.execute(
            text("SELECT k.key_id, k.public_multibase, k.created_at, k.revoked_since "
                 "FROM issuer_key k JOIN institution i ON i.id = k.institution_id "
                 "WHERE i.slug = :s ORDER BY k.id"),
            {"s": slug},
        )
        return [IssuerPublicKey(*row) for row in rows]

    async def did_document(self, session: AsyncSession, slug: str) -> dict[str, Any]:
        await _institution_id(session, slug)
        keys = await self.public_keys(session, slug)
        document = did_document(self.did(slug), [(k.key_id, k.public_multibase) for k in keys])
        for key, method in zip(keys, document["verificationMethod"]):
            if key.revoked_since is not None:  # Controlled Identifiers 1.0 (multikey/v1 term)
                method["revoked"] = _xsd(key.revoked_since)
                if key.revoked_entirely:
                    document["assertionMethod"].remove(method["id"])
        return document

    def stale(self, method: str) -> bool:
        """Whether ``method``'s keys should be read (again) before verifying with it."""
        slug = self.issuers.get(method.partition("#")[0])
        loaded = self._loaded.get(slug or "")
        return (method not in self._public or loaded is None
                or time.monotonic() - loaded >= self.refresh_seconds)

    async def load_method(self, session: AsyncSession, method: str) -> Ed25519PublicKey | None:
        """The public key of a partner's verification method, from our database (no network),
        with its revocation; read again after :data:`KEY_REFRESH_SECONDS`."""
        did, _, key_id = method.partition("#")
        slug = self.issuers.get(did)
        if slug is None or not key_id:
            return None
        keys = await self.public_keys(session, slug)
        for key in keys:
            found = verification_method_id(did, key.key_id)
            self._public[found] = public_key_from_multikey(key.public_multibase)
            if key.revoked_since is not None:
                self._revoked[found] = key
            else:
                self._revoked.pop(found, None)
        self._loaded[slug] = time.monotonic()
        return self._public.get(method)

    def cached_method(self, method: str) -> Ed25519PublicKey | None:
        return self._public.get(method)

    def refusal(self, method: str, created: object) -> str | None:
        """Why a proof by ``method`` created at ``created`` must not verify, or None."""
        key = self._revoked.get(method)
        if key is None or key.revoked_since is None:
            return None
        if key.revoked_entirely:
            return f"the signing key {method} is revoked"
        when = parse_instant(created)
        if when is None or when >= key.revoked_since:
            return (f"the signing key {method} is revoked for proofs created from "
                    f"{_xsd(key.revoked_since)} on (this proof: {created!r})")
        return None


async def rotate_signing_key(session: AsyncSession, keyring: KeyRing, slug: str) -> str:
    return await keyring.rotate(session, slug)


async def revoke_signing_key(session: AsyncSession, keyring: KeyRing, slug: str, key_id: str,
                             since: datetime | None = None) -> tuple[str, str | None]:
    return await keyring.revoke(session, slug, key_id, since)


def _xsd(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: object) -> datetime | None:
    """An XSD dateTime with a zone (what proofs and validity dates hold), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


async def _newest(session: AsyncSession, institution_id: int) -> tuple[str, bytes] | None:
    row = (await session.execute(
        text("SELECT key_id, private_encrypted FROM issuer_key WHERE institution_id = :i "
             "AND revoked_since IS NULL ORDER BY id DESC LIMIT 1"),
        {"i": institution_id},
    )).first()
    return (row[0], bytes(row[1])) if row else None


async def _next_key_id(session: AsyncSession, institution_id: int) -> str:
    count = await session.scalar(
        text("SELECT count(*) FROM issuer_key WHERE institution_id = :i"), {"i": institution_id}
    )
    return f"key-{int(count or 0) + 1}"


async def _institution_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(text("SELECT id FROM institution WHERE slug = :s"), {"s": slug})
    if found is None:
        raise NotFound(f"No institution with slug {slug!r}.")
    return int(found)
