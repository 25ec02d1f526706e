"""The published course contract: examples, bad input, parsing, wire types and hashes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from catalogue import structs
from catalogue.hashing import content_hash, etag
from catalogue.structs import CourseOut, to_course_in, to_document
from catalogue.validation import (
    COURSE_SCHEMA_ID,
    SCHEMA_DIR,
    MalformedJSON,
    check_code,
    loads_strict,
    validate_course,
)

EXAMPLES = sorted((SCHEMA_DIR / "examples").glob("course-*.json"))


def example(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / "examples" / f"course-{name}.json").read_text())


_OWN_CODE = object()


def pointers(doc: Any, *, code_from_url: Any = _OWN_CODE) -> list[str]:
    """Pointers of the violations; by default as a PUT to the document's own code."""
    if code_from_url is _OWN_CODE:
        code_from_url = doc.get("code", "X1") if isinstance(doc, dict) else "X1"
    return [v.pointer for v in validate_course(doc, code_from_url=code_from_url)]


# ------------------------------------------------------------------ the schema and examples


def test_schema_is_draft_2020_12_with_its_id() -> None:
    schema = json.loads((SCHEMA_DIR / "course.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == COURSE_SCHEMA_ID


def test_every_object_in_the_schema_forbids_unknown_fields() -> None:
    defs = json.loads((SCHEMA_DIR / "course.schema.json").read_text())["$defs"]
    for name in ("course", "offering", "skill", "textBody"):
        assert defs[name]["additionalProperties"] is False, name


def test_the_wire_types_use_the_schemas_vocabularies() -> None:
    defs = json.loads((SCHEMA_DIR / "course.schema.json").read_text())["$defs"]
    assert structs.COURSE_TYPES == tuple(defs["course"]["properties"]["type"]["enum"])
    assert structs.MODES == tuple(m for m in defs["modeOrNull"]["enum"] if m)
    assert structs.OFFERING_STATUSES == tuple(
        s for s in defs["offering"]["properties"]["status"]["enum"] if s
    )
    assert structs.INSTITUTIONS == tuple(defs["institution"]["enum"])
    course_fields = set(defs["course"]["properties"])
    assert set(structs.CourseIn.__struct_fields__) == course_fields
    assert set(structs.OfferingIn.__struct_fields__) == set(defs["offering"]["properties"])
    provenance = {
        "institution",
        "withdrawn",
        "source",
        "first_seen",
        "last_changed",
        "content_hash",
        "etag",
    }
    assert set(CourseOut.__struct_fields__) == course_fields | provenance


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("fast", [True, False])
def test_examples_validate(path: Path, fast: bool) -> None:
    doc = json.loads(path.read_text())
    assert validate_course(doc, code_from_url=doc.get("code", "EXAMPLE-1"), fast=fast) == []
    if "code" in doc:
        assert validate_course(doc, code_from_url=None, fast=fast) == []


def test_there_are_examples_of_each_shape() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {
        "course-ucll-microcredential",
        "course-kuleuven-postgraduate",
        "course-minimal",
    } <= names
    assert set(example("kuleuven-postgraduate")["title"]) == {"nl", "en"}


# ------------------------------------------------------------------ bad input


def test_an_unknown_field_is_named_by_its_pointer() -> None:
    doc = example("minimal") | {"duration": "1 day"}
    doc_offering = example("ucll-microcredential")
    doc_offering["offerings"][1]["room"] = "A.101"
    assert pointers(doc) == ["/duration"]
    assert pointers(doc_offering, code_from_url=None) == ["/offerings/1/room"]


@pytest.mark.parametrize(
    "code", ["MC WONDZORG", "x" * 129, "", ".", "..", "../etc", "a/b", "abc\n"]
)
def test_a_bad_code_is_refused_in_the_body_and_in_the_url(code: str) -> None:
    assert set(pointers(example("minimal") | {"code": code}, code_from_url=None)) == {"/code"}
    assert pointers(example("minimal"), code_from_url=code) == ["/code"]
    assert check_code(code) is not None


@pytest.mark.parametrize("code", ["real-001", "SC_57924050", "x" * 128, "2025.v2", ".hidden"])
def test_safe_codes_are_accepted(code: str) -> None:
    assert validate_course(example("minimal"), code_from_url=code) == []
    assert check_code(code) is None


def test_a_body_code_must_match_the_url() -> None:
    doc = example("minimal") | {"code": "A1"}
    [violation] = validate_course(doc, code_from_url="B2")
    assert violation.pointer == "/code" and "'B2'" in violation.message


def test_a_batch_item_needs_its_code() -> None:
    assert pointers(example("minimal"), code_from_url=None) == ["/code"]


def test_negative_ects_and_price_are_refused() -> None:
    doc = example("ucll-microcredential")
    doc["ects"] = -1
    doc["offerings"][0]["price_eur"] = -0.01
    assert pointers(doc) == ["/ects", "/offerings/0/price_eur"]


def test_an_offering_that_ends_before_it_starts_is_refused() -> None:
    doc = example("ucll-microcredential")
    doc["offerings"][1]["end_date"] = "2026-02-01"
    [violation] = validate_course(doc, code_from_url=None)
    assert violation.pointer == "/offerings/1/end_date"
    assert "2026-02-01" in violation.message and "2026-02-16" in violation.message


def test_an_enrolment_deadline_after_the_end_is_refused() -> None:
    doc = example("ucll-microcredential")
    doc["offerings"][0]["enrolment_deadline"] = "2026-01-05"
    assert pointers(doc) == ["/offerings/0/enrolment_deadline"]


def test_an_offering_language_must_be_a_course_language() -> None:
    doc = example("ucll-microcredential")
    doc["offerings"][0]["language"] = "en"
    [violation] = validate_course(doc, code_from_url=None)
    assert violation.pointer == "/offerings/0/language" and "nl" in violation.message
    doc["languages"] = None  # unknown course languages: nothing to compare with
    assert validate_course(doc, code_from_url=None) == []


def test_duplicate_offering_codes_are_refused() -> None:
    doc = example("ucll-microcredential")
    doc["offerings"][1]["code"] = doc["offerings"][0]["code"]
    assert pointers(doc) == ["/offerings/1/code"]


@pytest.mark.parametrize("title", [None, {}, {"fr": "Soins des plaies"}, {"nl": "   "}])
def test_a_course_needs_a_title_in_dutch_or_english(title: Any) -> None:
    doc = example("minimal")
    if title is None:
        del doc["title"]
        assert pointers(doc) == ["/title"]
    else:
        assert pointers(doc | {"title": title})[0].startswith("/title")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "workshop"),
        ("eqf_level", 9),
        ("eqf_level", 6.5),
        ("isced_codes", ["913"]),
        ("languages", ["dutch"]),
        ("languages", ["nl", "nl"]),
        ("languages", []),
        ("mode", "remote"),
        ("microcredential", None),
        ("joint_partners", ["ugent"]),
        ("url", "www.ucll.be"),
        ("url", "ftp://ucll.be/x"),
        ("skills", [{"label": "x", "esco_uri": "https://esco.eu/1"}]),
        ("description", {"nl": "x" * 20001}),
    ],
)
def test_values_outside_the_contract_are_refused(field: str, value: Any) -> None:
    assert pointers(example("minimal") | {field: value})[0].startswith(f"/{field}")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_date", "2025-02-30"),
        ("start_date", "30/09/2025"),
        ("capacity", 0),
        ("status", "closed"),
        ("enrolment_url", "not a url"),
        ("price_eur", "450"),
    ],
)
def test_offering_values_outside_the_contract_are_refused(field: str, value: Any) -> None:
    doc = example("ucll-microcredential")
    doc["offerings"][0][field] = value
    assert pointers(doc)[0] == f"/offerings/0/{field}"


