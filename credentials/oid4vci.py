"""A credential into the learner's wallet: the pre-authorised code flow of OpenID4VCI 1.0.

One Credential Issuer per institution; its state lives in PostgreSQL so every worker and
restart agrees (migration 0010). The flow, with the spec's sections:

1. **Offer** (§4.1): :func:`create_offer` for the credential's holder or its institution.
   The offer URL carries a random token; the pre-authorised code is derived from it
   (``HMAC(token, "pre-authorized_code")``), so the database keeps hashes only and still
   answers ``GET credential_offer_uri`` (:func:`offered_code`). A 6-digit ``tx_code``
   goes to the learner beside the QR code, never inside it.
2. **Token** (§6): :func:`redeem_code` takes the code once, with its tx_code; a wrong
   tx_code is an attempt and the fifth kills the code. It returns an access token bound
   to that one credential, short-lived and good for one credential response.
3. **Nonce** (§7): :func:`new_nonce`; :func:`issue_to_holder` consumes it (single use).
4. **Credential** (§8): :func:`issue_to_holder` checks the proof
   (``credentials.proofs.holder_proof``) and returns the learner's stored credential signed
   again with ``credentialSubject.id`` = the holder's DID. Everything else is kept,
   the status entry included: a revocation in the registry reaches the wallet's copy.

Errors are :class:`OAuthError` with the codes of RFC 6749 §5.2 and OID4VCI §8.3.1.2;
``api.routes.oid4vci`` turns them into the JSON bodies those specs define.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import InstitutionNotFound
from catalogue.structs import OutStruct
from credentials.errors import AlreadyInStatus, CredentialNotFound
from credentials.proofs.holder_proof import ProofRejected, check_proof
from credentials.builder import proof_created, sign_checked
from credentials.keys import KeyRing
from credentials.status import PURPOSE

__all__ = [
    "CONFIGURATION_ID",
    "MAX_TX_ATTEMPTS",
    "NONCE_SECONDS",
    "TOKEN_SECONDS",
    "NewOffer",
    "OAuthError",
    "Token",
    "create_offer",
    "holds",
    "issue_to_holder",
    "issuer_identifier",
    "new_nonce",
    "offered_code",
    "redeem_code",
]

CONFIGURATION_ID = "OpenBadgeCredential"
MAX_TX_ATTEMPTS = 5
TOKEN_SECONDS = 300
NONCE_SECONDS = 300
SWEEP_EVERY = 16


class OAuthError(Exception):
    """An error the OAuth/OID4VCI way: ``error`` code, description, HTTP status."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.description, self.status = code, description, status


class NewOffer(OutStruct, frozen=True):
    slug: str
    offer_token: str
    tx_code: str
    expires_at: datetime


class Token(OutStruct, frozen=True):
    access_token: str
    expires_in: int


def issuer_identifier(base_url: str, slug: str) -> str:
    return f"{base_url}/institutions/{slug}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _code_of(offer_token: str) -> str:
    return hmac.new(offer_token.encode(), b"pre-authorized_code", hashlib.sha256).hexdigest()


def _tx_hash(code: str, tx_code: str) -> str:
    return _hash(f"{code}:{tx_code}")


async def create_offer(session: AsyncSession, credential_id: uuid.UUID, *, ttl: int,
                       email: str | None = None, institution: str | None = None) -> NewOffer:
    """An offer of a credential that ``email`` holds or ``institution`` issued."""
    row = (await session.execute(
        text("SELECT c.status, l.purpose, c.institution_id, i.slug FROM credential c "
             "JOIN institution i ON i.id = c.institution_id "
             "JOIN status_list l ON l.id = c.status_list_id WHERE c.id = :id "
             "AND (CAST(:e AS text) IS NULL OR c.learner_email = :e) "
             "AND (CAST(:s AS text) IS NULL OR i.slug = :s)"),
        {"id": credential_id, "e": email, "s": institution},
    )).first()
    if row is None:  # someone else's credential looks exactly like a missing one
        raise CredentialNotFound(f"No credential {credential_id} of yours.")
    status, purpose, institution_id, slug = row
    if status == "revoked":
        raise AlreadyInStatus("This credential was revoked; a revoked credential is not "
                              "offered to a wallet.")
    if purpose != PURPOSE:
        raise AlreadyInStatus("This credential is in the form issued before revocation lists, "
                              "which wallets cannot verify: the learner first asks for it again "
                              f"(POST /api/v1/me/credentials/{credential_id}/reissue).")
    offer_token = secrets.token_urlsafe(32)
    code = _code_of(offer_token)
    # An offer lost in a crash is asked for again; redeeming one (below) is flushed to disk,
    # so a code stays single-use across a crash.
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    tx_code = f"{secrets.randbelow(10**6):06d}"
    expires = datetime.now(UTC) + timedelta(seconds=ttl)
    await session.execute(
        text("INSERT INTO credential_offer (id, offer_hash, code_hash, tx_code_hash, "
             "credential_id, institution_id, expires_at) VALUES (:id, :o, :c, :t, :cr, :i, :x)"),
        {"id": uuid.uuid4(), "o": _hash(offer_token), "c": _hash(code),
         "t": _tx_hash(code, tx_code), "cr": credential_id, "i": institution_id, "x": expires},
    )
    return NewOffer(slug, offer_token, tx_code, expires)


