"""Requests that stalled ``POST /api/v1/verify`` before its bounds: built from a real credential.

Shared by ``tests/credentials/test_verify_dos.py`` and ``bench/attack_verify.py``. Each takes a
credential the registry issued (so its verification method names a key we hold, and the
proof is canonicalised before its signature fails) and returns the body to send.
"""

from __future__ import annotations

import copy
import json
from typing import Any

__all__ = ["clique", "empty_objects", "long_array", "long_proof_value", "many_proofs",
           "new_shapes", "scoped_context"]

_KNOWS = "https://example.org/vocab#knows"


def clique(credential: dict[str, Any], size: int = 7) -> bytes:
    """A ~5 KB credential whose subject holds ``size`` mutually linked blank nodes.

    They all share one first-degree hash, so RDFC-1.0's Hash N-Degree Quads permutes and
    recurses over them: 14 s for 7 nodes before the deep-iteration bound.
    """
    forged = copy.deepcopy(credential)
    nodes = [{"id": f"_:n{i}", _KNOWS: [{"id": f"_:n{j}"} for j in range(size) if j != i]}
             for i in range(size)]
    forged["credentialSubject"][_KNOWS] = nodes
    return json.dumps(forged).encode()


def new_shapes(credential: dict[str, Any], count: int, start: int = 0) -> bytes:
    """``count`` forged credentials, each of a shape never seen (a property of its own)."""
    out = []
    for i in range(start, start + count):
        forged = copy.deepcopy(credential)
        forged["credentialSubject"][f"https://example.org/vocab#p{i}"] = "x"
        out.append(forged)
    return json.dumps(out).encode()


def empty_objects(size: int) -> bytes:
    """``[{}, {}, ...]`` of about ``size`` bytes."""
    return b"[" + b",".join([b"{}"] * (size // 3)) + b"]"


def many_proofs(credential: dict[str, Any], count: int) -> bytes:
    """One credential with ``count`` proofs, each naming another key of the issuer."""
    forged = copy.deepcopy(credential)
    proof = forged["proof"][0]
    method = proof["verificationMethod"].split("#")[0]
    forged["proof"] = [{**proof, "verificationMethod": f"{method}#key-{i + 2}"}
                       for i in range(count)]
    return json.dumps(forged).encode()


def long_proof_value(credential: dict[str, Any], chars: int) -> bytes:
    """A proofValue of ``chars`` base58 characters (decoding is quadratic in its length)."""
    forged = copy.deepcopy(credential)
    forged["proof"][0]["proofValue"] = "z" + "2" * chars
    return json.dumps(forged).encode()


def long_array(credential: dict[str, Any], count: int) -> bytes:
    """A subject property of ``count`` strings (pyld's toRdf compares each with the others)."""
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["https://example.org/vocab#v"] = [f"v{i}" for i in range(count)]
    return json.dumps(forged).encode()


def scoped_context(credential: dict[str, Any], terms: int, nodes: int) -> bytes:
    """An inline property-scoped context of ``terms`` terms, applied anew at ``nodes`` nodes."""
    forged = copy.deepcopy(credential)
    scoped = {f"t{i}": f"https://example.org/vocab#t{i}" for i in range(terms)}
    forged["@context"] = [*forged["@context"],
                          {"n": {"@id": "https://example.org/vocab#n", "@context": scoped}}]
    forged["credentialSubject"]["n"] = [{"n": {"t1": "y"}} for _ in range(nodes)]
    return json.dumps(forged).encode()
