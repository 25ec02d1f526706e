"""Every term of every issued credential is defined by a context; the fast paths equal the reference."""

from __future__ import annotations

import copy
import random

from credentials.fastschema import check_request, check_resolved, ob3_violations
from credentials.proofs.jsonld import expand_strict
from credentials.proofs.rdfc import canonicalize_reference
from credentials.proofs.fastcanon import canonicalize
from credentials.validation import (
    validate_issuance_request,
    validate_ob3,
    validate_resolved,
)
from tests.credentials import support
from tests.credentials.support import VARIANTS, issue, request_body

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


async def _issued(client, ucll) -> list[dict]:  # type: ignore[no-untyped-def]
    found = []
    for changes in VARIANTS:
        r = await issue(client, ucll, request_body(**changes))
        assert r.status_code == 201, (changes, r.text)
        found.append(r.json())
    return found


async def test_no_term_is_dropped_or_undefined(client, ucll) -> None:  # type: ignore[no-untyped-def]
    for credential in await _issued(client, ucll):
        expand_strict(credential, allow_vocab_fallback=False)  # raises on any loss
        expand_strict({k: v for k, v in credential.items() if k != "proof"},
                      allow_vocab_fallback=False)
        for proof in credential["proof"]:
            expand_strict({"@context": credential["@context"], **proof},
                          allow_vocab_fallback=False)


async def test_fast_canonicaliser_equals_pyld_on_issued_credentials(client, ucll) -> None:  # type: ignore[no-untyped-def]
    for credential in await _issued(client, ucll):
        unsigned = {k: v for k, v in credential.items() if k != "proof"}
        assert canonicalize(unsigned) == canonicalize_reference(unsigned)


def _mutations(doc: dict, rng: random.Random) -> list:  # type: ignore[type-arg]
    """Broken variants: removed keys, wrong types, bad formats, extra fields, deep changes."""
    out = []
    for key in list(doc):
        removed = copy.deepcopy(doc)
        del removed[key]
        out.append(removed)
        for value in (None, 3, "x", [], {}, {"en": ""}, "2025-13-01", "a@b", -1, 1e9):
            changed = copy.deepcopy(doc)
            changed[key] = value
            out.append(changed)
    for path, value in (
        (("assessment", "grade"), 25), (("assessment", "grade"), "Z"),
        (("assessment", "grade"), 5), (("assessment", "type"), "oral"),
        (("learner", "email"), "a b@c.d"), (("learner", "name"), ""),
        (("assessment", "grade_scale", "pass"), 30), (("assessment", "extra"), 1),
    ):
        changed = copy.deepcopy(doc)
        target = changed
        for step in path[:-1]:
            target = target.setdefault(step, {})
        target[path[-1]] = value
        out.append(changed)
    out.append({**copy.deepcopy(doc), "unknown": 1})
    rng.shuffle(out)
    return out


def test_fast_request_checks_agree_with_the_reference() -> None:
    rng = random.Random(5)
    base = request_body()
    for doc in [base, *(request_body(**v) for v in VARIANTS), *_mutations(base, rng)]:
        assert (check_request(doc) == []) == (validate_issuance_request(doc) == []), doc
        resolved = {**doc, "title": {"nl": "T"}, "country": "BE", "ects": 3, "eqf_level": 5,
                    "awarding_body": {"id": "did:web:x", "name": "X"},
                    "learning_outcomes": [{"nl": "L"}]}
        resolved.setdefault("issued_on", "2025-01-01")
        assert (check_resolved(resolved) == []) == (validate_resolved(resolved) == []), resolved


async def test_fast_ob3_check_agrees_with_the_reference(client, ucll) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    for credential in await _issued(client, ucll):
        assert isinstance(credential["credentialStatus"], dict)
        assert ob3_violations(credential) == validate_ob3(credential) == []
        for broken in _mutations(credential, rng)[:60]:
            assert ob3_violations(broken) == validate_ob3(broken), broken