async def holds(session: AsyncSession, email: str, credential_id: uuid.UUID) -> bool:
    """Whether ``email`` is the learner of the credential (who may offer it to a wallet)."""
    return bool(await session.scalar(
        text("SELECT 1 FROM credential WHERE id = :id AND learner_email = :e"),
        {"id": credential_id, "e": email}))


async def offered_code(session: AsyncSession, slug: str, offer_token: str) -> str | None:
    """The pre-authorised code of a live offer (unused, unexpired, not dead), else None."""
    found = await session.scalar(
        text("SELECT 1 FROM credential_offer o JOIN institution i ON i.id = o.institution_id "
             "WHERE o.offer_hash = :h AND i.slug = :s AND o.redeemed_at IS NULL "
             "AND o.expires_at > now() AND o.attempts < :n"),
        {"h": _hash(offer_token), "s": slug, "n": MAX_TX_ATTEMPTS},
    )
    return _code_of(offer_token) if found else None


async def redeem_code(session: AsyncSession, slug: str, code: str, tx_code: str | None) -> Token:
    """An access token for a pre-authorised code and its tx_code (step 2).

    Raises ``OAuthError``; a wrong tx_code has been counted when it does, so the caller
    commits (the error is an answer, not a failure of the request).
    """
    row = (await session.execute(
        text("SELECT o.id, o.tx_code_hash, o.attempts, o.expires_at <= now(), o.redeemed_at "
             "FROM credential_offer o JOIN institution i ON i.id = o.institution_id "
             "WHERE o.code_hash = :h AND i.slug = :s FOR UPDATE OF o"),
        {"h": _hash(code), "s": slug},
    )).first()
    if row is None:
        raise OAuthError("invalid_grant", "The pre-authorized_code is unknown to this issuer.")
    offer_id, tx_hash, attempts, expired, redeemed = row
    if redeemed is not None:
        raise OAuthError("invalid_grant", "The pre-authorized_code was used already; ask for "
                         "a new offer.")
    if expired:
        raise OAuthError("invalid_grant", "The pre-authorized_code expired; ask for a new offer.")
    if attempts >= MAX_TX_ATTEMPTS:
        raise OAuthError("invalid_grant", f"{MAX_TX_ATTEMPTS} wrong tx_codes: this offer is "
                         "dead; ask for a new one.")
    if not tx_code:
        raise OAuthError("invalid_request", "tx_code is required: the 6-digit code shown "
                         "beside the QR code.")
    if not hmac.compare_digest(_tx_hash(code, tx_code), tx_hash):
        await session.execute(text("UPDATE credential_offer SET attempts = attempts + 1 "
                                   "WHERE id = :id"), {"id": offer_id})
        left = MAX_TX_ATTEMPTS - attempts - 1
        raise OAuthError("invalid_grant", f"Wrong tx_code; {left} attempt(s) left."
                         if left else "Wrong tx_code; this offer is now dead.")
    token = secrets.token_urlsafe(32)
    await session.execute(
        text("WITH used AS (UPDATE credential_offer SET redeemed_at = now() WHERE id = :o) "
             "INSERT INTO oid4vci_token (token_hash, offer_id, expires_at) "
             "VALUES (:h, :o, now() + make_interval(secs => :t))"),
        {"h": _hash(token), "o": offer_id, "t": TOKEN_SECONDS})
    return Token(token, TOKEN_SECONDS)


