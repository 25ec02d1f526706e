"""The stacking rule engine: when do a learner's credentials satisfy a pathway?

Pure functions over plain values: no database, no clock (``today`` is an argument).

The rules of stacking
---------------------
A pathway's ``rules`` is a tree (shape: ``schemas/pathway.schema.json``):

- ``{"course": "slug/CODE"}`` -- a *unit*. It is met when the learner holds a
  *countable* credential for that course. Its ECTS are the ECTS of that credential
  (the course's declared ECTS when the credential carries none; 0 when neither does).
- ``{"all": [R, ...]}`` -- met when every child is met.
- ``{"at_least": n, "of": [R, ...]}`` -- met when at least ``n`` children are met.
- ``{"min_ects": x, "of": [R, ...]}`` -- met when the *met* children together carry at
  least ``x`` ECTS; a child group that is not met contributes nothing, even if some of
  its units are met.

The ECTS of a node are the sum of the ECTS of the met units below it. A credential is
*countable* when, on the evaluation date ``today``:

1. its status is ``valid`` (revoked and suspended credentials never count);
2. it is issued (``issued_on <= today``) and not expired (``valid_until`` is None or
   ``>= today``);
3. with ``max_age_years = y``: ``issued_on >= today`` minus ``y`` calendar years;
4. with ``min_grade = g``: its grade, normalised to the common 0-20 scale (see
   :func:`normalise_grade`), is ``>= g``; an ungraded credential does not meet a
   minimum grade.

A learner may hold several countable credentials for one course; exactly one is used,
the first by: most ECTS, then best grade (ungraded last), then most recently issued,
then smallest id. So the result never depends on the order of the credentials, and a
newly added credential can only raise a unit's ECTS: adding a credential never turns a
satisfied pathway into an unsatisfied one, and removing one that is not counted changes
nothing.

The pathway is *satisfied* when the root is met and, with ``min_total_ects = t``, the
ECTS of all met units in the tree (each course once) reach ``t``. The *counted*
credentials are the ones used by met units: the parts of the stacked credential.

Sums use :func:`math.fsum` and comparisons allow ``1e-9`` so that 0.1 + 0.2 ECTS meets
a 0.3 requirement.

The value types are frozen and built bottom-up, so they can never form a reference cycle:
they are not tracked by the garbage collector (``gc=False``), which matters on the
issuance path, where every issuance evaluates dozens of pathways.

(Over 400 lines on purpose: this docstring is the rule book, and the evaluator and the
satisfiability checker below implement it together; a rule changes all three.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Set
from datetime import date
from typing import Any, Literal


from catalogue.structs import OutStruct

__all__ = [
    "FLEMISH_SCALE",
    "Evaluation",
    "GradeError",
    "Held",
    "Limits",
    "NodeResult",
    "Problem",
    "Unit",
    "check_satisfiable",
    "evaluate",
    "normalise_grade",
    "partners_of",
    "referenced_courses",
]

EPS = 1e-9
FLEMISH_SCALE: Mapping[str, Any] = {"type": "numeric", "min": 0, "max": 20, "pass": 10}
"""The scale of all six partners, used when neither the request nor the course declares one."""

Status = Literal["valid", "revoked", "suspended"]
Kind = Literal["course", "all", "at_least", "min_ects"]


class Unit(OutStruct, frozen=True, gc=False):
    """A course a pathway counts, as ``slug/CODE``, with its ECTS when known."""

    course: str
    ects: float | None = None


class Held(OutStruct, frozen=True, gc=False):
    """One credential a learner holds, reduced to what stacking looks at.

    ``grade`` is already normalised to the 0-20 scale (:func:`normalise_grade`), or None.
    """

    id: str
    course: str
    ects: float | None
    grade: float | None
    issued_on: date
    status: Status = "valid"
    valid_until: date | None = None


class Limits(OutStruct, frozen=True):
    """The pathway-wide limits that sit next to the rule tree."""

    min_total_ects: float | None = None
    max_age_years: int | None = None
    min_grade: float | None = None

    @classmethod
    def from_pathway(cls, body: Mapping[str, Any]) -> Limits:
        return cls(body.get("min_total_ects"), body.get("max_age_years"), body.get("min_grade"))


class NodeResult(OutStruct, frozen=True, gc=False):
    """The outcome of one rule node.

    ``path`` is the node's JSON pointer in the pathway body (``/rules/all/1``).
    ``needed``/``achieved``: for ``all`` and ``at_least`` the number of met children
    required and present, for ``min_ects`` the ECTS required and carried by met
    children, for a unit 1 and 1 or 0. ``ects`` is the sum over met units below.
    ``credential`` is the id of the credential used by a met unit.
    """

    path: str
    kind: Kind
    met: bool
    needed: float
    achieved: float
    ects: float
    course: str | None = None
    credential: str | None = None
    children: tuple[NodeResult, ...] = ()


class Evaluation(OutStruct, frozen=True, gc=False):
    """A learner's standing on one pathway.

    ``missing``: units not yet met that would help, in rule order (empty when
    satisfied). ``counted``: sorted ids of the credentials used, the parts.
    """

    satisfied: bool
    tree: NodeResult
    missing: tuple[Unit, ...]
    ects_earned: float
    ects_required: float | None
    counted: tuple[str, ...]


class Problem(OutStruct, frozen=True):
    """Why a pathway can never be satisfied, at a JSON pointer into the pathway body."""

    pointer: str
    message: str


class GradeError(ValueError):
    """A grading scale is inconsistent, or a grade is not on its scale."""


def normalise_grade(grade: float | str, scale: Mapping[str, Any] = FLEMISH_SCALE) -> float:
    """Map ``grade`` on ``scale`` to the common 0-20 scale, where 10 means "just passed".

    Piecewise linear: the scale's bottom maps to 0, its pass mark to 10 and its top to
    20. A numeric scale is ``{"type": "numeric", "min", "max", "pass"}`` with
    ``min <= pass <= max`` and ``min < max``, higher is better. A letter scale is
    ``{"type": "letter", "values": [lowest, ..., highest], "pass": value}``: a letter's
    position in ``values`` is graded like a number on ``0 .. len(values) - 1``.

    Raises :class:`GradeError` when the scale is inconsistent or the grade is not on it.
    """
    if scale.get("type") == "letter":
        values = list(scale.get("values") or ())
        if len(values) < 2 or len(set(values)) != len(values):
            raise GradeError("a letter scale needs at least two distinct values")
        if scale.get("pass") not in values:
            raise GradeError(f"pass mark {scale.get('pass')!r} is not one of the scale's values")
        if not isinstance(grade, str) or grade not in values:
            raise GradeError(f"grade {grade!r} is not one of the scale's values {values}")
        lo, hi = 0.0, float(len(values) - 1)
        pass_mark, value = values.index(scale["pass"]), values.index(grade)
    elif scale.get("type") == "numeric":
        lo, hi, pass_mark = scale.get("min"), scale.get("max"), scale.get("pass")
        numbers = all(_is_number(v) for v in (lo, hi, pass_mark))
        if not numbers or not lo <= pass_mark <= hi or lo == hi:
            raise GradeError("a numeric scale needs numbers min <= pass <= max with min < max")
        if not _is_number(grade) or not lo <= grade <= hi:
            raise GradeError(f"grade {grade!r} is outside the scale {lo}..{hi}")
        value = grade
    else:
        raise GradeError(f"unknown grading scale type {scale.get('type')!r}")
    if value == pass_mark:
        return 10.0
    if value > pass_mark:
        return 10.0 + 10.0 * (value - pass_mark) / (hi - pass_mark)
    return 10.0 * (value - lo) / (pass_mark - lo)


def evaluate(
    rules: Mapping[str, Any],
    limits: Limits,
    held: Iterable[Held],
    today: date,
    *,
    course_ects: Mapping[str, float | None] | None = None,
) -> Evaluation:
    """Evaluate a pathway's ``rules`` and ``limits`` against the credentials ``held``.

    ``course_ects`` gives the catalogue's declared ECTS per ``slug/CODE``: used for a
    credential without ECTS and to show the ECTS of missing units.
    """
    declared = course_ects or {}
    chosen = _choose(held, limits, today, declared)
    tree = _evaluate_node(rules, "/rules", chosen)
    used = {leaf.course: leaf for leaf in _leaves(tree) if leaf.met}
    earned = math.fsum(leaf.ects for leaf in used.values())
    enough = limits.min_total_ects is None or earned + EPS >= limits.min_total_ects
    satisfied = tree.met and enough
    missing: list[Unit] = []
    if not satisfied:
        # When the structure is met but the total falls short, any unit helps.
        for leaf in _leaves(tree, below_unmet=not tree.met):
            unit = Unit(leaf.course, declared.get(leaf.course))  # type: ignore[arg-type]
            if not leaf.met and unit not in missing:
                missing.append(unit)
    return Evaluation(
        satisfied=satisfied,
        tree=tree,
        missing=tuple(missing),
        ects_earned=earned,
        ects_required=limits.min_total_ects,
        counted=tuple(sorted(leaf.credential for leaf in used.values())),  # type: ignore[misc]
    )


def check_satisfiable(
    rules: Mapping[str, Any],
    limits: Limits,
    course_ects: Mapping[str, float | None],
    known_courses: Set[str],
    *,
    partners: Iterable[str] | None = None,
) -> list[Problem]:
    """Explain why no learner could ever satisfy the pathway; an empty list if one could.

    Assumes a learner holding every existing course, each credential carrying its
    course's declared ECTS (an unknown ECTS is taken as unbounded, so it never makes a
    pathway unsatisfiable). Reported, each at its JSON pointer:

    - a unit whose course does not exist (``known_courses``) or belongs to a partner
      outside ``partners`` (when given);
    - a course referenced twice (a credential counts once, so the intent is ambiguous);
    - ``at_least n`` with fewer than ``n`` options, or fewer than ``n`` satisfiable ones;
    - ``min_ects x`` above the ECTS its satisfiable children can carry;
    - ``min_total_ects`` above the ECTS of all satisfiable units together.
    """
    checker = _Checker(course_ects, known_courses, None if partners is None else set(partners))
    possible, _ = checker.visit(rules, "/rules")
    if possible and limits.min_total_ects is not None:
        total = math.fsum(checker.unit_ects.values())
        if total + EPS < limits.min_total_ects:
            checker.problems.append(
                Problem(
                    "/min_total_ects",
                    f"min_total_ects is {limits.min_total_ects:g} but all units together "
                    f"carry at most {total:g} ECTS",
                )
            )
    return checker.problems


def referenced_courses(rules: Mapping[str, Any]) -> set[str]:
    """Every ``slug/CODE`` named in the rule tree."""
    return {node["course"] for node, _ in _walk(rules, "/rules") if "course" in node}


def partners_of(rules: Mapping[str, Any]) -> set[str]:
    """The institution slugs whose courses the rule tree names."""
    return {course.split("/", 1)[0] for course in referenced_courses(rules)}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _children(node: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    key = "all" if "all" in node else "of"
    return [(f"/{key}/{i}", child) for i, child in enumerate(node.get(key) or ())]


def _walk(node: Mapping[str, Any], path: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    yield node, path
    for suffix, child in _children(node):
        yield from _walk(child, path + suffix)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _ects_of(credential: Held, declared: Mapping[str, float | None]) -> float:
    if credential.ects is not None:
        return credential.ects
    return declared.get(credential.course) or 0.0


def _countable(credential: Held, limits: Limits, today: date) -> bool:
    if credential.status != "valid" or credential.issued_on > today:
        return False
    if credential.valid_until is not None and credential.valid_until < today:
        return False
    if limits.max_age_years is not None:
        if credential.issued_on < _years_before(today, limits.max_age_years):
            return False
    if limits.min_grade is not None:
        return credential.grade is not None and credential.grade + EPS >= limits.min_grade
    return True


def _choose(
    held: Iterable[Held], limits: Limits, today: date, declared: Mapping[str, float | None]
) -> dict[str, tuple[Held, float]]:
    """Pick one countable credential per course: most ECTS, best grade, newest, smallest id."""

    def rank(item: tuple[Held, float]) -> tuple[float, float, int, str]:
        credential, ects = item
        grade = -1.0 if credential.grade is None else credential.grade
        return (-ects, -grade, -credential.issued_on.toordinal(), credential.id)

    chosen: dict[str, tuple[Held, float]] = {}
    for credential in held:
        if not _countable(credential, limits, today):
            continue
        item = (credential, _ects_of(credential, declared))
        best = chosen.get(credential.course)
        if best is None or rank(item) < rank(best):
            chosen[credential.course] = item
    return chosen


def _evaluate_node(
    node: Mapping[str, Any], path: str, chosen: Mapping[str, tuple[Held, float]]
) -> NodeResult:
    if "course" in node:
        pick = chosen.get(node["course"])
        if pick is None:
            return NodeResult(path, "course", False, 1, 0, 0.0, course=node["course"])
        return NodeResult(path, "course", True, 1, 1, pick[1], node["course"], pick[0].id)
    children = tuple(
        _evaluate_node(child, path + suffix, chosen) for suffix, child in _children(node)
    )
    ects = math.fsum(child.ects for child in children)
    met_count = sum(child.met for child in children)
    if "all" in node:
        kind: Kind = "all"
        needed, achieved = len(children), met_count
    elif "at_least" in node:
        kind, needed, achieved = "at_least", node["at_least"], met_count
    elif "min_ects" in node:
        kind, needed = "min_ects", node["min_ects"]
        achieved = math.fsum(child.ects for child in children if child.met)
    else:
        raise ValueError(f"{path}: not a rule node: {sorted(node)}")
    met = achieved + EPS >= needed
    return NodeResult(path, kind, met, needed, achieved, ects, children=children)


def _leaves(node: NodeResult, *, below_unmet: bool = False) -> Iterator[NodeResult]:
    """The units under ``node`` in rule order; only those under unmet nodes if asked."""
    if below_unmet and node.met:
        return
    if node.kind == "course":
        yield node
    for child in node.children:
        yield from _leaves(child, below_unmet=below_unmet)


class _Checker:
    """One walk of :func:`check_satisfiable`: collects problems and the units' ECTS."""

    def __init__(
        self, ects: Mapping[str, float | None], known: Set[str], partners: set[str] | None
    ) -> None:
        self.course_ects, self.known, self.partners = ects, known, partners
        self.problems: list[Problem] = []
        self.unit_ects: dict[str, float] = {}  # satisfiable units, each course once
        self.seen: dict[str, tuple[str, bool]] = {}  # course -> first path, satisfiable

    def visit(self, node: Mapping[str, Any], path: str) -> tuple[bool, float]:
        """Whether ``node`` can be met, and the most ECTS it can carry."""
        if "course" in node:
            return self._unit(node["course"], path)
        results = [self.visit(child, path + suffix) for suffix, child in _children(node)]
        possible = [ects for ok, ects in results if ok]
        most = math.fsum(possible) if all(map(math.isfinite, possible)) else math.inf
        if "all" in node:
            return len(possible) == len(results), most
        if "at_least" in node:
            n = node["at_least"]
            if n > len(results):
                self._report(path + "/at_least", f"asks for {n} of only {len(results)} options")
            elif n > len(possible):
                self._report(
                    path + "/at_least",
                    f"asks for {n} options but only {len(possible)} of them can be met",
                )
            return len(possible) >= n, most
        needed = node["min_ects"]
        if most + EPS < needed:
            self._report(
                path + "/min_ects",
                f"asks for {needed:g} ECTS but the options that can be met carry at most {most:g}",
            )
        return most + EPS >= needed, most

    def _unit(self, course: str, path: str) -> tuple[bool, float]:
        slug = course.split("/", 1)[0]
        if course in self.seen:
            first, possible = self.seen[course]
            self._report(path + "/course", f"{course} is already used at {first}; it counts once")
            return possible, 0.0
        problem = None
        if self.partners is not None and slug not in self.partners:
            problem = f"{course} belongs to {slug}, which is not one of the partners"
        elif course not in self.known:
            problem = f"course {course} does not exist in the catalogue"
        self.seen[course] = (path, problem is None)
        if problem:
            self._report(path + "/course", problem)
            return False, 0.0
        declared = self.course_ects.get(course)
        ects = math.inf if declared is None else float(declared)
        self.unit_ects[course] = ects
        return True, ects

    def _report(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(pointer, message))