def test_every_violation_is_reported_together() -> None:
    doc = example("ucll-microcredential") | {"code": "has space", "ects": -3, "colour": "red"}
    del doc["title"]
    doc["offerings"][0] |= {"end_date": "2025-10-01", "language": "fr", "price_eur": -1}
    doc["offerings"][1]["start_date"] = "tomorrow"
    assert pointers(doc, code_from_url=None) == [
        "/code",
        "/colour",
        "/ects",
        "/offerings/0/end_date",
        "/offerings/0/language",
        "/offerings/0/price_eur",
        "/offerings/1/start_date",
        "/title",
    ]


def test_messages_are_readable() -> None:
    doc = example("minimal") | {"ects": -1, "languages": ["xx"], "code": "a b"}
    messages = {v.pointer: v.message for v in validate_course(doc, code_from_url=None)}
    assert messages["/ects"] == "must be at least 0, not -1"
    assert "ISO 639-1" in messages["/languages/0"]
    assert "letters, digits" in messages["/code"]


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert pointers([example("minimal")]) == [""]


def test_json_pointers_escape_slash_and_tilde() -> None:
    assert pointers(example("minimal") | {"a/b~c": 1}) == ["/a~1b~0c"]


# ------------------------------------------------------------------ the fast path is sound

_TRICKY = [
    None,
    True,
    False,
    0,
    -1,
    -0.0,
    1.5,
    3.0,
    8,
    9,
    360,
    361,
    100000,
    100001,
    10**20,
    "",
    " ",
    "a b",
    "abc\n",
    ".",
    "..",
    "x",
    "nl",
    "en",
    "fr",
    "xx",
    "0913",
    "0913\n",
    "09131",
    "2025-02-30",
    "2025-1-01",
    "2025-10-06",
    "https://x.be/ä",
    "http://x.be",
    "ftp://x.be",
    "http://data.europa.eu/esco/skill/abc",
    "kuleuven",
    "ugent",
    "open",
    "online",
    "module",
    {},
    [],
    {"nl": ""},
    {"fr": "x"},
    {"nl": "x", "en": None},
    ["nl", "nl"],
    ["nl"],
    [{}],
    [{"label": "x"}],
    [{"nl": "x"}],
    {"label": "x", "esco_uri": None},
]
_LENGTHS = [
    0,
    1,
    4,
    5,
    100,
    101,
    128,
    129,
    200,
    201,
    300,
    301,
    500,
    501,
    2000,
    2001,
    2048,
    2049,
    5000,
    5001,
    20000,
    20001,
]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*at, i))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from([json.loads(p.read_text()) for p in EXAMPLES])))
    doc.setdefault("code", "C1")
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "long", "delete", "add"]))
        if not path or action == "add":
            target = parent if not path else parent[path[-1]]
            value = copy.deepcopy(draw(st.sampled_from(_TRICKY)))
            if isinstance(target, dict):
                target[draw(st.sampled_from(["extra", "nl", "en", "code", "label"]))] = value
            elif isinstance(target, list):
                target.append(value)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "long":
            parent[path[-1]] = "a" * draw(st.sampled_from(_LENGTHS))
        else:
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(_TRICKY)))
    return doc


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated_documents(), batch=st.booleans())
def test_the_fast_path_never_accepts_what_the_schema_refuses(
    doc: dict[str, Any], batch: bool
) -> None:
    url_code = None if batch else "C1"
    assert validate_course(doc, code_from_url=url_code, fast=True) == validate_course(
        doc, code_from_url=url_code, fast=False
    )


