"""The credential contracts: issuance requests, resolved EU elements, pathways and OB3."""

from __future__ import annotations

import hashlib

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import NoSuchResource

from credentials.validation import (
    EU_ELEMENTS,
    MANDATORY_EU_ELEMENTS,
    MICROCREDENTIAL_SCHEMA,
    OB3_SCHEMA,
    PATHWAY_SCHEMA,
    Violation,
    registry,
    validate_issuance_request,
    validate_ob3,
    validate_pathway,
    validate_resolved,
)

ROOT = Path(__file__).parents[2]
VECTORS = ROOT / "tests" / "vectors" / "1edtech-validator"


def load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


@pytest.fixture
def request_body() -> dict:
    return load(ROOT / "schemas" / "examples" / "microcredential-request.json")


@pytest.fixture
def pathway() -> dict:
    return load(ROOT / "schemas" / "examples" / "pathway.json")


@pytest.fixture
def resolved(request_body) -> dict:
    """The example request merged with its course's defaults and UCLL as issuer."""
    return request_body | {
        "title": {"nl": "Toetsen ontwerpen", "en": "Designing assessments"},
        "learning_outcomes": [{"en": "Designs valid and reliable assessments."}],
        "ects": 3,
        "eqf_level": 6,
        "languages": ["nl"],
        "country": "BE",
        "awarding_body": {
            "id": "did:web:127.0.0.1%3A8000:institutions:ucll",
            "name": "UC Leuven-Limburg",
            "slug": "ucll",
        },
    }


def pointers(violations: list[Violation]) -> list[str]:
    return [v.pointer for v in violations]


def test_our_schemas_are_valid_draft_2020_12_with_their_ids():
    for name, uri in [
        ("microcredential.schema.json", MICROCREDENTIAL_SCHEMA),
        ("pathway.schema.json", PATHWAY_SCHEMA),
    ]:
        schema = load(ROOT / "schemas" / name)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == uri
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_registry_never_fetches():
    assert registry()[OB3_SCHEMA].contents["$schema"].startswith(
        "https://json-schema.org/draft/2019-09"
    )
    with pytest.raises(NoSuchResource):
        registry().get_or_retrieve("https://example.org/schemas/elsewhere.json")


def test_the_ob3_copy_is_verbatim():
    ours = ROOT / "schemas" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
    # the digest recorded in schemas/ob3/SOURCES.md, taken from the official download
    digest = "859e405b592d93c3261fe899362f4128801140d4d20c01502a066b3540483d95"
    assert hashlib.sha256(ours.read_bytes()).hexdigest() == digest


# --- issuance request -------------------------------------------------------------------


def test_the_example_request_is_valid(request_body):
    assert validate_issuance_request(request_body) == []


def test_a_minimal_request_leaves_the_eu_elements_to_the_course():
    minimal = {
        "learner": {"email": "jan@example.org", "name": "Jan"},
        "course": "ucll/MC-TOETS",
        "assessment": {"type": "testing"},
        "participation": "online",
        "quality_assurance": "NVAO institutional review",
    }
    assert validate_issuance_request(minimal) == []


def test_a_request_without_participation_and_quality_assurance_names_both(request_body):
    del request_body["participation"], request_body["quality_assurance"]
    assert validate_issuance_request(request_body) == [
        Violation("/participation", "missing EU element 'form of participation' (participation)"),
        Violation(
            "/quality_assurance",
            "missing EU element 'type of quality assurance' (quality_assurance)",
        ),
    ]


def test_a_request_without_assessment_type_names_it(request_body):
    del request_body["assessment"]["type"]
    [violation] = validate_issuance_request(request_body)
    assert violation.pointer == "/assessment/type"
    assert violation.message.startswith("type of assessment:")


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("an@example.org", True),
        ("an.example.org", False),
        ("an@example", False),
        ("a n@x.be", False),
    ],
)
def test_the_learner_email_is_checked(request_body, email, ok):
    request_body["learner"]["email"] = email
    expected = [
        Violation("/learner/email", "identification of the learner: is not a valid email address")
    ]
    assert validate_issuance_request(request_body) == ([] if ok else expected)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f"])
def test_control_characters_are_refused_in_names_and_titles(request_body, char):
    request_body["learner"]["name"] = f"An{char}Peeters"
    request_body["title"] = {"en": f"Assess{char}ment"}
    found = validate_issuance_request(request_body)
    assert pointers(found) == ["/learner/name", "/title/en"]
    assert all("control characters" in v.message for v in found)


def test_tabs_and_newlines_are_fine(request_body):
    request_body["title"] = {"en": "Line one\nLine\ttwo\r\n"}
    assert validate_issuance_request(request_body) == []


