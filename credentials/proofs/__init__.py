"""Data Integrity proofs, pure: no database, no HTTP, no settings.

A credential (a JSON object) flows through it as

    document -> jsonld (offline expansion, safe mode: no dropped term)
             -> fastcanon (RDFC-1.0 by shape templates; rdfc is the pyld reference and
                its bounded n-degree step) or JCS (RFC 8785, eddsa-jcs-2022)
             -> signing (SHA-256 of proof options and document, Ed25519) -> proof
             -> multikey (base58btc keys, did:web documents) to name and find the key.

`limits` bounds what a public verification may cost (sizes, blank nodes, RDFC-1.0 deep
iterations, a deadline); `holder_proof` checks a wallet's OID4VCI proof of possession.
The only files read are the bundled JSON-LD contexts under `schemas/contexts/`, once.
"""