# ------------------------------------------------------------------ parsing raw bytes


def test_loads_strict_reads_a_document() -> None:
    raw = (SCHEMA_DIR / "examples" / "course-minimal.json").read_bytes()
    assert loads_strict(raw) == example("minimal")
    assert loads_strict('"\\ud83d\\ude00"') == "\U0001f600"


@pytest.mark.parametrize(
    ("raw", "pointer", "words"),
    [
        (b'{"title": {"nl": "x"', "", "malformed JSON"),
        (b"", "", "malformed JSON"),
        (b'{"a": 1} {"b": 2}', "", "malformed JSON"),
        (b'{"ects": NaN}', "", "NaN"),
        (b'{"ects": 1e999}', "", "out of range"),
        (b'{"title": "\xff"}', "", "not UTF-8"),
        (b'{"type": "module", "type": "other"}', "/type", "duplicate"),
        (b'{"offerings": [{"code": "a", "code": "b"}]}', "/offerings/0/code", "duplicate"),
        (b'{"title": {"nl": "a\\u0000b"}}', "/title/nl", "NUL"),
        (b'{"title": {"nl": "\\ud800"}}', "/title/nl", "surrogate"),
        (b"[" * 100_000, "", "nested too deeply"),
    ],
)
def test_loads_strict_refuses_what_is_not_i_json(raw: bytes, pointer: str, words: str) -> None:
    with pytest.raises(MalformedJSON) as caught:
        loads_strict(raw)
    [violation] = caught.value.violations
    assert violation.pointer == pointer and words in violation.message


