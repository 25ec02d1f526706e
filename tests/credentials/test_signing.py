"""Signing microcredentials: W3C and 1EdTech vectors, tampering, control characters, fast path."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from credentials.proofs.jsonld import (
    CONTEXT_FILES,
    CONTEXTS_DIR,
    LOADER,
    MICROCREDENTIAL_CONTEXT_URL,
    UnsafeDocument,
    expand_strict,
    json_ld_options,
)
from credentials.proofs.multikey import (
    b58decode,
    b58encode,
    did_document,
    did_web_url,
    generate_private_key,
    issuer_did,
    private_key_from_multikey,
    private_key_to_multikey,
    public_key_from_multikey,
    public_key_to_multikey,
    resolve_did_key,
    resolve_from_did_documents,
    resolve_lenient_multikey_fragment,
)
from credentials.proofs.rdfc import canonicalize_reference, find_control_chars
from credentials.proofs.fastcanon import SHAPES, ShapeCache, canonicalize
from credentials.proofs.signing import (
    canonical_bytes,
    hash_data,
    jcs,
    proof_config,
    sign,
    verify,
)

ROOT = Path(__file__).parents[2]
VECTORS = ROOT / "tests" / "vectors"
EDDSA = VECTORS / "vc-di-eddsa"
ONE_EDTECH = VECTORS / "1edtech-validator"
BASE = "http://127.0.0.1:8000"
UCLL = issuer_did(BASE, "ucll")
CREATED = "2025-01-31T10:00:00Z"


def load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def text(path: Path) -> str:
    return path.read_text("utf-8").strip()


@pytest.fixture(scope="module")
def w3c_key():
    return private_key_from_multikey(load(EDDSA / "keyPair.json")["privateKeyMultibase"])


def microcredential(
    *,
    title: str = "Toetsen ontwerpen",
    learner_name: str = "An Peeters",
    ects: float = 3,
    outcomes: list[str] | None = None,
    tags: list[str] | None = None,
    issued: str = "2025-01-31T00:00:00Z",
    number: int = 1,
    slug: str = "ucll",
    course: str = "MC-TOETS",
    quality: dict[str, str] | None = None,
    prerequisites: str | None = None,
    grade: str | None = "15",
    eqf: int | None = 6,
    creator: bool = False,
) -> dict[str, Any]:
    """An OB 3.0 microcredential as the registry issues it (shape varies with the options)."""
    did = issuer_did(BASE, slug)
    course_url = f"{BASE}/courses/{slug}/{course}"
    outcomes = ["Designs valid and reliable assessments."] if outcomes is None else outcomes
    achievement: dict[str, Any] = {
        "id": course_url,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": title,
        "description": f"{title} ({ects} ECTS)",
        "criteria": {"narrative": "\n".join(f"- {o}" for o in outcomes)},
        "creditsAvailable": ects,
        "inLanguage": "nl",
        "alignment": [
            {"type": ["Alignment"], "targetName": o, "targetType": "ext:LearningOutcome",
             "targetUrl": f"{course_url}/outcomes/{k}"}
            for k, o in enumerate(outcomes)
        ],
        "assessmentType": {"en": "portfolio"},
        "participationForm": {"en": "blended"},
        "qualityAssurance": quality or {"en": "UCLL internal quality assurance, NVAO review"},
        "supervisionAndIdentityVerification": {"en": "supervised onsite, identity verified"},
    }
    if eqf is not None:
        achievement["alignment"].insert(0, {
            "type": ["Alignment"], "targetName": f"EQF level {eqf}", "targetType": "ext:EQF",
            "targetUrl": f"http://data.europa.eu/snb/eqf/{eqf}",
            "targetFramework": "European Qualifications Framework",
        })
    if tags is not None:
        achievement["tag"] = tags
    if prerequisites is not None:
        achievement["prerequisites"] = {"en": prerequisites}
    if creator:
        achievement["creator"] = {"id": did, "type": ["Profile"], "name": slug.upper()}
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "name": learner_name,
        "identifier": [{
            "type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
            "identityHash": "sha256$" + hashlib.sha256(learner_name.encode()).hexdigest(),
            "salt": "c2FsdA",
        }],
        "achievement": achievement,
    }
    if grade is not None:
        achievement["resultDescription"] = [{
            "id": f"{course_url}/results/grade", "type": ["ResultDescription"],
            "name": "Grade", "resultType": "GradePointAverage",
            "valueMin": "0", "valueMax": "20", "requiredValue": "10",
        }]
        subject["result"] = [{"type": ["Result"], "value": grade,
                              "resultDescription": f"{course_url}/results/grade"}]
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            MICROCREDENTIAL_CONTEXT_URL,
        ],
        "id": f"urn:uuid:{uuid.UUID(int=number)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {"id": did, "type": ["Profile"], "name": slug.upper(),
                   "address": {"type": ["Address"], "addressCountryCode": "BE"}},
        "validFrom": issued,
        "credentialSubject": subject,
        "credentialStatus": [{
            "id": f"{BASE}/institutions/{slug}/status/1#{number}",
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(number),
            "statusListCredential": f"{BASE}/institutions/{slug}/status/1",
        }],
    }


# --- W3C vc-di-eddsa test vectors -----------------------------------------------------

def test_key_pair_vector_round_trips(w3c_key):
    pair = load(EDDSA / "keyPair.json")
    assert public_key_to_multikey(w3c_key) == pair["publicKeyMultibase"]
    assert private_key_to_multikey(w3c_key) == pair["privateKeyMultibase"]
    assert public_key_to_multikey(public_key_from_multikey(pair["publicKeyMultibase"])) == (
        pair["publicKeyMultibase"]
    )


@pytest.mark.parametrize("suite, folder, suffix", [
    ("eddsa-rdfc-2022", "eddsa-rdfc-2022", "DataInt"),
    ("eddsa-jcs-2022", "eddsa-jcs-2022", "JCS"),
])
def test_eddsa_vectors_reproduced_byte_for_byte(w3c_key, suite, folder, suffix):
    here = EDDSA / folder
    unsigned = load(EDDSA / "unsigned.json")
    config = load(here / f"proofConfig{suffix}.json")
    assert config == proof_config(unsigned, config["verificationMethod"], config["created"], suite)

    canon_doc = canonical_bytes(unsigned, suite)
    canon_proof = canonical_bytes(config, suite)
    if suite == "eddsa-rdfc-2022":
        assert canon_doc == (here / f"canonDoc{suffix}.txt").read_bytes()
        assert canon_doc.decode() == canonicalize_reference(unsigned)
    else:
        assert canon_doc.decode() == text(here / f"canonDoc{suffix}.txt")
    assert canon_proof.decode().strip() == text(here / f"proofCanon{suffix}.txt")
    assert hashlib.sha256(canon_doc).hexdigest() == text(here / f"docHash{suffix}.txt")
    assert hashlib.sha256(canon_proof).hexdigest() == text(here / f"proofHash{suffix}.txt")
    combined = hash_data(unsigned, config)
    assert combined.hex() == text(here / f"combinedHash{suffix}.txt")
    assert w3c_key.sign(combined).hex() == text(here / f"sigHex{suffix}.txt")

    signed = sign(unsigned, w3c_key, config["verificationMethod"], config["created"],
                  cryptosuite=suite, proof_as_list=False)
    assert signed["proof"]["proofValue"] == text(here / f"sigBTC58{suffix}.txt")
    assert json.dumps(signed) == json.dumps(load(here / f"signed{suffix}.json"))
    result = verify(signed, resolve_did_key, require_issuer_key=False)
    assert (result.verified, result.reason, result.cryptosuite) == (True, "ok", suite)


def test_rdfc_matches_pyld_normalize_without_control_characters():
    for document in [load(EDDSA / "unsigned.json"), microcredential()]:
        expected = jsonld.normalize(document, json_ld_options(
            algorithm="URDNA2015", format="application/n-quads"))
        assert canonicalize_reference(document) == expected == canonicalize(document)


# --- 1EdTech validator vectors --------------------------------------------------------

@pytest.mark.parametrize(
    "name", ["simple", "simple-did-web-method", "endorsement-valid", "complete"]
)
def test_1edtech_credentials_verify(name):
    result = verify(load(ONE_EDTECH / f"{name}.json"), resolve_lenient_multikey_fragment)
    assert (result.verified, result.reason) == (True, "ok")


def test_1edtech_wrong_proof_value_fails():
    result = verify(load(ONE_EDTECH / "simple-err-proof-value.json"),
                    resolve_lenient_multikey_fragment)
    assert (result.verified, result.reason) == (False, "signature does not match the document")


# --- issuing and verifying our own credentials ---------------------------------------

@pytest.fixture(scope="module")
def ucll_keys():
    return [generate_private_key(), generate_private_key()]


@pytest.fixture(scope="module")
def ucll_resolver(ucll_keys):
    keys = [(f"key-{n}", k.public_key()) for n, k in enumerate(ucll_keys, 1)]
    return resolve_from_did_documents({UCLL: did_document(UCLL, keys)})


def test_did_web_identifiers():
    assert issuer_did("http://127.0.0.1:8000", "ucll") == (
        "did:web:127.0.0.1%3A8000:institutions:ucll")
    assert issuer_did("https://academy.kuleuven.be/lll/", "luca") == (
        "did:web:academy.kuleuven.be:lll:institutions:luca")
    assert did_web_url(UCLL, "http") == "http://127.0.0.1:8000/institutions/ucll/did.json"


def test_did_document_keeps_every_key_under_assertion_method(ucll_keys):
    keys = [(f"key-{n}", k.public_key()) for n, k in enumerate(ucll_keys, 1)]
    document = did_document(UCLL, keys)
    assert document["@context"] == ["https://www.w3.org/ns/did/v1",
                                    "https://w3id.org/security/multikey/v1"]
    assert document["assertionMethod"] == [f"{UCLL}#key-1", f"{UCLL}#key-2"]
    assert [m["publicKeyMultibase"][:4] for m in document["verificationMethod"]] == ["z6Mk"] * 2
    assert all(m["type"] == "Multikey" and m["controller"] == UCLL
               for m in document["verificationMethod"])
    expand_strict(document)  # every DID document term is defined
    resolve = resolve_from_did_documents({UCLL: document | {"assertionMethod": [f"{UCLL}#key-2"]}})
    assert resolve(f"{UCLL}#key-1") is None and resolve(f"{UCLL}#key-2") is not None


def test_issued_credential_verifies_and_old_keys_keep_verifying(ucll_keys, ucll_resolver):
    old = sign(microcredential(), ucll_keys[0], f"{UCLL}#key-1", CREATED)
    new = sign(microcredential(number=2), ucll_keys[1], f"{UCLL}#key-2", CREATED)
    assert isinstance(old["proof"], list) and old["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert "@context" not in old["proof"][0]
    assert verify(old, ucll_resolver).verified and verify(new, ucll_resolver).verified
    assert verify(json.loads(json.dumps(old)), ucll_resolver).verified  # as stored and served


def test_jcs_option_signs_and_verifies(ucll_keys, ucll_resolver):
    signed = sign(microcredential(), ucll_keys[0], f"{UCLL}#key-1", CREATED,
                  cryptosuite="eddsa-jcs-2022")
    assert signed["proof"][0]["@context"] == signed["@context"]
    assert verify(signed, ucll_resolver).verified


def tamper(document: dict[str, Any], change) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


@pytest.mark.parametrize("change, reason", [
    (lambda d: d.update(name="Forged"), "signature does not match the document"),
    (lambda d: d["credentialSubject"]["achievement"].update(creditsAvailable=30),
     "signature does not match the document"),
    (lambda d: d["credentialSubject"]["identifier"][0].update(identityHash="sha256$00"),
     "signature does not match the document"),
    (lambda d: d["proof"][0].update(created="2030-01-01T00:00:00Z"),
     "signature does not match the document"),
    (lambda d: d["@context"].pop(), "unsafe to canonicalise"),
    (lambda d: d.update(unsignedExtra="x"), "unsafe to canonicalise"),
    (lambda d: d["proof"][0].update(verificationMethod=f"{UCLL}#key-9"), "is unknown"),
    (lambda d: d["proof"][0].update(verificationMethod="did:web:evil.example#key-1"),
     "does not belong to the issuer"),
    (lambda d: d["proof"][0].update(proofPurpose="authentication"), "proof purpose"),
    (lambda d: d["proof"][0].update(created="yesterday"), "not an XML Schema dateTime"),
    (lambda d: d["proof"][0].update(expires="2020-01-01T00:00:00Z"), "expired"),
    (lambda d: d["proof"][0].update(cryptosuite="ecdsa-rdfc-2019"), "unsupported cryptosuite"),
    (lambda d: d["proof"][0].update(proofValue="zNotBase58!"), "not base58btc"),
    (lambda d: d["proof"][0].update(proofValue="z" + b58encode(bytes(63))), "64-byte"),
    (lambda d: d.pop("proof"), "no proof"),
    (lambda d: d["@context"].append("https://example.org/remote-context"),
     "cannot be canonicalised"),
])
def test_tampering_is_reported_not_raised(ucll_keys, ucll_resolver, change, reason):
    signed = sign(microcredential(), ucll_keys[0], f"{UCLL}#key-1", CREATED)
    result = verify(tamper(signed, change), ucll_resolver)
    assert not result.verified
    assert reason in result.reason


def test_second_proof_must_also_hold(ucll_keys, ucll_resolver):
    signed = sign(microcredential(), ucll_keys[0], f"{UCLL}#key-1", CREATED)
    forged = dict(signed["proof"][0], proofValue=signed["proof"][0]["proofValue"][:-2] + "11")
    assert not verify({**signed, "proof": [signed["proof"][0], forged]}, ucll_resolver).verified


def test_refuses_to_sign_undefined_terms_or_twice(ucll_keys):
    with pytest.raises(UnsafeDocument, match="notATerm"):
        sign(microcredential() | {"notATerm": 1}, ucll_keys[0], f"{UCLL}#key-1", CREATED)
    signed = sign(microcredential(), ucll_keys[0], f"{UCLL}#key-1", CREATED)
    with pytest.raises(ValueError, match="already has a proof"):
        sign(signed, ucll_keys[0], f"{UCLL}#key-1", CREATED)


# --- safe mode and the offline loader -------------------------------------------------

def test_issued_credentials_expand_with_every_term_defined():
    expanded = expand_strict(microcredential(tags=["a"], prerequisites="None", creator=True))
    flat = json.dumps(expanded)
    for term in ["assessmentType", "participationForm", "qualityAssurance",
                 "supervisionAndIdentityVerification", "prerequisites"]:
        assert f"https://academy.kuleuven.be/ns/microcredential#{term}" in flat


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.update(unknownTerm="x"), "term 'unknownTerm' is not defined"),
    (lambda d: d["credentialSubject"]["achievement"].update(id="courses/relative"),
     "is not an absolute IRI"),
    (lambda d: d["credentialSubject"]["achievement"].update(type=["Achievement", "Bogus"]),
     "type 'Bogus' is not an absolute IRI"),
    (lambda d: d.update(description=None), "is null"),
    (lambda d: d["credentialSubject"]["achievement"].update(creditsAvailable=2**53 + 1),
     "beyond 2\\^53"),
    (lambda d: d["@context"].append("https://www.w3.org/ns/credentials/examples/v2")
     or d.update(anything="x"), "catch-all @vocab"),
])
def test_expand_strict_names_what_would_be_lost(change, problem):
    with pytest.raises(UnsafeDocument, match=problem):
        expand_strict(tamper(microcredential(), change))


def test_loader_serves_only_bundled_contexts_as_static():
    for url, name in CONTEXT_FILES.items():
        remote = LOADER(url, {})
        assert remote["tag"] == "static" and remote["documentUrl"] == url
        assert remote["document"] == load(CONTEXTS_DIR / name)
    assert CONTEXT_FILES[MICROCREDENTIAL_CONTEXT_URL] == "microcredential-v1.jsonld"
    with pytest.raises(jsonld.JsonLdError):
        LOADER("https://www.w3.org/2018/credentials/v1", {})
    readme = (CONTEXTS_DIR / "README.md").read_text("utf-8")
    assert all(url in readme and name in readme for url, name in CONTEXT_FILES.items())


def test_our_context_is_protected_and_namespaced():
    context = load(CONTEXTS_DIR / "microcredential-v1.jsonld")["@context"]
    assert context["@protected"] is True
    terms = {k: v for k, v in context.items() if not k.startswith("@")}
    assert {"assessmentType", "participationForm", "qualityAssurance", "prerequisites",
            "supervisionAndIdentityVerification", "stackabilityOptions", "furtherInformation",
            "pathwayVersion", "partOfPathway", "hasPart", "totalEcts"} <= terms.keys()
    assert all(v["@id"] == f"https://academy.kuleuven.be/ns/microcredential#{k}"
               for k, v in terms.items())
    assert terms["hasPart"]["@type"] == "@id" and terms["partOfPathway"]["@type"] == "@id"


# --- control characters ---------------------------------------------------------------

CONTROL = "A\x01B\x08C\x0cD\x1fE\x7fF\tG\nH\"I\\J"
CANONICAL = 'A\\u0001B\\bC\\fD\\u001FE\\u007FF\\tG\\nH\\"I\\\\J'


def test_control_characters_escaped_as_rdfc_requires(ucll_keys, ucll_resolver):
    document = microcredential(title=CONTROL, learner_name=CONTROL)
    assert find_control_chars(document) == [
        "/name", "/credentialSubject/name", "/credentialSubject/achievement/name",
        "/credentialSubject/achievement/description",
    ]
    canonical = canonicalize_reference(document)
    assert canonical == canonicalize(document)
    assert f'<https://schema.org/name> "{CANONICAL}" .' in canonical
    assert not any(ch in canonical for ch in "\x01\x08\x0c\x1f\x7f\t")
    # pyld alone leaves them raw: what a JavaScript verifier would reject
    raw = jsonld.normalize(document, json_ld_options(algorithm="URDNA2015",
                                                     format="application/n-quads"))
    assert "\x01" in raw and raw != canonical
    signed = sign(document, ucll_keys[0], f"{UCLL}#key-1", CREATED)
    assert verify(signed, ucll_resolver).verified


def test_control_characters_in_blank_node_hashes():
    """Escaping changes the order of the quads hashed for blank nodes, and so the labels."""
    for a, b in [("\x01", "A"), ("A", "\x01"), ("\x7f", "~"), ("\x1f", " ")]:
        document = microcredential(outcomes=[a + "x", b + "x"], eqf=None)
        assert canonicalize(document) == canonicalize_reference(document)


# --- JCS ------------------------------------------------------------------------------

def test_jcs_orders_keys_by_utf16_and_formats_numbers_like_ecmascript():
    keys = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    assert jcs(keys).decode() == (
        '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\U0001f600":5,"\ufb33":3}')
    samples = {"0000000000000000": "0", "8000000000000000": "0", "0000000000000001": "5e-324",
               "7fefffffffffffff": "1.7976931348623157e+308",
               "4340000000000000": "9007199254740992",
               "4430000000000000": "295147905179352830000", "44b52d02c7e14af6": "1e+23",
               "444b1ae4d6e2ef50": "1e+21", "3eb0c6f7a0b5ed8d": "0.000001",
               "3eb0c6f7a0b5ed8c": "9.999999999999997e-7"}
    for bits, expected in samples.items():
        assert jcs(struct.unpack(">d", bytes.fromhex(bits))[0]).decode() == expected
    assert jcs(["\x01\x7f\u2028", True, None, 2**53]) == (
        b'["\\u0001\x7f\xe2\x80\xa8",true,null,9007199254740992]')
    with pytest.raises(ValueError):
        jcs(2**53 + 1)


@settings(database=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_jcs_numbers_agree_with_the_reference_implementation(value):
    reference = pytest.importorskip("c14n.NumberToJson")  # Rundgren's, vendored by pyld
    assert jcs(value).decode() == reference.convert2Es6Format(value)


def test_base58_round_trips_leading_zeros():
    for data in [b"", b"\0", b"\0\0\x01", bytes(64), b"\xff" * 34]:
        assert b58decode(b58encode(data), max_chars=100) == data
    with pytest.raises(ValueError, match="longer than 100"):
        b58decode("2" * 101, max_chars=100)  # refused on its length, never decoded


# --- the fast path is the reference ---------------------------------------------------

UNICODE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
TRICKY = st.sampled_from(["", "a", "https://x.example/y", "did:web:x", "urn:isbn:1", "x:y",
                          "_:b0", "\\", '"', "\n", "\x00", "\x7f", "{}", "{0}", "é", "😀",
                          "15", "1.5", "true", "null", " ", "\u2028"])
TEXT = st.one_of(UNICODE, TRICKY)


@st.composite
def credentials(draw) -> dict[str, Any]:
    outcomes = draw(st.lists(st.one_of(TEXT, st.just("same")), max_size=4))
    return microcredential(
        title=draw(TEXT),
        learner_name=draw(TEXT),
        ects=draw(st.one_of(st.integers(1, 60), st.sampled_from([0.5, 1.5, 7.5, 2.0, 1e-7]))),
        outcomes=outcomes,
        tags=draw(st.none() | st.lists(st.one_of(TEXT, st.just("same")), max_size=3)),
        issued=draw(st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))),
        number=draw(st.integers(0, 2**40)),
        slug=draw(st.sampled_from(["ucll", "luca", "kuleuven"])),
        course=draw(st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)),
        quality=draw(st.none() | st.dictionaries(st.sampled_from(["en", "nl", "fr"]), TEXT,
                                                 min_size=1)),
        prerequisites=draw(st.none() | TEXT),
        grade=draw(st.none() | TEXT),
        eqf=draw(st.none() | st.integers(1, 8)),
        creator=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(credentials())
def test_fast_path_is_byte_identical_to_pyld(document):
    assert canonicalize(document) == canonicalize_reference(document)


def test_fast_path_over_many_credentials_of_few_shapes():
    """Production-like: many credentials, few shapes; the reference runs only to learn."""
    cache = ShapeCache()
    rng = random.Random(20250131)
    alphabet = "abcdefghij éèü€😀\"\\\n\t\x01\x7f/{}"  # no ':': "x:..." keys its scheme

    def words(n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))

    for number in range(400):
        outcomes = [words(30) for _ in range(rng.choice([1, 3]))]
        document = microcredential(
            title=words(40), learner_name=words(20), ects=rng.choice([3, 4, 6, 7.5]),
            outcomes=outcomes, number=number, grade=str(rng.randint(10, 20)),
            issued=f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00Z",
            tags=rng.choice([None, [words(5), words(5)]]), creator=rng.random() < 0.5,
        )
        if rng.random() < 0.1:  # two equal blank nodes: first-degree hashes collide
            twin = {"type": ["Alignment"], "targetName": words(10), "targetType": "ext:Skill"}
            document["credentialSubject"]["achievement"]["alignment"] += [twin, dict(twin)]
        assert cache.canonicalize(document) == canonicalize_reference(document)
    assert cache.misses <= 2 * 32  # outcome count x tags x creator x float ECTS x twins
    assert cache.hits == 400 - cache.misses and cache.reference == 0
    assert cache.collisions > 0


def test_shapes_are_learnt_at_second_sight():
    cache = ShapeCache()
    for number in range(4):
        assert cache.canonicalize(microcredential(number=number)) == canonicalize_reference(
            microcredential(number=number))
    assert (cache.misses, cache.hits) == (2, 2)  # first sight: reference; second: learnt


def test_shape_cache_is_bounded_by_bytes():
    """Shapes of any size from anyone (/verify): what the cache holds stays under its budget."""
    budget = 1_000_000  # a learnt 1-outcome microcredential weighs ~90 KB
    cache = ShapeCache(max_bytes=budget)
    for n in range(1, 13):  # the outcome count changes the shape; each is learnt
        for number in range(2):
            document = microcredential(outcomes=[f"o{k}" for k in range(n)], number=number)
            assert cache.canonicalize(document) == canonicalize_reference(document)
            assert cache.weight <= budget
    assert 0 < len(cache._entries) < 12  # the oldest were dropped

    big = microcredential(outcomes=[f"o{k}" for k in range(40)])  # over an eighth: never learnt
    for number in range(3):
        document = microcredential(outcomes=[f"o{k}" for k in range(40)], number=number)
        assert cache.canonicalize(document) == canonicalize_reference(document)
    hits = cache.hits
    assert cache.canonicalize(big) == canonicalize_reference(big) and cache.hits == hits
    assert cache.weight <= budget


def test_fast_path_keeps_safe_mode(ucll_keys):
    cache = ShapeCache()
    document = microcredential()
    cache.canonicalize(document)
    with pytest.raises(UnsafeDocument):
        cache.canonicalize(document | {"undefinedTerm": "x"})
    with pytest.raises(UnsafeDocument):
        cache.canonicalize(tamper(document, lambda d: d.update(id="urn:bad iri")))
    assert SHAPES.canonicalize(document) == cache.canonicalize(document)


def test_fast_path_when_ids_and_values_coincide():
    """Equal IRIs merge nodes and equal values merge quads in pyld: the fast path follows."""
    cache = ShapeCache()
    rng = random.Random(7)
    bases = [microcredential(tags=["t1", "t2", "t3"], creator=True, outcomes=["o1", "o2"]),
             microcredential(creator=True, grade="1"), microcredential(tags=["q"], eqf=None)]

    def scramble(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if key in ("type", "@context"):
                continue
            if isinstance(value, str) and value.startswith("https://"):
                node[key] = rng.choice(["https://a.example/x", "https://a.example/y"])
            elif isinstance(value, str) and value.startswith("did:web:"):
                node[key] = rng.choice(["did:web:a", "did:web:b"])
            elif isinstance(value, str) and ":" not in value and rng.random() < 0.5:
                node[key] = rng.choice(["A", "same"])
            elif isinstance(value, dict | list):
                scramble(value)

    for _ in range(300):
        document = copy.deepcopy(rng.choice(bases))
        scramble(document)
        assert cache.canonicalize(document) == canonicalize_reference(document)
    assert cache.reference == 0 and cache.misses <= len(bases) * 8
