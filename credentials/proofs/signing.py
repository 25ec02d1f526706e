"""Data Integrity proofs with EdDSA (W3C vc-di-eddsa): eddsa-rdfc-2022 and eddsa-jcs-2022.

Exact bytes signed, for a document D (without `proof`) and proof options P
(`type`, `cryptosuite`, `created`, `verificationMethod`, `proofPurpose`, and
`@context` = D's `@context`):

    hashData = SHA-256(canon(P)) || SHA-256(canon(D))        (64 bytes)
    proofValue = "z" + base58btc(Ed25519-sign(hashData))

where canon is RDFC-1.0 canonical N-Quads, UTF-8 (eddsa-rdfc-2022, see
`credentials.proofs.rdfc`) or RFC 8785 JCS (eddsa-jcs-2022). Canonicalisation runs in
safe mode: a document whose expansion would drop or leave undefined any term is
neither signed nor verified, because that data would not be covered.

`sign` returns a new dict; serialise it once and store those bytes. `verify`
never raises on bad input: it returns `Verification(verified, reason)`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import rfc8785
from cachetools import LRUCache
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld.jsonld import JsonLdError

from catalogue.structs import OutStruct
from credentials.proofs.jsonld import UnsafeDocument
from credentials.proofs.limits import MAX_PROOF_VALUE_CHARS, MAX_PROOFS
from credentials.proofs.multikey import KeyResolver, b58decode, b58encode
from credentials.proofs.rdfc import sort_order_ambiguity
from credentials.proofs.fastcanon import canonicalize

__all__ = [
    "CRYPTOSUITES",
    "Cryptosuite",
    "Verification",
    "canonical_bytes",
    "hash_data",
    "jcs",
    "proof_config",
    "sign",
    "verify",
]

Cryptosuite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"]
CRYPTOSUITES: tuple[str, ...] = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
Canonicalizer = Callable[..., str]


class Verification(OutStruct, frozen=True):
    verified: bool
    reason: str
    verification_method: str | None = None
    cryptosuite: str | None = None


# --- RFC 8785 -------------------------------------------------------------------------

_SAFE = 2**53


def jcs(value: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme, UTF-8 (the `rfc8785` package).

    `rfc8785` refuses integers beyond 2^53 - 1; ±2^53 itself is exact in IEEE-754 and
    serialises the same as that float, so it is accepted (as our earlier serialiser did).
    """
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        return rfc8785.dumps(_exact_integers(value))


def _exact_integers(value: Any) -> Any:
    """`value` with ±2^53 as floats; ValueError for an integer with no exact double."""
    if type(value) is int:
        if abs(value) > _SAFE:
            raise ValueError("JCS: integer beyond 2^53 has no exact IEEE-754 form")
        return float(value) if abs(value) == _SAFE else value
    if isinstance(value, dict):
        return {k: _exact_integers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_exact_integers(v) for v in value]
    return value


# --- proofs ---------------------------------------------------------------------------

def canonical_bytes(
    document: dict[str, Any], cryptosuite: str, canonicalizer: Canonicalizer = canonicalize
) -> bytes:
    """The suite's transformation of `document`: RDFC-1.0 N-Quads or JCS, UTF-8."""
    if cryptosuite == "eddsa-rdfc-2022":
        nquads = canonicalizer(document, safe=True, allow_vocab_fallback=True)
        if why := sort_order_ambiguity(nquads):
            raise UnsafeDocument([why])
        return nquads.encode()
    if cryptosuite == "eddsa-jcs-2022":
        return jcs(document)
    raise ValueError(f"unsupported cryptosuite {cryptosuite!r}")


