"""The wallet's proof of possession: an ``openid4vci-proof+jwt`` (OID4VCI 1.0, Appendix F.1).

A wallet proves it holds the key its credential will be bound to by signing a JWT over
the issuer's identifier and a fresh ``c_nonce``. :func:`check_proof` follows F.1/F.4:

1. the JOSE header: ``typ`` is ``openid4vci-proof+jwt``; ``alg`` is one we advertise
   (EdDSA, its RFC 9864 name Ed25519, or ES256); exactly one of ``kid`` (a did:key or
   did:jwk DID URL) and ``jwk`` (a public key) names the key;
2. the signature, verified by joserfc with that key and only the header's algorithm;
3. the claims: ``aud`` is the Credential Issuer Identifier, ``iat`` is recent (not older
   than ``max_age`` seconds, not more than ``SKEW`` ahead), ``nonce`` is present (the
   caller consumes it: single use is a database matter).

The holder's DID is what the credential is bound to: the ``kid``'s DID, or for a bare
``jwk`` the ``did:jwk`` of that key. Pure: no I/O, the clock is a parameter.

did:key and did:jwk are resolved here because both are pure encodings of one public
key (no registry, no network): a few lines each, where a resolver library would bring a
DID-method framework for two string decodings.
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import JWKRegistry

from catalogue.structs import OutStruct
from credentials.proofs.multikey import ED25519_PUB_PREFIX, MAX_KEY_CHARS, b58decode

__all__ = ["PROOF_ALGS", "PROOF_TYP", "Holder", "ProofRejected", "check_proof", "did_jwk"]

PROOF_TYP = "openid4vci-proof+jwt"
PROOF_ALGS = ("EdDSA", "Ed25519", "ES256")
SKEW = 60
P256_PUB_PREFIX = b"\x80\x24"
_KEY_KINDS = {"EdDSA": ("OKP", "Ed25519"), "Ed25519": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}
_PUBLIC_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}



class ProofRejected(ValueError):
    """Why the proof is not accepted (the text goes to the wallet as error_description)."""


class Holder(OutStruct, frozen=True):
    did: str
    nonce: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public(jwk: dict[str, Any]) -> dict[str, str]:
    members = _PUBLIC_MEMBERS.get(jwk.get("kty", ""))
    if members is None or "d" in jwk:
        raise ProofRejected("the key must be a public OKP (Ed25519) or EC (P-256) JWK")
    if any(not isinstance(jwk.get(m), str) for m in members):
        raise ProofRejected(f"the JWK needs the members {', '.join(members)}")
    return {m: jwk[m] for m in members}


def did_jwk(jwk: dict[str, Any]) -> str:
    """The did:jwk of a public key (did:jwk spec §2.1: base64url of the JWK's JSON)."""
    public = _public(jwk)
    return "did:jwk:" + _b64url(json.dumps(public, separators=(",", ":"), sort_keys=True).encode())


def _did_key_jwk(identifier: str) -> dict[str, str]:
    """did:key (Ed25519 ``z6Mk...`` or P-256 ``zDn...``) to its public JWK."""
    if not identifier.startswith("z"):
        raise ProofRejected("a did:key must be base58btc multibase ('z...')")
    try:
        raw = b58decode(identifier[1:], max_chars=MAX_KEY_CHARS)
    except ValueError as exc:
        raise ProofRejected(f"the did:key is not base58btc: {exc}") from None
    if raw.startswith(ED25519_PUB_PREFIX) and len(raw) == 34:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw[2:])}
    if raw.startswith(P256_PUB_PREFIX) and len(raw) == 35:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        except ValueError:
            raise ProofRejected("the did:key's P-256 point is not on the curve") from None
        numbers = point.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": _b64url(numbers.x.to_bytes(32, "big")),
                "y": _b64url(numbers.y.to_bytes(32, "big"))}
    raise ProofRejected("the did:key is neither an Ed25519 nor a P-256 public key")


def _key_of(header: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(holder DID, public JWK) from the header's ``kid`` or ``jwk`` (step 1)."""
    kid, jwk = header.get("kid"), header.get("jwk")
    if (kid is None) == (jwk is None) or "x5c" in header:
        raise ProofRejected("the proof's header must name its key by exactly one of 'kid' "
                            "(a did:key or did:jwk DID URL) and 'jwk'")
    if jwk is not None:
        if not isinstance(jwk, dict):
            raise ProofRejected("'jwk' must be a JSON object")
        return did_jwk(jwk), _public(jwk)
    if not isinstance(kid, str):
        raise ProofRejected("'kid' must be a DID URL")
    did, _, fragment = kid.partition("#")
    if did.startswith("did:key:"):
        identifier = did.removeprefix("did:key:")
        if fragment not in ("", identifier):
            raise ProofRejected("a did:key's only key is '#' + its own identifier")
        return did, _did_key_jwk(identifier)
    if did.startswith("did:jwk:"):
        if fragment not in ("", "0"):
            raise ProofRejected("a did:jwk's only key is '#0'")
        try:
            embedded = json.loads(_unb64url(did.removeprefix("did:jwk:")))
        except (ValueError, UnicodeDecodeError):
            raise ProofRejected("the did:jwk does not hold a base64url JSON JWK") from None
        if not isinstance(embedded, dict):
            raise ProofRejected("the did:jwk does not hold a JWK object")
        return did, _public(embedded)
    raise ProofRejected("'kid' must be a did:key or did:jwk DID URL")


def _check_claims(claims: dict[str, Any], audience: str, now: int, max_age: int) -> str:
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise ProofRejected(f"'aud' must be the Credential Issuer Identifier {audience}")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise ProofRejected("'iat' (seconds since the epoch) is required")
    if iat < now - max_age or iat > now + SKEW:
        raise ProofRejected(f"'iat' must be within the last {max_age} seconds")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ProofRejected("'nonce' is required: a c_nonce from the nonce endpoint")
    return nonce


def check_proof(token: object, *, audience: str, now: int, max_age: int = 300) -> Holder:
    """The holder a proof JWT stands for, or ``ProofRejected`` (see the module docstring)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise ProofRejected("a proof is a compact JWS (header.payload.signature)")
    try:
        compact = jws.extract_compact(token.encode())
    except (JoseError, ValueError):
        raise ProofRejected("the proof is not a readable compact JWS") from None
    header = compact.protected
    if header.get("typ") != PROOF_TYP:
        raise ProofRejected(f"the proof's 'typ' must be '{PROOF_TYP}'")
    alg = header.get("alg")
    if alg not in PROOF_ALGS:
        raise ProofRejected(f"the proof's 'alg' must be one of {', '.join(PROOF_ALGS)}")
    did, public = _key_of(header)
    if (public["kty"], public["crv"]) != _KEY_KINDS[alg]:
        raise ProofRejected(f"a {public['crv']} key cannot sign with {alg}")
    try:
        key = JWKRegistry.import_key(public)
        with warnings.catch_warnings():
            # RFC 9864 deprecates the name "EdDSA" for "Ed25519"; wallets in the field still
            # send it, and with the key checked above it means exactly Ed25519 here.
            warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
            # The JWS read above is verified as it is, not parsed a second time.
            verified = jws.validate_compact(compact, key, algorithms=[alg])
    except (JoseError, ValueError):
        verified = False
    if not verified:
        raise ProofRejected("the proof's signature does not verify with its key")
    try:
        claims = json.loads(compact.payload)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise ProofRejected("the proof's payload is not a JSON object of claims")
    return Holder(did, _check_claims(claims, audience, now, max_age))
