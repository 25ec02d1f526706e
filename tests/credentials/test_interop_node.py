"""Our eddsa-rdfc-2022 credentials against Digital Bazaar's JavaScript stack, offline.

Credentials of several shapes are signed with `credentials.proofs.signing.sign` and handed to
`bench/node/verify.mjs` (@digitalbazaar/vc 7 + data-integrity 2 + eddsa-rdfc-2022-cryptosuite
1, jsonld.js 9, rdf-canonize 5; pinned in bench/node/package-lock.json), whose document loader
serves only the standard contexts of `schemas/contexts/` (none of ours: credentials embed
theirs) and the DID documents we write next to the credentials. Three
independent checks per credential, from the weakest to the most precise:

* Digital Bazaar's verifier accepts it (and rejects the tampered ones);
* Digital Bazaar, signing the same unsigned document with the same key, `created` and
  verification method, produces the same `proofValue` (Ed25519 is deterministic, so the 64
  bytes signed are identical), and our verifier accepts what it signed;
* its canonical N-Quads equal ours byte for byte (the diff names the first differing quad).

The known divergences are `xfail(strict=True)` with the measured cause, so that a fix shows
up as XPASS and the marker has to go.

Needs `node` (>= 20) and `bench/node/node_modules`. A session fixture runs `npm ci` once when
the modules are missing, and fails (never skips silently) when node or npm is missing or the
install fails. ACADEMY_SKIP_NODE_INTEROP=1 skips these tests explicitly (shown by `-ra`).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

from credentials.builder import LOCAL_CONTEXT
from credentials.proofs.jsonld import CONTEXT_FILES, CONTEXTS_DIR, LOADER, MICROCREDENTIAL_CONTEXT_URL
from credentials.proofs.multikey import (
    b58encode,
    did_document,
    generate_private_key,
    issuer_did,
    private_key_to_multikey,
    resolve_from_did_documents,
)
from credentials.proofs.rdfc import canonicalize_reference, find_control_chars
from credentials.proofs.fastcanon import canonicalize
from credentials.proofs.signing import proof_config, sign, verify

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "bench" / "node"
VERIFY_MJS = NODE_DIR / "verify.mjs"
NPM_CI_TIMEOUT = 600
NODE_TIMEOUT = 300

BASE = "http://127.0.0.1:8000"
UCLL = issuer_did(BASE, "ucll")
KULEUVEN = issuer_did(BASE, "kuleuven")
METHOD = f"{UCLL}#key-1"
CREATED = "2025-01-31T10:00:00Z"
OB3_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


# --- the Node stack -------------------------------------------------------------------

@pytest.fixture(scope="session")
def node() -> str:
    """The `node` executable, with bench/node's pinned modules installed (`npm ci` once)."""
    if os.environ.get("ACADEMY_SKIP_NODE_INTEROP") == "1":
        pytest.skip("ACADEMY_SKIP_NODE_INTEROP=1: Digital Bazaar interop not checked")
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("`node` (>= 20) is not on PATH: the interop tests against Digital Bazaar's "
                    "verifier cannot run. Install Node.js, or set ACADEMY_SKIP_NODE_INTEROP=1 "
                    "to skip them explicitly.", pytrace=False)
    if not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc" / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"bench/node/node_modules is missing and `npm` is not on PATH: run "
                        f"`npm ci --prefix {NODE_DIR}`.", pytrace=False)
        command = [npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"]
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=NPM_CI_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(command)}` took over {NPM_CI_TIMEOUT}s", pytrace=False)
        if done.returncode != 0:
            pytest.fail(f"`{' '.join(command)}` failed ({done.returncode}):\n"
                        f"{done.stderr[-3000:]}", pytrace=False)
    return executable


def run_node(node: str, *args: str, stdin: str | None = None) -> list[dict[str, Any]]:
    """Run verify.mjs; its output, one JSON object per line (split on LF only: the
    lines may hold U+2028 or U+0085, which `str.splitlines` would split on)."""
    done = subprocess.run([node, str(VERIFY_MJS), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=NODE_TIMEOUT, check=False)
    assert done.returncode == 0, f"verify.mjs {' '.join(args)} failed:\n{done.stderr}"
    return [json.loads(line) for line in done.stdout.split("\n") if line]


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    return path


# --- keys and documents ---------------------------------------------------------------

@dataclass(frozen=True)
class Issuer:
    key: Ed25519PrivateKey
    stranger: Ed25519PrivateKey  # a key that no DID document lists
    did_documents: dict[str, dict[str, Any]]

    def resolver(self) -> Callable[[str], Any]:
        return resolve_from_did_documents(self.did_documents)


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    key = generate_private_key()
    documents = {
        UCLL: did_document(UCLL, [("key-0", generate_private_key().public_key()),
                                  ("key-1", key.public_key())]),
        KULEUVEN: did_document(KULEUVEN, [("key-1", generate_private_key().public_key())]),
    }
    return Issuer(key, generate_private_key(), documents)


def microcredential(
    *,
    title: str = "Toetsen ontwerpen",
    learner: str = "An Peeters",
    ects: float = 3,
    number: int = 1,
    **achievement_extra: Any,
) -> dict[str, Any]:
    """A full microcredential shaped like `credentials.builder.build_credential`'s output.

    Built here rather than through the builder (still in flux) so that this test pins the
    shape it checks: the four contexts, both identity objects, a letter-grade result, every EU
    element in our context (language maps), two status entries, a credential schema.
    """
    course = f"{BASE}/courses/ucll/MC-TOETS"
    credential_id = f"urn:uuid:{uuid.UUID(int=number)}"
    achievement: dict[str, Any] = {
        "id": course,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": title,
        "description": f"{title}: ontwerp valide en betrouwbare toetsen.",
        "criteria": {"narrative": "Leerresultaten:\n- Ontwerpt toetsen.\n- Beoordeelt ze."},
        "creditsAvailable": ects,
        "inLanguage": "nl",
        "alignment": [{
            "type": ["Alignment"], "targetType": "ext:EQFLevel", "targetName": "EQF level 6",
            "targetUrl": "http://data.europa.eu/snb/eqf/6",
            "targetFramework": "European Qualifications Framework", "targetCode": "6",
        }],
        "fieldOfStudy": "ISCED-F 2013: 0111",
        "resultDescription": [{
            "id": f"{credential_id}#grade", "type": ["ResultDescription"], "name": "Grade",
            "resultType": "LetterGrade", "allowedValue": ["A", "B", "C", "D", "E", "F"],
            "requiredValue": "E",
        }],
        "assessmentType": "portfolio: a reviewed portfolio of three assessments",
        "participationForm": {"en": "blended", "nl": "hybride"},
        "qualityAssurance": {"en": "UCLL internal quality assurance, NVAO review",
                             "nl": "Interne kwaliteitszorg van UCLL, NVAO-review"},
        "supervisionAndIdentityVerification": "supervised onsite; identity verified",
        "prerequisites": {"en": "A bachelor's degree"},
        "stackabilityOptions": "Stackable: counts towards a larger credential",
        "furtherInformation": {"en": "https://www.ucll.be/toetsen"},
        **achievement_extra,
    }
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
            LOCAL_CONTEXT,  # embedded, as issued: node's loader has no context of ours
        ],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {
            "id": UCLL, "type": ["Profile"], "name": "UCLL", "url": "https://www.ucll.be",
            "address": {"type": ["Address"], "addressCountryCode": "BE",
                        "addressCountry": "Belgium"},
        },
        "validFrom": "2025-01-31T00:00:00Z",
        "awardedDate": "2025-01-31T00:00:00Z",
        "validUntil": "2099-12-31T23:59:59Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                 "identityHash": "sha256$" + "ab" * 32, "salt": "c2FsdA"},
                {"type": "IdentityObject", "identityType": "name", "hashed": False,
                 "identityHash": learner},
            ],
            "achievement": achievement,
            "creditsEarned": ects,
            "result": [{"type": ["Result"], "resultDescription": f"{credential_id}#grade",
                        "value": "B"}],
        },
        "credentialStatus": [
            {"id": f"{BASE}/institutions/ucll/status/{n}#{9000 + number}",
             "type": "BitstringStatusListEntry", "statusPurpose": purpose,
             "statusListIndex": str(9000 + number),
             "statusListCredential": f"{BASE}/institutions/ucll/status/{n}"}
            for n, purpose in ((1, "revocation"), (2, "suspension"))
        ],
        "credentialSchema": [{"id": OB3_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def minimal_vc() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:7f1d2a9e-1111-4c6e-9d7e-000000000001",
        "type": ["VerifiableCredential"],
        "issuer": UCLL,
        "validFrom": "2025-01-31T00:00:00Z",
        "credentialSubject": {"id": "urn:uuid:7f1d2a9e-2222-4c6e-9d7e-000000000002"},
    }


def minimal_ob3() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:7f1d2a9e-3333-4c6e-9d7e-000000000003",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Minimal badge",
        "issuer": {"id": UCLL, "type": ["Profile"], "name": "UCLL"},
        "validFrom": "2025-01-31T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {"id": f"{BASE}/courses/ucll/MIN", "type": ["Achievement"],
                            "name": "Minimal", "description": "Minimal.",
                            "criteria": {"narrative": "Show up."}},
        },
    }


def bench_sample(number: int) -> dict[str, Any]:
    """The sample microcredential of bench/signing.py (the one its figures are for)."""
    spec = importlib.util.spec_from_file_location("_bench_signing", ROOT / "bench" / "signing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.path[:]
    try:
        spec.loader.exec_module(module)  # it puts the repo and bench/ on sys.path
    finally:
        sys.path[:] = saved
    return module.credential(random.Random(number), number)


UNICODE_TITLE = "Microcredential 🎓 Données ✨ — データ分析（入門） 👩🏽‍💻"
RTL_TITLE = "شهادة مصغرة في علم البيانات — מיקרו־תעודה \u202bمضمن\u202c"
ODD_TITLE = "Cafe\u0301 vs Café, \ufeffBOM, line\u2028separator, NEL\u0085, nbsp\u00a0, ZWJ\u200d"
QUOTE_TITLE = 'The "Data" course\nPart 2 \\ back\\slash, tab\there, CR\r, apostrophe \''
CONTROL = "A\x01B\x08C\x0bD\x0cE\x1fF\x7fG\x00H"

GENUINE: dict[str, Callable[[], dict[str, Any]]] = {
    "minimal VC": minimal_vc,
    "minimal OB3": minimal_ob3,
    "full microcredential": microcredential,
    "sample of bench/signing.py": lambda: bench_sample(5),
    "unicode and emoji title": lambda: microcredential(title=UNICODE_TITLE, learner="Zoë 😀"),
    "RTL title and learner": lambda: microcredential(title=RTL_TITLE, learner="محمد بن سلمان"),
    "combining, BOM, U+2028, NEL": lambda: microcredential(title=ODD_TITLE),
    "quote, newline, backslash, tab, CR": lambda: microcredential(title=QUOTE_TITLE,
                                                                  learner='O"Brien\nJr.'),
    "ECTS 2.5 as float": lambda: microcredential(ects=2.5),
    "ECTS 0.1 earned, 7.25 available": lambda: microcredential(ects=0.1, creditsAvailable=7.25),
    "ECTS 6.0 (integral float)": lambda: microcredential(ects=6.0),
    "language maps: emoji vs emoji, fullwidth vs fullwidth": lambda: microcredential(
        qualityAssurance={"en": "🎓 reviewed", "nl": "😀 beoordeeld"},
        prerequisites={"ja": "（学士）", "zh": "（学士学位）", "en": "(bachelor)"}),
    "U+0001 in title (escaped per RDFC-1.0)": lambda: microcredential(
        title="Toetsen\x01 ontwerpen"),
    "U+0001 in learner name": lambda: microcredential(learner="An\x01Peeters"),
    "every C0 control, U+0000 and U+007F": lambda: microcredential(title=CONTROL,
                                                                   learner=CONTROL[::-1]),
}

# Credentials Digital Bazaar rejects although our side follows the specs; reason in one line
# for `-ra`, the measured cause here:
#
# * Sort order. RDFC-1.0 sorts N-Quads (the output, and each blank node's quads before its
#   first-degree hash) in Unicode *code point* order; credentials/proofs/rdfc.py (pyld) does. rdf-canonize
#   5.0 sorts with JavaScript's `Array.prototype.sort()`, i.e. UTF-16 *code unit* order. They
#   disagree when two quads first differ at an astral character (emoji: high surrogate
#   0xD800-0xDBFF) vs a BMP character in U+E000-U+FFFF (private use, CJK compatibility,
#   fullwidth forms such as U+FF08 "（", specials): code points U+FF08 < U+1F393, code units
#   0xD83C < 0xFF08. Only quads sharing subject and predicate can differ there: the values of a
#   language map (our EU terms), `tag`, multiple names. (Java's String.compareTo is UTF-16
#   code unit order too; whether 1EdTech's Java validator agrees with rdf-canonize is not
#   checked here.)
# * @direction. The cryptosuite's toRDF uses rdfDirection 'i18n-datatype', so a value object
#   with "@direction": "rtl" becomes "..."^^<https://www.w3.org/ns/i18n#ar_rtl>; pyld ignores
#   @direction and writes "..."@ar. (OB 3.0's schema wants plain strings for `name` anyway.)
# * Tiny floats. jsonld.js 9 `types.isDouble(v)` is `String(v).indexOf('.') !== -1 ||
#   |v| >= 1e21`: String(5e-7) is "5e-7", so the value takes the integer branch,
#   toFixed(0) = "0"^^xsd:float; pyld writes "5.0E-7"^^xsd:float. Hits any non-integral
#   |x| < 1e-6 whose shortest form has one significant digit (1e-7, 5e-7, ...).
# The sort-order cases are refused when signing (credentials.proofs.rdfc.sort_order_ambiguity),
# so no credential we issue can hit them; the test below proves the refusal.
SORT_AMBIGUOUS = {
    "emoji vs U+FF08 in one language map":
        lambda: microcredential(qualityAssurance={"en": "🎓 reviewed", "ja": "（審査済み）"}),
    "emoji vs U+E000 in tags": lambda: microcredential(tag=["\U0001F393", "\ue000"]),
}


