"""The stacking rule engine: when a learner's credentials satisfy a pathway, and why not."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import msgspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from credentials.progress import best_ects, by_course, compile_document, could_satisfy, standing
from credentials.rules import (
    GradeError,
    Held,
    Limits,
    Unit,
    check_satisfiable,
    evaluate,
    normalise_grade,
    partners_of,
    referenced_courses,
)

TODAY = date(2025, 6, 1)
EXAMPLE = json.loads(
    (Path(__file__).parents[2] / "schemas" / "examples" / "pathway.json").read_text("utf-8")
)


def held(id: str, course: str, ects: float | None = 3, grade: float | None = 14, **kw) -> Held:
    return Held(id, course, ects, grade, kw.pop("issued_on", date(2025, 1, 15)), **kw)


def unit(course: str) -> dict:
    return {"course": course}


# --- properties -------------------------------------------------------------------------

COURSES = ["ucll/A", "ucll/B", "thomasmore/C", "kuleuven/D", "kuleuven/E", "vives/F"]
ECTS = st.sampled_from([0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 3, 4, 6, 10])

rules_strategy = st.recursive(
    st.sampled_from(COURSES).map(unit),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda of: {"all": of}),
        st.tuples(st.integers(1, 4), st.lists(children, min_size=1, max_size=4)).map(
            lambda t: {"at_least": t[0], "of": t[1]}
        ),
        st.tuples(ECTS, st.lists(children, min_size=1, max_size=4)).map(
            lambda t: {"min_ects": t[0], "of": t[1]}
        ),
    ),
    max_leaves=10,
)
limits_strategy = st.builds(
    Limits,
    min_total_ects=st.none() | st.none() | ECTS,
    max_age_years=st.none() | st.integers(1, 8),
    min_grade=st.none() | st.none() | st.integers(0, 40).map(lambda g: g / 2),
)
# Few distinct dates and grades, so that ties between credentials are common.
DATES = [date(2018, 6, 1), date(2020, 6, 1), date(2022, 2, 28), date(2024, 9, 30), TODAY]
ANY_STATUS = st.sampled_from(["valid"] * 6 + ["revoked", "suspended"])


def held_strategy(ids=st.integers(0, 10_000).map(lambda n: f"urn:uuid:c{n}"), status=ANY_STATUS):
    return st.builds(
        Held,
        id=ids,
        course=st.sampled_from(COURSES + ["luca/OTHER"]),
        ects=st.none() | ECTS,
        grade=st.none() | st.sampled_from([10, 12, 14.5]) | st.integers(0, 40).map(lambda g: g / 2),
        issued_on=st.sampled_from(DATES) | st.dates(date(2017, 1, 1), date(2025, 7, 1)),
        status=status,
        valid_until=st.none() | st.none() | st.dates(date(2024, 1, 1), date(2030, 1, 1)),
    )


wallets = st.lists(held_strategy(), max_size=20, unique_by=lambda h: h.id)
declared_ects = st.none() | st.fixed_dictionaries({c: st.none() | ECTS for c in COURSES})


def good_credentials(rules) -> st.SearchStrategy[list[Held]]:
    """Fresh, well-graded valid credentials for some of the courses a rule tree names."""
    courses = sorted(referenced_courses(rules))
    return st.lists(st.sampled_from(courses), unique=True).flatmap(
        lambda chosen: st.tuples(
            *(
                st.builds(
                    Held,
                    id=st.just(f"urn:uuid:good-{c}"),
                    course=st.just(c),
                    ects=ECTS,
                    grade=st.integers(24, 40).map(lambda g: g / 2),
                    issued_on=st.dates(date(2024, 1, 1), TODAY),
                )
                for c in chosen
            )
        ).map(list)
    )


@settings(max_examples=300)
@given(rules_strategy, limits_strategy, wallets, declared_ects, st.data())
def test_evaluation_does_not_depend_on_the_order_of_credentials(rules, limits, creds, ects, data):
    creds = creds + data.draw(good_credentials(rules))
    # Twins differ only by id: the tie-break must not fall back on input order.
    twins = data.draw(st.lists(st.sampled_from(creds), unique_by=lambda c: c.id)) if creds else []
    creds += [msgspec.structs.replace(c, id=c.id + "-twin") for c in twins]
    shuffled = data.draw(st.permutations(creds))
    assert evaluate(rules, limits, shuffled, TODAY, course_ects=ects) == evaluate(
        rules, limits, creds, TODAY, course_ects=ects
    )


@settings(max_examples=400)
@given(
    rules_strategy,
    limits_strategy,
    wallets,
    declared_ects,
    held_strategy(ids=st.just("urn:uuid:new"), status=st.just("valid")),
    st.data(),
)
def test_adding_a_valid_credential_never_unsatisfies_a_pathway(
    rules, limits, creds, ects, new, data
):
    creds = creds + data.draw(good_credentials(rules))
    before = evaluate(rules, limits, creds, TODAY, course_ects=ects)
    after = evaluate(rules, limits, [*creds, new], TODAY, course_ects=ects)
    assert after.ects_earned >= before.ects_earned
    if before.satisfied:
        assert after.satisfied


@settings(max_examples=300)
@given(rules_strategy, limits_strategy, wallets, declared_ects, st.data())
def test_removing_a_credential_that_is_not_counted_changes_nothing(
    rules, limits, creds, ects, data
):
    creds = creds + data.draw(good_credentials(rules))
    before = evaluate(rules, limits, creds, TODAY, course_ects=ects)
    for extra in (c for c in creds if c.id not in before.counted):
        rest = [c for c in creds if c is not extra]
        assert evaluate(rules, limits, rest, TODAY, course_ects=ects) == before


@settings(max_examples=200)
@given(rules_strategy, limits_strategy, wallets)
def test_counted_credentials_are_valid_and_one_per_course(rules, limits, creds):
    result = evaluate(rules, limits, creds, TODAY)
    counted = [c for c in creds if c.id in result.counted]
    assert all(c.status == "valid" for c in counted)
    assert len({c.course for c in counted}) == len(counted)
    assert {c.course for c in counted} <= referenced_courses(rules)
    assert not (result.satisfied and result.missing)


@settings(max_examples=300)
@given(rules_strategy, limits_strategy, wallets, st.data())
def test_the_cheap_precheck_never_rules_out_a_satisfied_pathway(rules, limits, creds, data):
    """``credentials.progress.could_satisfy`` lets re-evaluation skip most pathways on every
    issuance: it may only skip ones that are not satisfied. As in the registry: every
    credential carries ECTS, no pathway names a course twice (``check_satisfiable``)."""
    assume(json.dumps(rules).count('"course"') == len(referenced_courses(rules)))
    creds = [c for c in creds if c.ects is not None] + data.draw(good_credentials(rules))
    body = {"code": "P", "rules": rules, "partners": sorted(partners_of(rules)),
            **{k: v for k, v in msgspec.structs.asdict(limits).items() if v is not None}}
    pathway = compile_document(body, "ucll", 1)
    held = by_course((c.course.split("/")[0], c) for c in creds)
    if standing(pathway, held, TODAY).satisfied:
        assert could_satisfy(pathway, best_ects(held, pathway.limits, TODAY))


# --- examples ---------------------------------------------------------------------------

REQUIRED = {"all": [unit("ucll/A"), unit("thomasmore/B")]}


def test_required_units_must_all_be_held():
    partial = evaluate(REQUIRED, Limits(), [held("c1", "ucll/A")], TODAY)
    assert not partial.satisfied
    assert partial.missing == (Unit("thomasmore/B"),)
    assert partial.counted == ("c1",)
    assert [child.met for child in partial.tree.children] == [True, False]

    full = evaluate(REQUIRED, Limits(), [held("c1", "ucll/A"), held("c2", "thomasmore/B")], TODAY)
    assert full.satisfied and full.missing == ()
    assert full.counted == ("c1", "c2")
    assert full.ects_earned == 6


def test_at_least_counts_met_options():
    rules = {"at_least": 2, "of": [unit("ucll/A"), unit("ucll/B"), unit("vives/C")]}
    one = evaluate(rules, Limits(), [held("c1", "vives/C")], TODAY)
    assert not one.satisfied
    assert (one.tree.needed, one.tree.achieved) == (2, 1)
    assert one.missing == (Unit("ucll/A"), Unit("ucll/B"))
    two = evaluate(rules, Limits(), [held("c1", "vives/C"), held("c2", "ucll/A")], TODAY)
    assert two.satisfied


def test_min_ects_sums_the_ects_of_met_children():
    rules = {"min_ects": 5, "of": [unit("ucll/A"), unit("ucll/B"), unit("vives/C")]}
    short = evaluate(rules, Limits(), [held("a", "ucll/A", 3), held("c", "vives/C", 1)], TODAY)
    assert not short.satisfied and short.tree.achieved == 4
    enough = evaluate(rules, Limits(), [held("a", "ucll/A", 3), held("b", "ucll/B", 2)], TODAY)
    assert enough.satisfied


def test_min_ects_ignores_a_child_group_that_is_not_met():
    inner = {"all": [unit("ucll/A"), unit("ucll/B")]}
    rules = {"min_ects": 3, "of": [inner, unit("vives/C")]}
    result = evaluate(rules, Limits(), [held("a", "ucll/A", 6)], TODAY)
    assert not result.satisfied
    assert result.tree.achieved == 0 and result.tree.ects == 6


def test_fractional_ects_add_up_exactly():
    rules = {"min_ects": 0.3, "of": [unit("ucll/A"), unit("ucll/B")]}
    creds = [held("a", "ucll/A", 0.1), held("b", "ucll/B", 0.2)]
    assert evaluate(rules, Limits(min_total_ects=0.3), creds, TODAY).satisfied


def test_min_total_ects_applies_to_all_counted_units():
    rules = {"at_least": 1, "of": [unit("ucll/A"), unit("ucll/B"), unit("vives/C")]}
    creds = [held("a", "ucll/A", 3), held("b", "ucll/B", 3)]
    short = evaluate(rules, Limits(min_total_ects=8), creds, TODAY)
    assert short.tree.met and not short.satisfied
    assert (short.ects_earned, short.ects_required) == (6, 8)
    assert short.missing == (Unit("vives/C"),)
    more = evaluate(rules, Limits(min_total_ects=8), [*creds, held("c", "vives/C", 2)], TODAY)
    assert more.satisfied and more.counted == ("a", "b", "c")


def test_max_age_counts_whole_years_back_from_today():
    limits = Limits(max_age_years=5)
    rules = unit("ucll/A")
    on_the_day = held("c1", "ucll/A", issued_on=date(2020, 6, 1))
    a_day_older = held("c1", "ucll/A", issued_on=date(2020, 5, 31))
    assert evaluate(rules, limits, [on_the_day], TODAY).satisfied
    assert not evaluate(rules, limits, [a_day_older], TODAY).satisfied
    leap = held("c1", "ucll/A", issued_on=date(2019, 2, 28))
    assert evaluate(rules, Limits(max_age_years=1), [leap], date(2020, 2, 29)).satisfied


def test_min_grade_excludes_lower_and_ungraded_credentials():
    rules, limits = unit("ucll/A"), Limits(min_grade=12)
    assert evaluate(rules, limits, [held("c", "ucll/A", grade=12)], TODAY).satisfied
    assert not evaluate(rules, limits, [held("c", "ucll/A", grade=11.5)], TODAY).satisfied
    assert not evaluate(rules, limits, [held("c", "ucll/A", grade=None)], TODAY).satisfied
    assert evaluate(rules, Limits(), [held("c", "ucll/A", grade=None)], TODAY).satisfied


@pytest.mark.parametrize(
    "credential",
    [
        held("c", "ucll/A", status="revoked"),
        held("c", "ucll/A", status="suspended"),
        held("c", "ucll/A", valid_until=date(2025, 5, 31)),
        held("c", "ucll/A", issued_on=date(2025, 6, 2)),
    ],
    ids=["revoked", "suspended", "expired", "not yet issued"],
)
def test_credentials_that_are_not_valid_today_never_count(credential):
    result = evaluate(unit("ucll/A"), Limits(), [credential], TODAY)
    assert not result.satisfied and result.counted == ()


def test_one_credential_per_course_chosen_by_ects_grade_date_then_id():
    rules = unit("ucll/A")

    def pick(*creds: Held) -> tuple[str, ...]:
        return evaluate(rules, Limits(), creds, TODAY).counted

    assert pick(held("x", "ucll/A", 3, 18), held("y", "ucll/A", 4, 11)) == ("y",)
    assert pick(held("x", "ucll/A", 3, 18), held("y", "ucll/A", 3, 11)) == ("x",)
    assert pick(held("x", "ucll/A", 3, None), held("y", "ucll/A", 3, 10)) == ("y",)
    newer = held("y", "ucll/A", issued_on=date(2025, 3, 1))
    assert pick(held("x", "ucll/A"), newer) == ("y",)
    assert pick(held("y", "ucll/A"), held("x", "ucll/A")) == ("x",)


def test_a_credential_without_ects_takes_the_courses_declared_ects():
    rules = {"min_ects": 4, "of": [unit("ucll/A"), unit("ucll/B")]}
    creds = [held("a", "ucll/A", None), held("b", "ucll/B", 2)]
    assert not evaluate(rules, Limits(), creds, TODAY).satisfied
    assert evaluate(rules, Limits(), creds, TODAY, course_ects={"ucll/A": 2}).satisfied


def test_the_result_tree_carries_json_pointers_into_the_pathway():
    result = evaluate(EXAMPLE["rules"], Limits.from_pathway(EXAMPLE), [], TODAY)
    assert result.tree.path == "/rules"
    choice = result.tree.children[1]
    assert (choice.path, choice.kind) == ("/rules/all/1", "at_least")
    assert choice.children[0].path == "/rules/all/1/of/0"
    assert choice.children[0].course == "thomasmore/MC-DIVERSITEIT"


def test_the_joint_example_pathway_is_earned_across_three_partners():
    limits = Limits.from_pathway(EXAMPLE)
    assert limits == Limits(min_total_ects=12, max_age_years=5, min_grade=12)
    creds = [
        held("urn:uuid:1", "ucll/MC-UDL", 4, 14),
        held("urn:uuid:2", "thomasmore/MC-TAALBELEID", 4, 13),
        held("urn:uuid:3", "kuleuven/MC-EVALUATIE", 3, 15),
        held("urn:uuid:4", "ucll/MC-TOETS", 1, 12),
    ]
    assert not evaluate(EXAMPLE["rules"], limits, creds[:3], TODAY).satisfied
    result = evaluate(EXAMPLE["rules"], limits, creds, TODAY)
    assert result.satisfied
    assert result.ects_earned == 12
    assert result.counted == ("urn:uuid:1", "urn:uuid:2", "urn:uuid:3", "urn:uuid:4")


def test_referenced_courses_and_partners():
    assert referenced_courses(EXAMPLE["rules"]) == {
        "ucll/MC-UDL",
        "thomasmore/MC-DIVERSITEIT",
        "thomasmore/MC-TAALBELEID",
        "kuleuven/MC-EVALUATIE",
        "kuleuven/MC-DIGITAAL",
        "ucll/MC-TOETS",
    }
    assert partners_of(EXAMPLE["rules"]) == set(EXAMPLE["partners"])


# --- grades -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "scale", "expected"),
    [
        (10, {"type": "numeric", "min": 0, "max": 20, "pass": 10}, 10),
        (15, {"type": "numeric", "min": 0, "max": 20, "pass": 10}, 15),
        (20, {"type": "numeric", "min": 0, "max": 20, "pass": 10}, 20),
        (75, {"type": "numeric", "min": 0, "max": 100, "pass": 50}, 15),
        (60, {"type": "numeric", "min": 0, "max": 100, "pass": 60}, 10),
        (30, {"type": "numeric", "min": 0, "max": 100, "pass": 60}, 5),
        ("E", {"type": "letter", "values": ["F", "E", "D", "C", "B", "A"], "pass": "E"}, 10),
        ("A", {"type": "letter", "values": ["F", "E", "D", "C", "B", "A"], "pass": "E"}, 20),
        ("F", {"type": "letter", "values": ["F", "E", "D", "C", "B", "A"], "pass": "E"}, 0),
    ],
)
def test_grades_normalise_to_the_common_0_20_scale_with_pass_at_10(grade, scale, expected):
    assert normalise_grade(grade, scale) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("grade", "scale"),
    [
        (21, {"type": "numeric", "min": 0, "max": 20, "pass": 10}),
        ("15", {"type": "numeric", "min": 0, "max": 20, "pass": 10}),
        (True, {"type": "numeric", "min": 0, "max": 20, "pass": 10}),
        (12, {"type": "numeric", "min": 0, "max": 20, "pass": 25}),
        (12, {"type": "numeric", "min": 5, "max": 5, "pass": 5}),
        ("A+", {"type": "letter", "values": ["F", "A"], "pass": "A"}),
        ("A", {"type": "letter", "values": ["F", "A"], "pass": "P"}),
        (12, {"type": "percent"}),
    ],
)
def test_grades_off_their_scale_are_refused(grade, scale):
    with pytest.raises(GradeError):
        normalise_grade(grade, scale)


# --- can the pathway ever be satisfied? --------------------------------------------------

KNOWN = {"ucll/A": 3, "ucll/B": 3, "thomasmore/C": 2, "kuleuven/D": None}


def problems(rules, limits=Limits(), known=KNOWN, **kw):
    return check_satisfiable(rules, limits, known, set(known), **kw)


def test_a_satisfiable_pathway_has_no_problems():
    ects = {"ucll/MC-UDL": 4, "thomasmore/MC-DIVERSITEIT": 4, "thomasmore/MC-TAALBELEID": 4}
    ects |= {"kuleuven/MC-EVALUATIE": 3, "kuleuven/MC-DIGITAAL": 3, "ucll/MC-TOETS": 1}
    limits = Limits.from_pathway(EXAMPLE)
    partners = EXAMPLE["partners"]
    assert check_satisfiable(EXAMPLE["rules"], limits, ects, set(ects), partners=partners) == []


def test_an_unknown_course_is_named():
    found = problems({"all": [unit("ucll/A"), unit("ucll/NOPE")]})
    assert [(p.pointer, "does not exist" in p.message) for p in found] == [
        ("/rules/all/1/course", True)
    ]


def test_a_course_of_a_partner_that_is_not_listed_is_named():
    found = problems(unit("thomasmore/C"), partners=["ucll"])
    assert [p.pointer for p in found] == ["/rules/course"]
    assert "thomasmore" in found[0].message


def test_at_least_more_than_the_options():
    found = problems({"at_least": 3, "of": [unit("ucll/A"), unit("ucll/B")]})
    assert [p.pointer for p in found] == ["/rules/at_least"]
    assert "3 of only 2" in found[0].message


def test_at_least_more_than_the_options_that_exist():
    found = problems({"at_least": 2, "of": [unit("ucll/A"), unit("ucll/GONE")]})
    assert [p.pointer for p in found] == ["/rules/of/1/course", "/rules/at_least"]


def test_min_ects_above_what_the_group_can_provide():
    found = problems({"all": [{"min_ects": 7, "of": [unit("ucll/A"), unit("thomasmore/C")]}]})
    assert [p.pointer for p in found] == ["/rules/all/0/min_ects"]
    assert "at most 5" in found[0].message


def test_an_unknown_ects_never_makes_a_group_impossible():
    assert problems({"min_ects": 30, "of": [unit("ucll/A"), unit("kuleuven/D")]}) == []


def test_min_total_ects_above_all_units():
    found = problems({"all": [unit("ucll/A"), unit("ucll/B")]}, Limits(min_total_ects=7))
    assert [p.pointer for p in found] == ["/min_total_ects"]
    assert "at most 6" in found[0].message


def test_a_course_referenced_twice_is_ambiguous():
    found = problems({"all": [unit("ucll/A"), {"at_least": 1, "of": [unit("ucll/A")]}]})
    assert [p.pointer for p in found] == ["/rules/all/1/of/0/course"]
    assert "/rules/all/0" in found[0].message