def test_unknown_fields_are_named(request_body):
    request_body["grade"] = 14
    request_body["learner"]["phone"] = "+32"
    assert pointers(validate_issuance_request(request_body)) == ["/grade", "/learner/phone"]


def test_the_course_may_name_a_partner_for_joint_programmes(request_body):
    request_body["course"] = "thomasmore/MC-X"
    assert validate_issuance_request(request_body) == []
    request_body["course"] = "harvard/MC-X"
    assert pointers(validate_issuance_request(request_body)) == ["/course"]


def test_expiry_before_issuing_is_refused(request_body):
    request_body["valid_until"] = "2024-12-31"
    assert pointers(validate_issuance_request(request_body)) == ["/valid_until"]
    request_body["issued_on"] = "2025-02-30"
    found = validate_issuance_request(request_body)
    assert found == [Violation("/issued_on", "date of issuing: is not a valid date (YYYY-MM-DD)")]


def test_eqf_level_null_means_not_applicable(request_body):
    request_body["eqf_level"] = None
    assert validate_issuance_request(request_body) == []
    request_body["eqf_level"] = 9
    assert pointers(validate_issuance_request(request_body)) == ["/eqf_level"]


# --- grades -----------------------------------------------------------------------------

LETTERS = {"type": "letter", "values": ["F", "E", "D", "C", "B", "A"], "pass": "E"}
NUMERIC = {"type": "numeric", "min": 0, "max": 20, "pass": 10}


@pytest.mark.parametrize(
    ("grade", "scale", "pointer", "words"),
    [
        (21, None, "/assessment/grade", "outside the scale 0..20"),
        (-1, None, "/assessment/grade", "outside the scale"),
        (8, None, "/assessment/grade", "below the pass mark"),
        ("15", None, "/assessment/grade", "outside the scale"),
        ("A+", LETTERS, "/assessment/grade", "not one of the scale's values"),
        ("F", LETTERS, "/assessment/grade", "below the pass mark"),
        (15, {**NUMERIC, "pass": 30}, "/assessment/grade_scale", "min <= pass <= max"),
        ("A", {**LETTERS, "pass": "P"}, "/assessment/grade_scale", "pass mark"),
    ],
)
def test_a_grade_outside_its_declared_scale_is_refused(request_body, grade, scale, pointer, words):
    request_body["assessment"]["grade"] = grade
    if scale:
        request_body["assessment"]["grade_scale"] = scale
    [violation] = validate_issuance_request(request_body)
    assert violation.pointer == pointer
    assert violation.message.startswith("grade achieved:") and words in violation.message


def test_a_letter_grade_on_its_scale_is_fine(request_body):
    request_body["assessment"] |= {"grade": "B", "grade_scale": LETTERS}
    assert validate_issuance_request(request_body) == []


def test_a_scale_is_numeric_or_letter(request_body):
    request_body["assessment"]["grade_scale"] = {"type": "numeric", "min": 0, "max": 20}
    assert pointers(validate_issuance_request(request_body)) == ["/assessment/grade_scale/pass"]
    request_body["assessment"]["grade_scale"] = {"type": "letter", "values": ["x"], "pass": "x"}
    assert pointers(validate_issuance_request(request_body)) == ["/assessment/grade_scale/values"]


# --- resolved: every mandatory EU element --------------------------------------------------


def test_a_resolved_document_is_valid(resolved):
    assert validate_resolved(resolved) == []


def test_a_resolved_document_without_ects_and_learning_outcomes_names_them(resolved):
    del resolved["ects"], resolved["learning_outcomes"]
    assert validate_resolved(resolved) == [
        Violation("/ects", "missing EU element 'notional workload in ECTS' (ects)"),
        Violation(
            "/learning_outcomes", "missing EU element 'learning outcomes' (learning_outcomes)"
        ),
    ]


def test_an_empty_resolved_document_names_every_mandatory_element():
    found = validate_resolved({})
    named = {v.pointer: v.message for v in found}
    for pointer, element in MANDATORY_EU_ELEMENTS.items():
        if pointer != "/assessment/type":
            assert element in named[pointer]
    assert "/course" in named


def test_the_required_lists_and_the_eu_element_names_agree():
    schema = load(ROOT / "schemas" / "microcredential.schema.json")
    required = {"/" + name for name in schema["$defs"]["resolved"]["required"]}
    mandatory = set(MANDATORY_EU_ELEMENTS) - {"/assessment/type"}
    assert required == mandatory
    assert set(MANDATORY_EU_ELEMENTS) <= set(EU_ELEMENTS)
    assert "type" in schema["$defs"]["assessment"]["required"]


def test_eqf_level_must_be_stated_even_when_not_applicable(resolved):
    resolved["eqf_level"] = None
    assert validate_resolved(resolved) == []
    del resolved["eqf_level"]
    assert pointers(validate_resolved(resolved)) == ["/eqf_level"]


