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
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from asyncpg import Connection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import InstitutionNotFound
from catalogue.structs import OutStruct
from credentials.errors import AlreadyInStatus, CredentialNotFound
from credentials.proofs.holder_proof import ProofRejected, check_proof
from credentials.builder import proof_created, sign_checked
from credentials.keys import KeyRing, SigningKey
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
# The signing key when none is stored unrevoked: (institution id, slug) -> a new key.
KeyLoader = Callable[[int, str], Awaitable[SigningKey]]


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


# Each function below is one SQL statement, and each request of the flow calls one of them
# (the credential request two): a statement is its own transaction, so a request costs one
# round trip and no BEGIN/COMMIT. Offers and nonces commit without waiting for the disk
# (``set_config(..., true)``: the statement's own transaction): one lost in a crash is asked
# for again. Redemptions and deliveries wait for it, so single use survives a crash.
_OFFER = """
WITH c AS (
    SELECT c.id, c.status, l.purpose, c.institution_id, i.slug FROM credential c
    JOIN institution i ON i.id = c.institution_id
    JOIN status_list l ON l.id = c.status_list_id
    WHERE c.id = $1 AND {who}),
made AS (
    INSERT INTO credential_offer (id, offer_hash, code_hash, tx_code_hash, credential_id,
                                  institution_id, expires_at)
    SELECT $3, $4, $5, $6, c.id, c.institution_id, now() + make_interval(secs => $7)
    FROM c WHERE c.status <> 'revoked' AND c.purpose = $8
    RETURNING expires_at)
SELECT c.status, c.purpose, c.slug, (SELECT expires_at FROM made),
       set_config('synchronous_commit', 'off', true)
FROM c"""
_OFFER_OF = {"email": _OFFER.format(who="c.learner_email = $2"),
             "institution": _OFFER.format(who="i.slug = $2")}


async def create_offer(conn: Connection, credential_id: uuid.UUID, *, ttl: int,
                       email: str | None = None, institution: str | None = None) -> NewOffer:
    """An offer of a credential that ``email`` holds or ``institution`` issued."""
    offer_token = secrets.token_urlsafe(32)
    code = _code_of(offer_token)
    tx_code = f"{secrets.randbelow(10**6):06d}"
    who, value = ("email", email) if email is not None else ("institution", institution)
    row = await conn.fetchrow(
        _OFFER_OF[who], credential_id, value, uuid.uuid4(), _hash(offer_token), _hash(code),
        _tx_hash(code, tx_code), ttl, PURPOSE)
    if row is None:  # someone else's credential looks exactly like a missing one
        raise CredentialNotFound(f"No credential {credential_id} of yours.")
    status, purpose, slug, expires, _ = row
    if status == "revoked":
        raise AlreadyInStatus("This credential was revoked; a revoked credential is not "
                              "offered to a wallet.")
    if purpose != PURPOSE:
        raise AlreadyInStatus("This credential is in the form issued before revocation lists, "
                              "which wallets cannot verify: the learner first asks for it again "
                              f"(POST /api/v1/me/credentials/{credential_id}/reissue).")
    return NewOffer(slug, offer_token, tx_code, expires)


async def holds(session: AsyncSession, email: str, credential_id: uuid.UUID) -> bool:
    """Whether ``email`` is the learner of the credential (who may offer it to a wallet)."""
    return bool(await session.scalar(
        text("SELECT 1 FROM credential WHERE id = :id AND learner_email = :e"),
        {"id": credential_id, "e": email}))


async def offered_code(conn: Connection, slug: str, offer_token: str) -> str | None:
    """The pre-authorised code of a live offer (unused, unexpired, not dead), else None."""
    found = await conn.fetchval(
        "SELECT 1 FROM credential_offer o JOIN institution i ON i.id = o.institution_id "
        "WHERE o.offer_hash = $1 AND i.slug = $2 AND o.redeemed_at IS NULL "
        "AND o.expires_at > now() AND o.attempts < $3",
        _hash(offer_token), slug, MAX_TX_ATTEMPTS)
    return _code_of(offer_token) if found else None