@pytest.mark.parametrize("name", list(SORT_AMBIGUOUS))
def test_we_refuse_to_sign_what_implementations_would_order_differently(
    issuer: Issuer, name: str
) -> None:
    from credentials.proofs.jsonld import UnsafeDocument

    with pytest.raises(UnsafeDocument, match="UTF-16"):
        sign(SORT_AMBIGUOUS[name](), issuer.key, METHOD, CREATED)


DIVERGENT: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "@direction rtl on the credential name": (
        lambda: microcredential() | {"name": {"@value": "شهادة مصغرة", "@language": "ar",
                                              "@direction": "rtl"}},
        "@direction: jsonld.js rdfDirection i18n-datatype vs pyld's plain @ar literal",
    ),
    "ECTS 5e-07 as float": (
        lambda: microcredential(ects=5e-07),
        "jsonld.js isDouble(5e-7) is false: writes \"0\"^^xsd:float, pyld \"5.0E-7\"",
    ),
}


def tampered(issuer: Issuer) -> dict[str, dict[str, Any]]:
    signed = sign(microcredential(), issuer.key, METHOD, CREATED)
    name = copy.deepcopy(signed)
    name["name"] = name["credentialSubject"]["achievement"]["name"] = "Toetsen ontwerpen II"
    ects = copy.deepcopy(signed)
    ects["credentialSubject"]["achievement"]["creditsAvailable"] = 30
    control = sign(microcredential(title="A\x01B"), issuer.key, METHOD, CREATED)
    control["name"] = "A\x02B"
    proof_value = copy.deepcopy(signed)
    value = proof_value["proof"][0]["proofValue"]
    changed = "3" if value[-2] != "3" else "4"
    proof_value["proof"][0]["proofValue"] = value[:-2] + changed + value[-1]
    other_issuer = copy.deepcopy(signed)
    other_issuer["issuer"]["id"] = KULEUVEN
    unknown_key = sign(microcredential(), issuer.stranger, METHOD, CREATED)
    foreign_method = sign(microcredential(), issuer.key, f"{KULEUVEN}#key-1", CREATED)
    return {
        "title changed": name,
        "ECTS changed": ects,
        "control character changed": control,
        "proofValue changed": proof_value,
        "issuer changed": other_issuer,
        "signed by a key the DID document does not list": unknown_key,
        "verification method of another issuer": foreign_method,
    }


