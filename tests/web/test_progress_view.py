"""How each rule node of a pathway reads on /me (``web.progress_view``): pure, no database.

The trees are what ``credentials.progress`` reports; the cases are the ones whose wording
a learner could misread: a part of an option, a choice already made, a total still short.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from credentials.progress import MissingUnit, PathwayProgress, RuleProgress, UpcomingOffering
from web.progress_view import NodeView, pathway_view


def unit(path: str, course: str, met: bool, ects: float = 0.0) -> RuleProgress:
    return RuleProgress(path=path, kind="course", met=met, needed=1, achieved=int(met),
                        ects=ects if met else 0.0, course=course,
                        credential=str(uuid.uuid4()) if met else None)


def group(path: str, kind: str, needed: float, children: list[RuleProgress]) -> RuleProgress:
    achieved = (sum(c.ects for c in children if c.met) if kind == "min_ects"
                else sum(c.met for c in children))
    return RuleProgress(path=path, kind=kind, met=achieved >= needed, needed=needed,
                        achieved=achieved, ects=sum(c.ects for c in children),
                        children=children)


def progress(rules: RuleProgress, *, required: float | None = None, earned: float = 0.0,
             missing: tuple[str, ...] = ()) -> PathwayProgress:
    satisfied = rules.met and (required is None or earned >= required)
    start = UpcomingOffering(start_date=date(2027, 2, 1), end_date=None, city=None, campus=None,
                             mode=None, language=None, status=None, price_eur=None)
    return PathwayProgress(
        pathway_id=uuid.uuid4(), url="/api/v1/pathways/x", institution="kuleuven", code="PG",
        version=1, state="active", title={"en": "A pathway"}, satisfied=satisfied, award=None,
        ects_earned=earned, ects_required=required, rules=rules,
        missing=[MissingUnit(course=c, title=None, ects=3, url="/x", upcoming_offerings=[start])
                 for c in missing])


def states(node: NodeView) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if node.code:
        found[node.code] = node.state
    for child in node.children:
        found |= states(child)
    return found


def test_a_part_of_an_option_is_optional_too() -> None:
    # 1 of: [A] or [all of B, C]: nothing earned yet; B and C are parts of the second option.
    rules = group("/rules", "at_least", 1, [
        unit("/rules/of/0", "ucll/A", False),
        group("/rules/of/1", "all", 2, [unit("/rules/of/1/all/0", "ucll/B", False),
                                        unit("/rules/of/1/all/1", "ucll/C", False)]),
    ])
    view = pathway_view(progress(rules, missing=("ucll/A", "ucll/B", "ucll/C")), {})
    assert states(view.rules) == {"A": "option", "B": "option", "C": "option"}
    assert view.rules.children[1].state == "todo" and view.rules.children[1].options == 2
    assert view.rules.children[0].next_start == date(2027, 2, 1)


def test_a_must_stays_a_must_and_a_made_choice_leaves_the_rest_not_needed() -> None:
    rules = group("/rules", "all", 2, [
        unit("/rules/all/0", "ucll/MUST", False),
        group("/rules/all/1", "at_least", 1, [unit("/rules/all/1/of/0", "ucll/X", True, 4),
                                              unit("/rules/all/1/of/1", "ucll/Y", False)]),
    ])
    view = pathway_view(progress(rules, earned=4, missing=("ucll/MUST",)),
                        {"ucll/MUST": (5.0, {"en": "The must"})})
    assert states(view.rules) == {"MUST": "todo", "X": "done", "Y": "not_needed"}
    must = view.rules.children[0]
    assert must.ects == 5.0 and must.title == {"en": "The must"}  # declared, not earned
    assert view.rules.children[1].children[0].ects == 4  # earned
    assert view.rules.rest == 1 and view.ects_rest == 0


def test_while_the_total_is_short_every_unit_not_earned_helps() -> None:
    rules = group("/rules", "min_ects", 3, [unit("/rules/of/0", "ucll/X", True, 4),
                                            unit("/rules/of/1", "ucll/Y", False)])
    view = pathway_view(progress(rules, required=6, earned=4, missing=("ucll/Y",)), {})
    assert view.rules.state == "done" and states(view.rules)["Y"] == "option"
    assert view.ects_rest == 2
    met = pathway_view(progress(rules, required=4, earned=4), {})
    assert states(met.rules)["Y"] == "not_needed" and met.ects_rest == 0


def test_why_a_held_unit_does_not_count_is_kept_for_the_unit_only_while_unmet() -> None:
    rules = group("/rules", "all", 2, [unit("/rules/all/0", "ucll/A", False),
                                       unit("/rules/all/1", "ucll/B", True, 3)])
    why = {"ucll/A": ("grade", {"minimum": 12}), "ucll/B": ("revoked", {})}
    view = pathway_view(progress(rules, missing=("ucll/A",)), {}, why)
    a, b = view.rules.children
    assert a.why == ("grade", {"minimum": 12}) and b.why is None