def proof_config(
    document: dict[str, Any],
    verification_method: str,
    created: datetime | str,
    cryptosuite: str = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Proof options in the key order of the W3C test vectors, `@context` copied from D."""
    if isinstance(created, datetime):
        created = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def hash_data(
    unsecured: dict[str, Any],
    config: dict[str, Any],
    canonicalizer: Canonicalizer = canonicalize,
) -> bytes:
    """SHA-256(canon(proof options)) || SHA-256(canon(document)): the 64 bytes signed."""
    suite = config["cryptosuite"]
    return (
        _config_hash(config, suite, canonicalizer)
        + hashlib.sha256(canonical_bytes(unsecured, suite, canonicalizer)).digest()
    )


_CONFIG_HASHES: LRUCache[tuple[Any, ...], bytes] = LRUCache(4096)


def _config_hash(config: dict[str, Any], suite: str, canonicalizer: Canonicalizer) -> bytes:
    # A batch shares created/verificationMethod: memoise plain string-valued configs.
    key = None
    if canonicalizer is canonicalize and all(
        type(v) is str or (type(v) is list and all(type(x) is str for x in v))
        for v in config.values()
    ):
        key = tuple((k, v if type(v) is str else tuple(v)) for k, v in config.items())
        digest = _CONFIG_HASHES.get(key)
        if digest is not None:
            return digest
    digest = hashlib.sha256(canonical_bytes(config, suite, canonicalizer)).digest()
    if key is not None:
        _CONFIG_HASHES[key] = digest
    return digest


def sign(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    *,
    cryptosuite: Cryptosuite = "eddsa-rdfc-2022",
    proof_purpose: str = "assertionMethod",
    proof_as_list: bool = True,
    canonicalizer: Canonicalizer = canonicalize,
) -> dict[str, Any]:
    """`document` plus a DataIntegrityProof (as a one-item list, as OB 3.0 requires).

    Raises `UnsafeDocument` when a term would be dropped, ValueError when the
    document already carries a proof or cannot be canonicalised.
    """
    if "proof" in document:
        raise ValueError("document already has a proof")
    config = proof_config(document, verification_method, created, cryptosuite, proof_purpose)
    signature = private_key.sign(hash_data(document, config, canonicalizer))
    proof = {k: v for k, v in config.items() if k != "@context" or cryptosuite == "eddsa-jcs-2022"}
    proof["proofValue"] = "z" + b58encode(signature)
    return {**document, "proof": [proof] if proof_as_list else proof}


def verify(
    document: Any,
    resolve_key: KeyResolver,
    *,
    expected_purpose: str = "assertionMethod",
    require_issuer_key: bool = True,
    canonicalizer: Canonicalizer = canonicalize,
    now: datetime | None = None,
) -> Verification:
    """Check every proof of `document`; `verified` only if all of them (at least one) hold.

    `resolve_key(verification_method)` returns the public key the method's
    controller authorises for `expected_purpose`, or None. With
    `require_issuer_key`, the method must belong to the credential's `issuer`
    (its IRI before `#`). A proof's `created` must be an XML Schema dateTime and
    its `expires`, if any, later than `now`. Credential validity dates and status
    are the caller's checks.
    """
    if not isinstance(document, dict) or "proof" not in document:
        return Verification(False, "no proof")
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    if not proofs:
        return Verification(False, "no proof")
    if len(proofs) > MAX_PROOFS:
        return Verification(False, f"{len(proofs)} proofs; at most {MAX_PROOFS} are verified")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    result = Verification(False, "no proof")
    now = now or datetime.now(UTC)
    for proof in proofs:
        result = _verify_one(
            unsecured, proof, resolve_key, expected_purpose, require_issuer_key, canonicalizer,
            now,
        )
        if not result.verified:
            return result
    return result


def _verify_one(
    unsecured: dict[str, Any],
    proof: Any,
    resolve_key: KeyResolver,
    expected_purpose: str,
    require_issuer_key: bool,
    canonicalizer: Canonicalizer,
    now: datetime,
) -> Verification:
    """One proof, as the steps of vc-di-eddsa §3.3.2 (Verify Proof, eddsa-rdfc-2022; §3.4.2
    for eddsa-jcs-2022 is the same with JCS) after VC Data Integrity §4.3's checks."""
    if not isinstance(proof, dict):
        return Verification(False, "proof is not an object")
    method, suite = proof.get("verificationMethod"), proof.get("cryptosuite")

    def fail(reason: str) -> Verification:
        return Verification(False, reason, method if isinstance(method, str) else None,
                            suite if isinstance(suite, str) else None)

    if (why := _proof_problem(proof, expected_purpose, now)) is not None:
        return fail(why)
    assert isinstance(method, str)  # _proof_problem refuses anything else
    signature = _proof_bytes(proof)  # step 3
    if isinstance(signature, str):
        return fail(signature)
    configured = _proof_options(unsecured, proof)  # steps 1, 2 and 4
    if isinstance(configured, str):
        return fail(configured)
    unsecured, config = configured
    if require_issuer_key and not _controlled_by_issuer(unsecured, method):
        return fail("verification method does not belong to the issuer")
    key = resolve_key(method)
    if key is None:
        return fail(f"verification method {method!r} is unknown or not authorised")
    data = _hash_data(unsecured, config, canonicalizer)  # steps 5 to 7
    if isinstance(data, str):
        return fail(data)
    if not _proof_verification(key, signature, data):  # step 8
        return fail("signature does not match the document")
    return Verification(True, "ok", method, suite)


def _proof_problem(proof: dict[str, Any], expected_purpose: str, now: datetime) -> str | None:
    """VC Data Integrity §4.3 (Verify Proof) checks on the proof's own fields, or None."""
    method, suite = proof.get("verificationMethod"), proof.get("cryptosuite")
    if proof.get("type") != "DataIntegrityProof":
        return f"unsupported proof type {proof.get('type')!r}"
    if suite not in CRYPTOSUITES:
        return f"unsupported cryptosuite {suite!r}"
    if proof.get("proofPurpose") != expected_purpose:
        return f"proof purpose is {proof.get('proofPurpose')!r}, not {expected_purpose!r}"
    if "previousProof" in proof:
        return "proof chains (previousProof) are not supported"
    if not isinstance(method, str):
        return "proof has no verificationMethod"
    for field in ("created", "expires"):
        if field in proof and _datetime(proof[field]) is None:
            return f"proof {field} is not an XML Schema dateTime"
    if "expires" in proof and _datetime(proof["expires"]) <= now:  # type: ignore[operator]
        return "proof has expired"
    return None


def _proof_bytes(proof: dict[str, Any]) -> bytes | str:
    """Step 3: the Multibase (base58btc) decoding of proofValue, or why it is not one.

    The length is bounded first: base58 decoding is quadratic, and this is public input."""
    value = proof.get("proofValue")
    if isinstance(value, str) and len(value) > MAX_PROOF_VALUE_CHARS:
        return "proofValue is longer than a base58btc Ed25519 signature"
    try:
        if not isinstance(value, str) or not value.startswith("z"):
            raise ValueError
        signature = b58decode(value[1:], max_chars=MAX_PROOF_VALUE_CHARS)
    except ValueError:
        return "proofValue is not base58btc multibase"
    if len(signature) != 64:
        return "proofValue is not a 64-byte Ed25519 signature"
    return signature


def _proof_options(
    unsecured: dict[str, Any], proof: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """Steps 1, 2 and 4: the proof options (the proof without proofValue) and the document
    under the options' ``@context``, which must be a prefix of the document's."""
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config:
        context = unsecured.get("@context")
        contexts = context if isinstance(context, list) else [context]
        wanted = config["@context"]
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if contexts[: len(wanted)] != wanted:
            return "proof @context is not a prefix of the document's @context"
        unsecured = {**unsecured, "@context": config["@context"]}
    elif "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return unsecured, config


def _controlled_by_issuer(unsecured: dict[str, Any], method: str) -> bool:
    """The verification method is the issuer's: its IRI before ``#`` is the issuer's id."""
    issuer = unsecured.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return isinstance(issuer_id, str) and method.split("#", 1)[0] == issuer_id


def _hash_data(
    unsecured: dict[str, Any], config: dict[str, Any], canonicalizer: Canonicalizer
) -> bytes | str:
    """Steps 5 to 7 (Transformation, Proof Configuration, Hashing), or why they failed."""
    try:
        return hash_data(unsecured, config, canonicalizer)
    except UnsafeDocument as error:
        return f"document is unsafe to canonicalise: {error}"
    except JsonLdError as error:
        return f"document cannot be canonicalised: {_root_cause(error)}"
    except (ValueError, TypeError) as error:
        return f"document cannot be canonicalised: {error}"


def _proof_verification(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Step 8 (§3.3.7 Proof Verification): Ed25519 over hashData."""
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


_DATETIME = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?\Z"
)


def _datetime(value: Any) -> datetime | None:
    """An xsd:dateTime as an aware datetime (no zone: UTC), or None if it is not one."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _root_cause(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)