# ------------------------------------------------------------------ wire types and hashes


def test_a_valid_document_converts_and_round_trips() -> None:
    doc = example("ucll-microcredential")
    course = to_course_in(doc)
    assert course.offerings[0].start_date.isoformat() == "2025-10-06"
    assert to_course_in(to_document(course)) == course
    assert "enrolment_deadline" not in to_document(course)["offerings"][1]  # null stays unsaid


def test_the_url_code_fills_in_a_missing_code() -> None:
    assert to_course_in(example("minimal"), code="SD-1").code == "SD-1"
    assert (
        to_course_in({"type": "module", "title": {"nl": "x"}, "eqf_level": 6.0}, code="M").eqf_level
        == 6
    )


def test_course_out_shows_unknown_values_as_null() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    out = msgspec.convert(
        example("minimal")
        | {
            "code": "SD-1",
            "institution": "ucll",
            "source": "push",
            "first_seen": when,
            "last_changed": when,
            "content_hash": "0" * 64,
            "etag": etag("0" * 64),
        },
        CourseOut,
    )
    encoded = json.loads(msgspec.json.encode(out))
    assert encoded["ects"] is None and encoded["description"] is None
    assert encoded["offerings"] == [] and encoded["withdrawn"] is False
    assert encoded["etag"] == '"' + "0" * 64 + '"'


def test_the_content_hash_ignores_form_and_sees_content() -> None:
    doc = example("ucll-microcredential")
    reordered = json.loads(json.dumps(doc, sort_keys=True))
    with_nulls = doc | {
        "description": doc["description"],
        "url": doc["url"],
        "target_group": doc["target_group"],
        "mode": doc["mode"],
        "skills": doc["skills"],
    }
    with_nulls["offerings"] = [o | {"capacity": o.get("capacity")} for o in doc["offerings"]]
    base = content_hash(doc)
    assert len(base) == 64 and int(base, 16) >= 0
    assert content_hash(reordered) == base == content_hash(to_course_in(doc))
    assert content_hash(with_nulls) == base
    assert content_hash(doc | {"ects": 4.0}) == base
    assert content_hash(doc | {"prerequisites": None}) != content_hash(
        doc | {"prerequisites": {"nl": "x"}}
    )
    assert content_hash(doc | {"ects": 5}) != base
    assert content_hash(example("minimal") | {"code": "A"}) != content_hash(
        example("minimal") | {"code": "B"}
    )


def test_problems_sort_by_pointers_whatever_their_digits() -> None:
    """A member named '³' (a digit to str.isdigit, not to int) sorts instead of failing:
    schemathesis found a 500 on a batch whose item had such a member."""
    from catalogue.validation import _sort_key

    assert sorted(["/offerings/10", "/³", "/offerings/2"], key=_sort_key) == [
        "/offerings/2", "/offerings/10", "/³"]