# --- one Node run per mode, shared by the parametrised tests ---------------------------

@dataclass
class Run:
    unsigned: dict[str, dict[str, Any]]
    ours: dict[str, dict[str, Any]]
    node_verdicts: dict[str, dict[str, Any]]
    node_signed: dict[str, dict[str, Any]]
    node_nquads: dict[str, dict[str, Any]]
    tampered_verdicts: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def run(node: str, issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    here = tmp_path_factory.mktemp("interop")
    contexts = write_json(here / "contexts.json",
                          {url: str(CONTEXTS_DIR / name) for url, name in CONTEXT_FILES.items()
                           if url != MICROCREDENTIAL_CONTEXT_URL})
    dids = write_json(here / "dids.json", list(issuer.did_documents.values()))
    common = ["--contexts", str(contexts)]

    unsigned = {name: make() for name, make in GENUINE.items()}
    unsigned |= {name: make() for name, (make, _) in DIVERGENT.items()}
    names = list(unsigned)
    ours = {name: sign(unsigned[name], issuer.key, METHOD, CREATED) for name in names}
    # NDJSON on purpose (the input format a pipeline would use); json.dumps escapes
    # U+2028/U+0085 and control characters, so each credential is one line.
    ndjson = here / "signed.ndjson"
    ndjson.write_text("".join(json.dumps(ours[n]) + "\n" for n in names), "utf-8")
    verdicts = run_node(node, *common, "--dids", str(dids), str(ndjson))
    unsigned_file = write_json(here / "unsigned.json", [unsigned[n] for n in names])
    node_signed = run_node(node, *common, "--sign", "--key", private_key_to_multikey(issuer.key),
                           "--vm", METHOD, "--created", CREATED, str(unsigned_file))
    nquads = run_node(node, *common, "--canonize", str(unsigned_file))

    bad = tampered(issuer)
    bad_verdicts = run_node(node, *common, "--dids", str(dids),
                            stdin=json.dumps(list(bad.values())))
    assert len(verdicts) == len(node_signed) == len(nquads) == len(names)
    assert len(bad_verdicts) == len(bad)
    return Run(unsigned, ours, dict(zip(names, verdicts, strict=True)),
               dict(zip(names, node_signed, strict=True)), dict(zip(names, nquads, strict=True)),
               dict(zip(bad, bad_verdicts, strict=True)))


def cases() -> list[Any]:
    return [pytest.param(name, id=name) for name in GENUINE] + [
        pytest.param(name, id=name, marks=pytest.mark.xfail(raises=AssertionError, strict=True,
                                                     reason=reason))
        for name, (_, reason) in DIVERGENT.items()
    ]


def proof_value(document: dict[str, Any]) -> str:
    proof = document["proof"]
    return (proof[0] if isinstance(proof, list) else proof)["proofValue"]


def first_difference(ours: str, theirs: str) -> str:
    a, b = ours.split("\n"), theirs.split("\n")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i}:\n  ours: {x!r}\n  node: {y!r}"
    return f"{len(a)} lines (ours) vs {len(b)} (node)"