def test_a_resolved_grade_needs_its_scale(resolved):
    del resolved["assessment"]["grade_scale"]
    assert validate_resolved(resolved) == [
        Violation(
            "/assessment/grade_scale", "grade achieved: 'grade_scale' is required with 'grade'"
        )
    ]


def test_a_stacked_credential_names_its_pathway_and_parts_instead_of_a_course(resolved):
    del resolved["course"]
    resolved["pathway"] = {"code": "PG-INCLUSIEF-ONDERWIJS", "version": 1}
    assert pointers(validate_resolved(resolved)) == ["/parts"]
    resolved["parts"] = ["urn:uuid:0f1e3c9a-7a52-4f7c-9d0b-1d0c6b1c2f10"]
    assert validate_resolved(resolved) == []
    resolved["parts"] = ["credentials/1"]
    assert validate_resolved(resolved) == [
        Violation("/parts/0", "integration/stackability options: is not an absolute IRI")
    ]


def test_a_request_may_not_claim_the_awarding_body(request_body, resolved):
    request_body["awarding_body"] = resolved["awarding_body"]
    assert pointers(validate_issuance_request(request_body)) == ["/awarding_body"]


# --- pathways ---------------------------------------------------------------------------


def test_the_example_pathway_is_valid(pathway):
    assert validate_pathway(pathway) == []


def test_a_pathway_with_a_bad_rule_names_its_pointer(pathway):
    choice = pathway["rules"]["all"][1]
    choice["of"][0] = {"cours": "thomasmore/MC-DIVERSITEIT"}
    pathway["rules"]["all"][2]["min_ects"] = "4"
    pathway["rules"]["all"][0]["course"] = "MC-UDL"
    found = validate_pathway(pathway)
    assert pointers(found) == [
        "/rules/all/0/course",
        "/rules/all/1/of/0",
        "/rules/all/2/min_ects",
    ]
    assert "slug/CODE" in found[0].message
    assert "a rule is" in found[1].message


@pytest.mark.parametrize(
    ("rule", "pointer"),
    [
        ({"at_least": 0, "of": [{"course": "ucll/A"}]}, "/rules/at_least"),
        ({"at_least": 1}, "/rules/of"),
        ({"all": []}, "/rules/all"),
        ({"all": [{"course": "ucll/A"}], "of": []}, "/rules/of"),
        ({"min_ects": -1, "of": [{"course": "ucll/A"}]}, "/rules/min_ects"),
        ({"course": "ucll/A", "ects": 3}, "/rules/ects"),
        ("ucll/A", "/rules"),
    ],
)
def test_rule_shapes(pathway, rule, pointer):
    pathway["rules"] = rule
    assert pointers(validate_pathway(pathway)) == [pointer]


def test_a_pathway_award_needs_its_eu_elements(pathway):
    del pathway["award"]["ects"], pathway["award"]["quality_assurance"]
    assert validate_pathway(pathway) == [
        Violation("/award/ects", "missing EU element 'notional workload in ECTS' (award/ects)"),
        Violation(
            "/award/quality_assurance",
            "missing EU element 'type of quality assurance' (award/quality_assurance)",
        ),
    ]


def test_pathway_limits_and_partners(pathway):
    pathway |= {"min_grade": 21, "max_age_years": 0, "partners": ["ucll", "harvard"]}
    assert pointers(validate_pathway(pathway)) == ["/max_age_years", "/min_grade", "/partners/1"]


def test_deeply_nested_rules_are_refused_before_validation(pathway):
    rule: dict = {"course": "ucll/A"}
    for _ in range(5000):
        rule = {"all": [rule]}
    pathway["rules"] = rule
    assert pointers(validate_pathway(pathway)) == ["/rules"]


# --- Open Badges 3.0 ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simple.json", "complete.json", "simple-err-proof-value.json"])
def test_1edtech_vectors_validate_against_the_official_ob3_schema(name):
    assert validate_ob3(load(VECTORS / name)) == []


def test_a_single_proof_object_fails_the_formal_ob3_schema():
    """simple-did-web-method.json has `proof` as an object; the formal schema wants an array."""
    [violation] = validate_ob3(load(VECTORS / "simple-did-web-method.json"))
    assert violation.pointer == "/proof"
    assert violation.message.endswith("is not of type 'array'")


def test_ob3_violations_point_into_the_credential():
    credential = copy.deepcopy(load(VECTORS / "simple.json"))
    del credential["credentialSubject"]["achievement"]["criteria"]
    credential["type"] = ["VerifiableCredential"]
    found = validate_ob3(credential)
    assert "/credentialSubject/achievement/criteria" in pointers(found)
    assert "/type" in pointers(found)