# The code's row is locked first (FOR UPDATE waits for a concurrent redemption and then
# reads the row as it committed it), so of two redemptions at once the second sees the
# code used, and of concurrent wrong tx_codes each counts against the count before it.
# ``verdict.matches`` is NULL when the tx_code is not compared at all (code used, expired,
# dead, or no tx_code sent), false for a wrong one (counted) and true for the right one
# (the code is spent and the access token stored).
_REDEEM = """
WITH o AS (
    SELECT o.id, o.tx_code_hash, o.attempts, o.expires_at <= now() AS expired,
           o.redeemed_at IS NOT NULL AS redeemed
    FROM credential_offer o JOIN institution i ON i.id = o.institution_id
    WHERE o.code_hash = $1 AND i.slug = $2 FOR UPDATE OF o),
verdict AS (
    SELECT id, attempts, expired, redeemed,
           CASE WHEN redeemed OR expired OR attempts >= $4 OR $3::text IS NULL THEN NULL
                ELSE tx_code_hash = $3 END AS matches
    FROM o),
counted AS (
    UPDATE credential_offer f SET attempts = f.attempts + 1 FROM verdict v
    WHERE f.id = v.id AND NOT v.matches),
used AS (
    UPDATE credential_offer f SET redeemed_at = now() FROM verdict v
    WHERE f.id = v.id AND v.matches RETURNING f.id),
token AS (
    INSERT INTO oid4vci_token (token_hash, offer_id, expires_at)
    SELECT $5, id, now() + make_interval(secs => $6) FROM used)
SELECT attempts, expired, redeemed, matches FROM verdict"""


async def redeem_code(conn: Connection, slug: str, code: str, tx_code: str | None) -> Token:
    """An access token for a pre-authorised code and its tx_code (step 2).

    Raises ``OAuthError``; a wrong tx_code has been counted when it does (the statement
    that found it wrong counted it).
    """
    token = secrets.token_urlsafe(32)
    row = await conn.fetchrow(_REDEEM, _hash(code), slug,
                              _tx_hash(code, tx_code) if tx_code else None, MAX_TX_ATTEMPTS,
                              _hash(token), TOKEN_SECONDS)
    if row is None:
        raise OAuthError("invalid_grant", "The pre-authorized_code is unknown to this issuer.")
    attempts, expired, redeemed, matches = row
    if redeemed:
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
    if not matches:
        left = MAX_TX_ATTEMPTS - attempts - 1
        raise OAuthError("invalid_grant", f"Wrong tx_code; {left} attempt(s) left."
                         if left else "Wrong tx_code; this offer is now dead.")
    return Token(token, TOKEN_SECONDS)


_NONCE = """
INSERT INTO oid4vci_nonce (nonce_hash, institution_id, expires_at)
SELECT $1, id, now() + make_interval(secs => $2) FROM institution WHERE slug = $3
RETURNING set_config('synchronous_commit', 'off', true)"""
# A data-modifying WITH runs whether or not the rest reads it.
_NONCE_AND_SWEEP = """
WITH swept AS (
    DELETE FROM oid4vci_nonce WHERE nonce_hash IN (
        SELECT nonce_hash FROM oid4vci_nonce WHERE expires_at < now()
        LIMIT 100 FOR UPDATE SKIP LOCKED))""" + _NONCE


async def new_nonce(conn: Connection, slug: str) -> str:
    """A fresh c_nonce of the issuer ``slug``; expired ones are swept a few at a time."""
    nonce = secrets.token_urlsafe(32)
    # A sweep on one request in SWEEP_EVERY: one per request would double its cost.
    sql = _NONCE_AND_SWEEP if secrets.randbelow(SWEEP_EVERY) == 0 else _NONCE
    if await conn.fetchval(sql, _hash(nonce), NONCE_SECONDS, slug) is None:
        raise InstitutionNotFound(slug)
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


