"""Signing and verifying OB 3.0 microcredentials (eddsa-rdfc-2022), pyld reference vs fast path.

    .venv/bin/python bench/signing.py [--n 2000] [--processes 2]

No database, no HTTP: the pure signing layer. In one run, on the same freshly
generated credentials (distinct ids, titles, learners, grades):

* reference: pyld expansion with the bundled contexts (tagged static), pyld toRdf,
  pyld's URDNA2015 (escaping corrected), for the credential and its proof options;
* pyld as shipped: `jsonld.normalize` with a loader that does *not* tag contexts
  static (pyld's default caching), the baseline the issue quotes (~210/s);
* fast path: `credentials.proofs.fastcanon` templates, checked byte-identical to the
  reference on every credential of the run before timing.

Per-step times are CPU time per credential on one core (best of three passes);
throughput with `--processes` is wall time of that many workers in parallel on
disjoint credentials, so it also shows what else the machine is doing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import string
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from pyld import jsonld  # noqa: E402

from credentials.builder import CONTEXTS  # noqa: E402
from credentials.proofs.jsonld import LOADER, inspect_expansion  # noqa: E402
from credentials.proofs.multikey import b58encode, generate_private_key, issuer_did  # noqa: E402
from credentials.proofs.rdfc import canonicalize_reference  # noqa: E402
from credentials.proofs.fastcanon import SHAPES, _shape, canonicalize  # noqa: E402
from credentials.proofs.signing import proof_config, sign, verify  # noqa: E402

BASE = "http://127.0.0.1:8000"
CREATED = "2025-01-31T10:00:00Z"


def credential(rng: random.Random, number: int) -> dict[str, Any]:
    """A realistic microcredential: 75 quads, 9 blank nodes, 3 learning outcomes."""
    slug = "ucll"
    did = issuer_did(BASE, slug)
    course = f"{BASE}/courses/{slug}/MC-{rng.randint(1, 40):03d}"

    def words(n: int) -> str:
        return " ".join("".join(rng.choices(string.ascii_lowercase + "éü", k=rng.randint(2, 9)))
                        for _ in range(n)).capitalize()

    title = words(4)
    outcomes = [words(8) for _ in range(3)]
    learner = words(2)
    return {
        "@context": list(CONTEXTS),  # as issued: the standard URLs and our embedded terms
        "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {"id": did, "type": ["Profile"], "name": "UCLL",
                   "address": {"type": ["Address"], "addressCountryCode": "BE"}},
        "validFrom": f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": learner,
            "identifier": [{"type": "IdentityObject", "identityType": "emailAddress",
                            "hashed": True, "salt": "c2FsdA",
                            "identityHash": "sha256$"
                            + hashlib.sha256(learner.encode()).hexdigest()}],
            "result": [{"type": ["Result"], "resultDescription": f"{course}/results/grade",
                        "value": str(rng.randint(10, 20))}],
            "achievement": {
                "id": course, "type": ["Achievement"], "achievementType": "MicroCredential",
                "name": title, "description": words(12),
                "criteria": {"narrative": "\n".join(f"- {o}" for o in outcomes)},
                "creditsAvailable": rng.choice([3, 4, 6]), "inLanguage": "nl",
                "alignment": [{"type": ["Alignment"], "targetName": "EQF level 6",
                               "targetType": "ext:EQF",
                               "targetUrl": "http://data.europa.eu/snb/eqf/6",
                               "targetFramework": "European Qualifications Framework"}] + [
                    {"type": ["Alignment"], "targetName": o, "targetType": "ext:LearningOutcome",
                     "targetUrl": f"{course}/outcomes/{k}"} for k, o in enumerate(outcomes)],
                "resultDescription": [{"id": f"{course}/results/grade",
                                       "type": ["ResultDescription"],
                                       "name": "Grade", "resultType": "GradePointAverage",
                                       "valueMin": "0", "valueMax": "20", "requiredValue": "10"}],
                "assessmentType": {"en": "portfolio"},
                "participationForm": {"en": "blended"},
                "qualityAssurance": {"en": "UCLL internal quality assurance, NVAO review",
                                     "nl": "Interne kwaliteitszorg van UCLL, NVAO-review"},
                "supervisionAndIdentityVerification": {"en": "supervised onsite, ID verified"},
            },
        },
        "credentialStatus": {
            "id": f"{BASE}/institutions/{slug}/status/revocation-1#{number}",
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(number),
            "statusListCredential": f"{BASE}/institutions/{slug}/status/revocation-1",
        },
    }


def per_item(fn: Callable[[Any], Any], items: list[Any]) -> float:
    """CPU seconds per item of `fn` over `items`, best of 3 passes.

    CPU time, not wall time, so that other load on a shared machine does not
    inflate the figures; the multi-process throughput below is wall time.
    """
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for item in items:
            fn(item)
        best = min(best, (time.process_time() - start) / len(items))
    return best


def _unstatic(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    return {k: v for k, v in LOADER(url, options).items() if k != "tag"}


def breakdown(n: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    docs = [credential(rng, i) for i in range(n)]
    few = docs[: max(20, n // 20)]
    key = generate_private_key()
    method = f"{issuer_did(BASE, 'ucll')}#key-1"
    configs = [proof_config(d, method, CREATED) for d in docs]

    mismatches = sum(canonicalize(d) != canonicalize_reference(d) for d in few)
    assert mismatches == 0, f"{mismatches} credentials canonicalised differently"
    canonicalize(docs[0])  # learn the shape once, as a running server would

    out: dict[str, float] = {}
    # reference, step by step (credential + proof options each time)
    out["ref_expand"] = per_item(
        lambda d: (inspect_expansion(d), inspect_expansion(configs[0])), few)
    out["ref_canon"] = per_item(
        lambda d: (canonicalize_reference(d), canonicalize_reference(configs[0])), few
    ) - out["ref_expand"]
    config_canon = canonicalize_reference(configs[0]).encode()
    canon = [canonicalize_reference(d).encode() for d in few]
    out["hash"] = per_item(
        lambda c: hashlib.sha256(config_canon).digest() + hashlib.sha256(c).digest(), canon)
    digests = [hashlib.sha256(config_canon).digest() + hashlib.sha256(c).digest() for c in canon]
    out["sign"] = per_item(key.sign, digests)
    out["b58"] = per_item(b58encode, [key.sign(d) for d in digests])
    # fast path, step by step
    out["fast_shape"] = per_item(lambda d: _shape(d, [], []), docs)
    out["fast_canon"] = per_item(canonicalize, docs) - out["fast_shape"]
    # whole operations
    out["ref_sign"] = per_item(
        lambda d: sign(d, key, method, CREATED, canonicalizer=canonicalize_reference), few)
    for name, loader in (("pyld_sign", _unstatic), ("pyld_static_sign", LOADER)):
        jsonld._resolved_context_cache.clear()  # else earlier static results are reused
        options = {"algorithm": "URDNA2015", "format": "application/n-quads",
                   "documentLoader": loader}
        out[name] = per_item(lambda d, o=options: key.sign(
            hashlib.sha256(jsonld.normalize(configs[0], o).encode()).digest()
            + hashlib.sha256(jsonld.normalize(d, o).encode()).digest()), few)
    out["fast_sign"] = per_item(lambda d: sign(d, key, method, CREATED), docs)
    signed = [sign(d, key, method, CREATED) for d in docs]
    public = key.public_key()
    out["ref_verify"] = per_item(
        lambda s: verify(s, lambda m: public, canonicalizer=canonicalize_reference),
        signed[: len(few)])
    out["fast_verify"] = per_item(lambda s: verify(s, lambda m: public), signed)
    assert all(verify(s, lambda m: public).verified for s in signed)
    out["quads"] = canonicalize(docs[0]).count("\n")
    out["hits"], out["misses"] = SHAPES.hits, SHAPES.misses
    return out


def throughput(args: tuple[str, int, int]) -> float:
    """Operations per second of one worker: sign or verify with the fast path."""
    what, n, seed = args
    rng = random.Random(seed)
    docs = [credential(rng, seed * n + i) for i in range(n)]
    key = generate_private_key()
    method = f"{issuer_did(BASE, 'ucll')}#key-1"
    canonicalize(docs[0])
    if what == "verify":
        public = key.public_key()
        signed = [sign(d, key, method, CREATED) for d in docs]
        start = time.perf_counter()
        assert all(verify(s, lambda m: public).verified for s in signed)
    else:
        start = time.perf_counter()
        for d in docs:
            sign(d, key, method, CREATED)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="credentials per measurement")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=20250131)
    args = parser.parse_args()

    from _harness import machine  # noqa: PLC0415

    r = breakdown(args.n, args.seed)
    ms = 1000.0
    rows = [
        ("expand (pyld) / shape key", r["ref_expand"], r["fast_shape"]),
        ("toRdf + RDFC-1.0 / fill template + RDFC", r["ref_canon"], r["fast_canon"]),
        ("hash (2 x SHA-256)", r["hash"], r["hash"]),
        ("sign (Ed25519) + base58", r["sign"] + r["b58"], r["sign"] + r["b58"]),
    ]
    print(f"# signing bench: {machine()}")
    print(f"# sample OB3 microcredential: {r['quads']} quads; shape cache "
          f"{r['hits']} hits / {r['misses']} misses; fast == reference checked")
    print(f"{'step (per credential, 1 core)':44} {'reference':>11} {'fast':>10} {'speed-up':>9}")
    for label, ref, fast in rows:
        print(f"{label:44} {ref * ms:8.3f} ms {fast * ms:7.3f} ms {ref / fast:8.1f}x")
    print(f"{'whole sign()':44} {r['ref_sign'] * ms:8.3f} ms {r['fast_sign'] * ms:7.3f} ms "
          f"{r['ref_sign'] / r['fast_sign']:8.1f}x")
    print(f"{'whole verify()':44} {r['ref_verify'] * ms:8.3f} ms {r['fast_verify'] * ms:7.3f} ms "
          f"{r['ref_verify'] / r['fast_verify']:8.1f}x")
    print()
    print(f"{'throughput, 1 core':44} {'reference':>11} {'fast':>10}")
    print(f"{'signatures/s, pyld normalize, plain loader':44} {1 / r['pyld_sign']:11.0f}")
    print(f"{'signatures/s, pyld normalize, static loader':44} {1 / r['pyld_static_sign']:11.0f}")
    print(f"{'signatures/s (reference: + safe mode)':44} {1 / r['ref_sign']:11.0f} "
          f"{1 / r['fast_sign']:10.0f}")
    print(f"{'verifications/s':44} {1 / r['ref_verify']:11.0f} {1 / r['fast_verify']:10.0f}")
    if args.processes > 1:
        with ProcessPoolExecutor(args.processes) as pool:
            for what in ("sign", "verify"):
                rates = list(pool.map(throughput, [(what, args.n, args.seed + i)
                                                   for i in range(args.processes)]))
                print(f"{what + ', fast, ' + str(args.processes) + ' processes':44} "
                      f"{'':>11} {sum(rates):10.0f}/s")


if __name__ == "__main__":
    main()