async def new_nonce(session: AsyncSession, slug: str) -> str:
    """A fresh c_nonce of the issuer ``slug``; expired ones are swept a few at a time."""
    nonce = secrets.token_urlsafe(32)
    # Not worth a disk flush: a nonce lost in a crash makes the wallet ask for another.
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    inserted = await session.scalar(
        text("INSERT INTO oid4vci_nonce (nonce_hash, institution_id, expires_at) "
             "SELECT :h, id, now() + make_interval(secs => :t) FROM institution WHERE slug = :s "
             "RETURNING 1"),
        {"h": _hash(nonce), "t": NONCE_SECONDS, "s": slug})
    if inserted is None:
        raise InstitutionNotFound(slug)
    if secrets.randbelow(SWEEP_EVERY) == 0:  # a sweep per request would double its cost
        await session.execute(text(
            "DELETE FROM oid4vci_nonce WHERE nonce_hash IN (SELECT nonce_hash FROM oid4vci_nonce "
            "WHERE expires_at < now() LIMIT 100 FOR UPDATE SKIP LOCKED)"))
    return nonce


def _request(body: Any) -> str:
    """The one proof JWT of a credential request (§8.2), or ``OAuthError``."""
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "The body is a JSON object.")
    if "credential_identifier" in body:
        raise OAuthError("invalid_credential_request", "This issuer answers credential "
                         "requests by credential_configuration_id, not credential_identifier.")
    if body.get("credential_configuration_id") != CONFIGURATION_ID:
        raise OAuthError("unknown_credential_configuration",
                         f"credential_configuration_id must be '{CONFIGURATION_ID}'.")
    proofs = body.get("proofs")
    if "proof" in body or not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise OAuthError("invalid_credential_request",
                         "Send the key proof as \"proofs\": {\"jwt\": [\"<proof JWT>\"]}.")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or len(jwts) != 1:
        raise OAuthError("invalid_credential_request", "proofs.jwt holds exactly one proof "
                         "(this issuer does not issue in batches).")
    return jwts[0]  # type: ignore[no-any-return]


async def issue_to_holder(session: AsyncSession, keyring: KeyRing, slug: str,
                          access_token: str, body: Any) -> bytes:
    """The credential the access token is for, bound to the proof's holder (step 4)."""
    row = (await session.execute(
        text("SELECT t.token_hash, o.institution_id, c.document, c.status FROM oid4vci_token t "
             "JOIN credential_offer o ON o.id = t.offer_id "
             "JOIN institution i ON i.id = o.institution_id "
             "JOIN credential c ON c.id = o.credential_id "
             "WHERE t.token_hash = :h AND i.slug = :s AND t.used_at IS NULL "
             "AND t.expires_at > now() FOR UPDATE OF t"),
        {"h": _hash(access_token), "s": slug},
    )).first()
    if row is None:
        raise OAuthError("invalid_token", "The access token is unknown, expired or used.", 401)
    token_hash, institution_id, document, status = row
    audience = issuer_identifier(keyring.base_url, slug)
    try:
        holder = check_proof(_request(body), audience=audience, now=int(time.time()))
    except ProofRejected as exc:
        raise OAuthError("invalid_proof", str(exc)) from None
    # The nonce is spent whatever follows; the token only with a credential (below, in the
    # same transaction: a failure to sign rolls it back).
    fresh = await session.scalar(
        text("WITH n AS (DELETE FROM oid4vci_nonce WHERE nonce_hash = :n "
             "AND institution_id = :i RETURNING expires_at > now() AS fresh), "
             "t AS (UPDATE oid4vci_token SET used_at = now() WHERE token_hash = :t "
             "AND (SELECT fresh FROM n) AND :ok) SELECT fresh FROM n"),
        {"n": _hash(holder.nonce), "i": institution_id, "t": token_hash,
         "ok": status != "revoked"})
    if not fresh:
        raise OAuthError("invalid_nonce", "The proof's nonce is unknown, used or expired: "
                         "get a fresh c_nonce from the nonce endpoint.")
    if status == "revoked":
        raise OAuthError("credential_request_denied", "The credential was revoked by its "
                         "institution.")
    unsigned = {k: v for k, v in msgspec.json.decode(bytes(document)).items() if k != "proof"}
    unsigned["credentialSubject"] = {"id": holder.did, **unsigned["credentialSubject"]}
    key = await keyring.signing_key(session, institution_id, slug)
    signed = sign_checked(unsigned, key, proof_created())
    return signed
