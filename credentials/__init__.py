"""Microcredentials: issuing, signing, verifying, revoking and stacking.

What flows through it, one request at a time, inside the request's one transaction:

    request body -> validation, fastschema (JSON Schema, once per process)
                 -> issuing (resolve the EU elements from the course; idempotency)
                 -> builder (the unsigned OB 3.0 credential; sealing: sign, check, serialise)
                 -> proofs (pure: JSON-LD, RDFC-1.0 or JCS, Ed25519; see its docstring)
                 -> records (rows, per-learner locks) + status (Bitstring Status Lists)
                 -> awarding (re-evaluate the learner's pathways with the rules engine,
                    rules + progress; a satisfied pathway gets a stacked credential,
                    built by stacked, signed in the same transaction)

The commands call awarding themselves and pass the app's signing keys (``keys.KeyRing``):
issuing, status_changes (revoke, suspend, unsuspend) and pathways (define, approve: an
activated version is awarded to learners who already satisfy it). Nothing calls back
up: commands -> awarding -> records.

Reading: verifying (five checks; the CPU-bound proof and schema checks run in the
caller's worker processes), status_cache (lists in memory, invalidated by LISTEN),
public_pathways and progress (views), learners (tokens, shares), reissue and oid4vci
(a learner's own copy, a wallet's).
"""