# One statement delivers (after the proof JWT has been checked, which needs no database):
# it reads the token, its credential and the key that signs (the newest not revoked, as
# ``KeyRing.signing_key`` picks it), spends the nonce whatever follows, and spends the
# token only for a credential that is not revoked and only once: of two deliveries at
# once on one token, the second waits for the first's row lock and finds it used. One
# round trip instead of a read and a write: a statement costs a flow ~0.4 ms of CPU in
# the worker and in PostgreSQL, a sixteenth of the whole flow (BENCHMARKS.md).
_DELIVER = """
WITH d AS (
    SELECT t.token_hash, o.institution_id, c.document, c.status, k.key_id,
           k.private_encrypted
    FROM oid4vci_token t
    JOIN credential_offer o ON o.id = t.offer_id
    JOIN institution i ON i.id = o.institution_id
    JOIN credential c ON c.id = o.credential_id
    LEFT JOIN LATERAL (
        SELECT key_id, private_encrypted FROM issuer_key
        WHERE institution_id = o.institution_id AND revoked_since IS NULL
        ORDER BY id DESC LIMIT 1) k ON true
    WHERE t.token_hash = $1 AND i.slug = $2 AND t.used_at IS NULL
    AND t.expires_at > now()),
n AS (
    DELETE FROM oid4vci_nonce
    WHERE nonce_hash = $3 AND institution_id = (SELECT institution_id FROM d)
    RETURNING expires_at > now() AS fresh),
t AS (
    UPDATE oid4vci_token SET used_at = now()
    WHERE token_hash = (SELECT token_hash FROM d) AND used_at IS NULL
    AND expires_at > now() AND (SELECT fresh FROM n)
    AND (SELECT status FROM d) <> 'revoked' RETURNING 1)
SELECT d.institution_id, d.document, d.status, d.key_id, d.private_encrypted,
       coalesce((SELECT fresh FROM n), false), EXISTS (SELECT 1 FROM t)
FROM d"""


_LIVE_TOKEN = """
SELECT true FROM oid4vci_token t
JOIN credential_offer o ON o.id = t.offer_id
JOIN institution i ON i.id = o.institution_id
WHERE t.token_hash = $1 AND i.slug = $2 AND t.used_at IS NULL AND t.expires_at > now()"""
def _bad_token() -> OAuthError:
    return OAuthError("invalid_token", "The access token is unknown, expired or used.", 401)


async def issue_to_holder(conn: Connection, keyring: KeyRing, slug: str, access_token: str,
                          body: Any, *, fallback_key: KeyLoader) -> bytes:
    """The credential the access token is for, bound to the proof's holder (step 4).

    The proof JWT is checked first (signature, ``aud``, ``iat``; no database), then one
    statement (``_DELIVER``) reads the credential and spends the nonce and the token, then
    the credential is signed for the holder. Nothing is written when the proof fails;
    the nonce is spent by any request whose token is good. Signing cannot fail on the
    document (it was signed at issuance, and the holder's DID is checked), only on the key
    store; then the token is spent and the wallet needs a new offer.
    """
    token_hash = _hash(access_token)
    try:
        holder = check_proof(_request(body), audience=issuer_identifier(keyring.base_url, slug),
                             now=int(time.time()))
    except (OAuthError, ProofRejected) as exc:
        # A bad token is answered first (RFC 6750: 401), whatever else is wrong; only on
        # this error path does that cost a statement of its own.
        if not await conn.fetchval(_LIVE_TOKEN, token_hash, slug):
            raise _bad_token() from None
        if isinstance(exc, OAuthError):
            raise
        raise OAuthError("invalid_proof", str(exc)) from None
    row = await conn.fetchrow(_DELIVER, token_hash, slug, _hash(holder.nonce))
    if row is None:
        raise _bad_token()
    institution_id, document, status, key_id, blob, fresh, delivered = row
    if not fresh:
        raise OAuthError("invalid_nonce", "The proof's nonce is unknown, used or expired: "
                         "get a fresh c_nonce from the nonce endpoint.")
    if status == "revoked":
        raise OAuthError("credential_request_denied", "The credential was revoked by its "
                         "institution.")
    if not delivered:  # another request with this token was first
        raise _bad_token()
    unsigned = {k: v for k, v in msgspec.json.decode(document).items() if k != "proof"}
    unsigned["credentialSubject"] = {"id": holder.did, **unsigned["credentialSubject"]}
    if key_id is None:  # every key revoked since the credential was issued: a new one
        key = await fallback_key(institution_id, slug)
    else:
        key = keyring.signing_key_of(institution_id, slug, key_id, blob)
    return sign_checked(unsigned, key, proof_created())