# --- the tests ------------------------------------------------------------------------

@pytest.mark.parametrize("name", cases())
def test_digital_bazaar_verifies_what_we_sign(run: Run, name: str) -> None:
    verdict = run.node_verdicts[name]
    assert verdict["verified"] is True, verdict


@pytest.mark.parametrize("name", cases())
def test_digital_bazaar_signs_the_same_bytes(run: Run, issuer: Issuer, name: str) -> None:
    theirs = run.node_signed[name]
    assert proof_value(theirs) == proof_value(run.ours[name])
    assert verify(theirs, issuer.resolver()).verified


@pytest.mark.parametrize("name", cases())
def test_canonical_nquads_identical(run: Run, name: str) -> None:
    ours = canonicalize(run.unsigned[name])
    assert ours == canonicalize_reference(run.unsigned[name])
    theirs = run.node_nquads[name]
    assert "nquads" in theirs, theirs
    assert ours == theirs["nquads"], first_difference(ours, theirs["nquads"])


def test_control_characters_really_are_in_the_signed_credentials(run: Run) -> None:
    """The U+0001 cases above sign through the RDFC-1.0 escaping path, not around it."""
    for name in ("U+0001 in title (escaped per RDFC-1.0)", "U+0001 in learner name",
                 "every C0 control, U+0000 and U+007F"):
        assert find_control_chars(run.ours[name]), name
        nquads = canonicalize(run.unsigned[name])
        assert "\\u0001" in nquads and "\x01" not in nquads
        assert run.node_verdicts[name]["verified"] is True


