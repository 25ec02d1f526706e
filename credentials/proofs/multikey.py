"""Ed25519 keys as Multikey, base58btc, `did:web` identifiers and DID documents.

Multikey (W3C Controlled Identifiers 1.0): `z` + base58btc(multicodec prefix +
raw key). Public keys use the varint prefix of `ed25519-pub` (0xed 0x01, so
they read `z6Mk...`), private keys that of `ed25519-priv` (0x80 0x26, 32-byte
seed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "DID_CONTEXTS",
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "KeyResolver",
    "MAX_KEY_CHARS",
    "b58decode",
    "b58encode",
    "did_document",
    "did_web_url",
    "generate_private_key",
    "issuer_did",
    "private_key_from_multikey",
    "private_key_to_multikey",
    "public_key_from_did_document",
    "public_key_from_multikey",
    "public_key_to_multikey",
    "resolve_did_key",
    "resolve_from_did_documents",
    "resolve_lenient_multikey_fragment",
    "verification_method_id",
]

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
KeyResolver = Callable[[str], Ed25519PublicKey | None]
"""A verification method's IRI -> the public key its controller authorises, or None."""
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]

MAX_KEY_CHARS = 64
"""A multibase key, ``z`` included: Ed25519 is 48 characters, a compressed P-256 key 49."""


def b58encode(data: bytes) -> str:
    """Bitcoin base58 (no checksum); each leading zero byte becomes a `1`."""
    return base58.b58encode(data).decode("ascii")


def b58decode(text: str, *, max_chars: int) -> bytes:
    """Inverse of `b58encode`; ValueError on a character outside the alphabet, or when
    `text` is longer than `max_chars`.

    The length is checked first: base58 decoding costs the square of the length, and
    public routes (``/verify``, the OID4VCI proof) reach it with text from anyone.
    """
    if len(text) > max_chars:
        raise ValueError(f"longer than {max_chars} base58btc characters")
    if not text.isascii():
        raise ValueError("not base58btc: non-ASCII character")
    return base58.b58decode(text)


def _decode_multibase(value: str, prefix: bytes) -> bytes:
    if not value.startswith("z"):
        raise ValueError("multibase value must be base58btc ('z')")
    if len(value) > MAX_KEY_CHARS:
        raise ValueError("too long for a multicodec Ed25519 key")
    raw = b58decode(value[1:], max_chars=MAX_KEY_CHARS)
    if not raw.startswith(prefix) or len(raw) != len(prefix) + 32:
        raise ValueError("not a multicodec Ed25519 key of the expected kind")
    return raw[len(prefix):]


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_to_multikey(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return "z" + b58encode(ED25519_PUB_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode_multibase(value, ED25519_PUB_PREFIX))


def private_key_to_multikey(key: Ed25519PrivateKey) -> str:
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return "z" + b58encode(ED25519_PRIV_PREFIX + seed)


def private_key_from_multikey(value: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode_multibase(value, ED25519_PRIV_PREFIX))


def issuer_did(base_url: str, slug: str) -> str:
    """The `did:web` of institution `slug` under `base_url`.

    `http://127.0.0.1:8000` + `ucll` -> `did:web:127.0.0.1%3A8000:institutions:ucll`;
    a path in `base_url` adds segments (`https://x.be/lll` -> `did:web:x.be:lll:...`).
    The DID document then lives at `{base_url}/institutions/{slug}/did.json`.
    """
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"base URL without a host: {base_url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    segments = [s for s in parts.path.split("/") if s] + ["institutions", slug]
    return ":".join(["did:web", quote(host, safe=""), *(quote(s, safe="") for s in segments)])


def did_web_url(did: str, scheme: str = "https") -> str:
    """Where a `did:web` DID document is fetched (did:web spec; `scheme` for local http)."""
    method, _, rest = did.partition("did:web:")
    if method or not rest:
        raise ValueError(f"not a did:web: {did!r}")
    host, *path = (unquote(s) for s in rest.split(":"))
    return f"{scheme}://{host}/" + ("/".join(path) if path else ".well-known") + "/did.json"


def verification_method_id(did: str, key_id: str) -> str:
    return f"{did}#{key_id}"


def did_document(
    did: str, public_keys: Sequence[tuple[str, Ed25519PublicKey | str]]
) -> dict[str, Any]:
    """A DID document listing every key (old ones too) as a Multikey under `assertionMethod`.

    `public_keys` pairs a fragment (`key-1`) with a key or its Multikey string,
    oldest first; credentials signed with any of them keep verifying.
    """
    methods = [
        {
            "id": verification_method_id(did, key_id),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key if isinstance(key, str) else public_key_to_multikey(key),
        }
        for key_id, key in public_keys
    ]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def public_key_from_did_document(
    document: dict[str, Any], verification_method: str, purpose: str = "assertionMethod"
) -> Ed25519PublicKey | None:
    """The Ed25519 key of `verification_method` if the document authorises it for `purpose`."""
    if not verification_method.startswith(f"{document.get('id')}#"):
        return None
    listed = document.get(purpose) or []
    methods = {
        m.get("id"): m for m in document.get("verificationMethod") or [] if isinstance(m, dict)
    }
    for entry in listed:
        method = entry if isinstance(entry, dict) else methods.get(entry)
        if isinstance(method, dict) and method.get("id") == verification_method:
            if method.get("type") != "Multikey" or method.get("controller") != document["id"]:
                return None
            try:
                return public_key_from_multikey(method.get("publicKeyMultibase", ""))
            except ValueError:
                return None
    return None


# --- key resolvers --------------------------------------------------------------------

def resolve_did_key(verification_method: str) -> Ed25519PublicKey | None:
    """`did:key:z6Mk...#z6Mk...` (Ed25519 did:key, as in the W3C vectors)."""
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:") or fragment != did[len("did:key:"):]:
        return None
    try:
        return public_key_from_multikey(fragment)
    except ValueError:
        return None


def resolve_lenient_multikey_fragment(verification_method: str) -> Ed25519PublicKey | None:
    """`<controller>#<publicKeyMultibase>`: the non-standard form of 1EdTech's validator."""
    _, _, fragment = verification_method.partition("#")
    try:
        return public_key_from_multikey(fragment)
    except ValueError:
        return None


def resolve_from_did_documents(
    documents: Mapping[str, dict[str, Any]], purpose: str = "assertionMethod"
) -> KeyResolver:
    """A resolver over known DID documents (DID -> document), e.g. the partners' did:web."""
    cache: dict[str, Ed25519PublicKey | None] = {}

    def resolve(verification_method: str) -> Ed25519PublicKey | None:
        if verification_method not in cache:
            document = documents.get(verification_method.split("#", 1)[0])
            cache[verification_method] = (
                public_key_from_did_document(document, verification_method, purpose)
                if document else None
            )
        return cache[verification_method]

    return resolve
