"""RDFC-1.0's deep-iteration bound, on raw datasets: no JSON-LD, no HTTP.

A clique of blank nodes that share one first-degree hash makes Hash N-Degree Quads
permute and recurse (factorial work); the bound turns it into a quick ``TooComplex``
that ``signing.verify`` reports as the proof's reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from credentials.proofs.limits import TooComplex
from credentials.proofs.multikey import b58encode, generate_private_key
from credentials.proofs.rdfc import rdfc_dataset
from credentials.proofs.signing import verify

_KNOWS = "http://xmlns.com/foaf/0.1/knows"


def _blank(name: str) -> dict[str, str]:
    return {"type": "blank node", "value": name}


def _clique(size: int) -> dict[str, list[dict[str, Any]]]:
    """``size`` blank nodes, each linked to every other: all one first-degree hash."""
    triples = [{"subject": _blank(f"_:n{i}"), "predicate": {"type": "IRI", "value": _KNOWS},
                "object": _blank(f"_:n{j}")}
               for i in range(size) for j in range(size) if i != j]
    return {"@default": triples}


def test_a_clique_of_blank_nodes_is_refused_by_the_deep_iteration_bound() -> None:
    with pytest.raises(TooComplex, match="deep iterations"):
        rdfc_dataset(_clique(7))


def test_blank_nodes_that_share_a_hash_but_no_edges_stay_within_the_bound() -> None:
    # Two look-alike nodes: Hash N-Degree Quads runs once for each, nothing recurses.
    name = {"type": "IRI", "value": "https://schema.org/name"}
    same = {"type": "literal", "value": "x",
            "datatype": "http://www.w3.org/2001/XMLSchema#string"}
    dataset = {"@default": [{"subject": _blank("_:a"), "predicate": name, "object": same},
                            {"subject": _blank("_:b"), "predicate": name, "object": same}]}
    assert rdfc_dataset(dataset) == (
        '_:c14n0 <https://schema.org/name> "x" .\n_:c14n1 <https://schema.org/name> "x" .\n')


def test_the_verifier_reports_the_bound_as_the_proof_reason() -> None:
    knows = [{"id": f"_:n{j}"} for j in range(7)]
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {_KNOWS: [{"id": f"_:n{i}", _KNOWS: [k for k in knows
                                                               if k["id"] != f"_:n{i}"]}
                                       for i in range(7)]},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                  "created": "2025-01-31T10:00:00Z", "proofPurpose": "assertionMethod",
                  "verificationMethod": "did:example:issuer#key-1", "proofValue": "z" + b58encode(bytes(64))},
    }
    key = generate_private_key().public_key()
    result = verify(document, lambda method: key)
    assert not result.verified and "deep iterations" in result.reason, result.reason