@pytest.mark.parametrize("name", [
    "title changed", "ECTS changed", "control character changed", "proofValue changed",
    "issuer changed", "signed by a key the DID document does not list",
    "verification method of another issuer",
])
def test_digital_bazaar_rejects_tampered(run: Run, issuer: Issuer, name: str) -> None:
    verdict = run.tampered_verdicts[name]
    assert verdict["verified"] is False, verdict
    assert verdict["error"]


def test_unescaped_pyld_signature_is_what_digital_bazaar_rejects(
    node: str, issuer: Issuer, tmp_path: Path
) -> None:
    """The pitfall our escaping avoids: the same credential signed over pyld's own N-Quads
    (U+0001 left raw, against RDFC-1.0) does not verify in Node; ours does."""
    document = microcredential(title="Toetsen\x01 ontwerpen", learner="An\x01Peeters")
    config = proof_config(document, METHOD, CREATED)
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               "documentLoader": LOADER}
    raw = [jsonld.normalize(d, options) for d in (config, document)]
    assert "\x01" in raw[1]
    signature = issuer.key.sign(b"".join(hashlib.sha256(r.encode()).digest() for r in raw))
    proof = {k: v for k, v in config.items() if k != "@context"}
    pyld_signed = {**document, "proof": [proof | {"proofValue": "z" + b58encode(signature)}]}
    ours = sign(document, issuer.key, METHOD, CREATED)
    dids = write_json(tmp_path / "dids.json", issuer.did_documents)
    verdicts = run_node(node, "--dids", str(dids), stdin=json.dumps([pyld_signed, ours]))
    assert [v["verified"] for v in verdicts] == [False, True], verdicts
    assert verdicts[0]["error"] == "Invalid signature."


