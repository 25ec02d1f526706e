"""Python vs Digital Bazaar's Node stack on the same sample credentials, in the same run.

    .venv/bin/python bench/interop.py [--n 500] [--json]

Needs `npm ci --prefix bench/node` once. One core each, one after the other (never
concurrently, so they do not compete for the 2 cores): on the same freshly generated OB3
microcredentials of bench/signing.py,

* Python, `credentials.proofs.signing.sign` / `verify` with the fast canonicaliser
  (`credentials.proofs.fastcanon`), with the pyld reference path (`credentials.proofs.rdfc`), and pyld's
  `jsonld.normalize` as shipped (no static contexts: the ~210/s baseline of issue 5);
* Node, `bench/node/verify.mjs --bench N` (@digitalbazaar/vc issue + verifyCredential with
  DataIntegrityProof / eddsa-rdfc-2022, the documents cycled through);
* interop: Digital Bazaar verifies every Python-signed credential of the run.

Each figure is given in operations per wall-clock second and per CPU second of the process
(the latter is what to compare on a machine that other work shares). Python numbers are one
timed pass after a warm-up pass, like the Node ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from pyld import jsonld
from signing import BASE, CREATED, credential

from credentials.proofs.jsonld import LOADER
from credentials.proofs.multikey import did_document, generate_private_key, issuer_did
from credentials.proofs.rdfc import canonicalize_reference
from credentials.proofs.signing import proof_config, sign, verify

NODE_DIR = ROOT / "bench" / "node"
VERIFY_MJS = NODE_DIR / "verify.mjs"


def timed(fn: Callable[[Any], Any], items: list[Any], warmup: int) -> tuple[float, float]:
    """(operations per wall second, per CPU second) of `fn` over `items`, after a warm-up."""
    for item in items[:warmup]:
        fn(item)
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
        fn(item)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(items) / wall, len(items) / cpu


def _unstatic(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    return {k: v for k, v in LOADER(url, options).items() if k != "tag"}


def python_figures(docs: list[dict[str, Any]], warmup: int) -> tuple[dict[str, Any], list[Any]]:
    key = generate_private_key()
    did = issuer_did(BASE, "ucll")
    method = f"{did}#key-1"
    public = key.public_key()
    few = docs[: max(20, len(docs) // 5)]  # the slow paths on fewer documents
    out: dict[str, Any] = {}
    out["fast sign"] = timed(lambda d: sign(d, key, method, CREATED), docs, warmup)
    signed = [sign(d, key, method, CREATED) for d in docs]
    assert all(verify(s, lambda m: public).verified for s in signed)
    out["fast verify"] = timed(lambda s: verify(s, lambda m: public), signed, warmup)
    out["reference sign"] = timed(
        lambda d: sign(d, key, method, CREATED, canonicalizer=canonicalize_reference), few,
        warmup)
    out["reference verify"] = timed(
        lambda s: verify(s, lambda m: public, canonicalizer=canonicalize_reference),
        signed[: len(few)], warmup)
    config = proof_config(docs[0], method, CREATED)
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               "documentLoader": _unstatic}
    jsonld._resolved_context_cache.clear()
    out["pyld normalize sign"] = timed(lambda d: key.sign(
        hashlib.sha256(jsonld.normalize(config, options).encode()).digest()
        + hashlib.sha256(jsonld.normalize(d, options).encode()).digest()), few, warmup)
    return out, [signed, did_document(did, [("key-1", public)])]


def run_node(*args: str, stdin: str | None = None) -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules").is_dir():
        sys.exit("bench/interop.py needs `node` and `npm ci --prefix bench/node`")
    done = subprocess.run([node, str(VERIFY_MJS), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", check=False)
    if done.returncode != 0:
        sys.exit(f"verify.mjs {' '.join(args[:2])} failed:\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="credentials per measurement")
    parser.add_argument("--seed", type=int, default=20250131)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    from _harness import machine

    rng = random.Random(args.seed)
    docs = [credential(rng, i) for i in range(args.n)]
    warmup = min(50, args.n)
    python, (signed, did_doc) = python_figures(docs, warmup)

    with tempfile.TemporaryDirectory(prefix="academy-interop-") as tmp:
        sample = Path(tmp) / "sample.json"
        sample.write_text(json.dumps(docs), "utf-8")
        dids = Path(tmp) / "dids.json"
        dids.write_text(json.dumps([did_doc]), "utf-8")
        bench = json.loads(run_node("--bench", str(args.n), "--sample", str(sample),
                                    "--warmup", str(warmup)))
        checked = Path(tmp) / "signed.ndjson"
        checked.write_text("".join(json.dumps(s) + "\n" for s in signed), "utf-8")
        verdicts = [json.loads(line) for line in
                    run_node("--dids", str(dids), str(checked)).split("\n") if line]
    rejected = [v for v in verdicts if not v["verified"]]
    node = {"node sign": (bench["signatures_per_s"], bench["signatures_per_cpu_s"]),
            "node verify": (bench["verifications_per_s"], bench["verifications_per_cpu_s"])}

    if args.json:
        print(json.dumps({
            "machine": machine(), "n": args.n, "node_stack": bench["stack"],
            "figures": {k: {"per_s": round(w, 1), "per_cpu_s": round(c, 1)}
                        for k, (w, c) in (python | node).items()},
            "node_verified_python_signed": len(verdicts) - len(rejected),
            "node_rejected_python_signed": rejected,
        }, indent=2))
    else:
        print(f"# interop bench: {machine()}")
        print(f"# {args.n} sample OB3 microcredentials (bench/signing.py), one core each, "
              f"Python then Node; node: {bench['stack']}")
        print(f"{'operation':44} {'per s (wall)':>13} {'per CPU s':>10}")
        rows = [
            ("Python sign, fast path (credentials.proofs.fastcanon)", python["fast sign"]),
            ("Python sign, pyld reference + safe mode", python["reference sign"]),
            ("Python sign, pyld normalize as shipped", python["pyld normalize sign"]),
            ("Node sign, Digital Bazaar vc.issue", node["node sign"]),
            ("Python verify, fast path", python["fast verify"]),
            ("Python verify, pyld reference", python["reference verify"]),
            ("Node verify, Digital Bazaar verifyCredential", node["node verify"]),
        ]
        for label, (wall, cpu) in rows:
            print(f"{label:44} {wall:13.0f} {cpu:10.0f}")
        print(f"# Digital Bazaar verified {len(verdicts) - len(rejected)}/{len(verdicts)} "
              f"Python-signed credentials of this run")
    if rejected:
        print(json.dumps(rejected[:5], indent=2), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