def test_python_rejects_node_reserialised_integral_float_beyond_2_53(
    node: str, issuer: Issuer, tmp_path: Path
) -> None:
    """Not a signature mismatch: JavaScript writes the float 1e16 back as the integer
    10000000000000000, and our safe mode refuses integers beyond 2^53 (JSON.parse would
    read them as doubles). Both canonicalise it alike; only the JSON text changes."""
    document = microcredential(ects=1e16)
    ours = sign(document, issuer.key, METHOD, CREATED)
    path = write_json(tmp_path / "unsigned.json", [document])
    theirs = run_node(node, "--sign", "--key", private_key_to_multikey(issuer.key),
                      "--vm", METHOD, "--created", CREATED, str(path))[0]
    assert proof_value(theirs) == proof_value(ours)
    assert theirs["credentialSubject"]["creditsEarned"] == 10**16  # an int now
    result = verify(theirs, issuer.resolver())
    assert not result.verified and "beyond 2^53" in result.reason


def test_default_context_map_is_ours(node: str) -> None:
    """Without --contexts, verify.mjs reads schemas/contexts/README.md: it must list exactly
    credentials/proofs/jsonld.py CONTEXT_FILES."""
    printed = run_node(node, "--print-contexts")[0]
    assert printed == {url: str(CONTEXTS_DIR / name) for url, name in CONTEXT_FILES.items()}


def test_loader_is_offline(node: str, issuer: Issuer, tmp_path: Path) -> None:
    """A context we do not bundle is refused, not fetched."""
    document = sign(minimal_vc(), issuer.key, METHOD, CREATED)
    document["@context"] = [*document["@context"], "https://example.org/not-bundled/v1"]
    dids = write_json(tmp_path / "dids.json", issuer.did_documents)
    verdict = run_node(node, "--dids", str(dids), stdin=json.dumps(document))[0]
    assert verdict["verified"] is False
    assert any("refusing to load" in e for e in verdict["errors"]), verdict
