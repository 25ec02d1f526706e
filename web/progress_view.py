"""A learner's pathway progress as the page says it: per rule, in words.

``credentials.progress`` evaluates each rule node (met or not, how many children or ECTS
it needs and has). This module only decides how each node reads to the learner, so that
options never look mandatory:

- a met node is *done*;
- an unmet node under a met choice (``at_least``/``min_ects``, or an ``all`` met through
  its choices) is *not needed*, unless the pathway's ``min_total_ects`` is still short
  (then every unit helps, and an unmet one is an *option*);
- an unmet unit anywhere under a choice is an *option*; otherwise it is *to do*.

Numbers stay numbers here; the template words them through ``t`` and ``fmt``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from credentials.progress import PathwayProgress, RuleProgress
from credentials.rules import EPS

__all__ = ["NodeView", "PathwayView", "pathway_view", "unit_courses"]

CHOICES = ("at_least", "min_ects")


class NodeView(msgspec.Struct, kw_only=True):
    kind: str  # course, all, at_least, min_ects
    state: str  # done, todo, option, not_needed
    label: dict[str, str] | None = None
    needed: float = 0  # children to meet (all, at_least) or ECTS (min_ects)
    achieved: float = 0
    rest: float = 0  # what is still missing of ``needed``, never below 0
    options: int = 0  # children
    institution: str | None = None
    code: str | None = None
    title: dict[str, str] | None = None
    ects: float | None = None  # earned when done, else the course's declared ECTS
    credential: str | None = None
    next_start: dt.date | None = None
    why: tuple[str, dict[str, Any]] | None = None  # why the credential held does not count
    children: list[NodeView] = []


class PathwayView(msgspec.Struct, kw_only=True):
    progress: PathwayProgress
    rules: NodeView
    ects_rest: float  # ECTS still short of ``ects_required`` (0 when none is set or met)


def unit_courses(node: RuleProgress) -> set[str]:
    """Every ``slug/CODE`` in the progress tree (their titles are looked up together)."""
    found = {node.course} if node.course else set()
    for child in node.children:
        found |= unit_courses(child)
    return found


def pathway_view(progress: PathwayProgress,
                 facts: Mapping[str, tuple[float | None, dict[str, str] | None]],
                 why: Mapping[str, tuple[str, dict[str, Any]]] | None = None) -> PathwayView:
    """``facts``: ``slug/CODE`` -> (declared ECTS, title), as ``course_facts`` gives them;
    ``why``: ``slug/CODE`` -> why the learner's credential for it does not count
    (``credentials.unit_reasons``)."""
    required = progress.ects_required
    rest = max(0.0, required - progress.ects_earned) if required else 0.0
    starts = {m.course: m.upcoming_offerings[0].start_date
              for m in progress.missing if m.upcoming_offerings}
    short = rest > EPS and not progress.satisfied
    return PathwayView(progress=progress, ects_rest=rest,
                       rules=_node(progress.rules, facts, starts, why or {}, choice=False,
                                   settled=False, short=short))


def _node(node: RuleProgress, facts: Mapping[str, tuple[float | None, Any]],
          starts: Mapping[str, dt.date], why: Mapping[str, tuple[str, dict[str, Any]]], *,
          choice: bool, settled: bool, short: bool) -> NodeView:
    if node.met:
        state = "done"
    elif settled:  # a choice above is made: this only helps while the total falls short
        state = "option" if short else "not_needed"
    elif node.kind == "course" and choice:
        state = "option"
    else:
        state = "todo"
    if node.kind == "course":
        assert node.course is not None
        institution, _, code = node.course.partition("/")
        declared, title = facts.get(node.course, (None, None))
        return NodeView(kind="course", state=state, label=node.label, institution=institution,
                        code=code, title=title, ects=node.ects if node.met else declared,
                        credential=node.credential,
                        next_start=None if node.met else starts.get(node.course),
                        why=None if node.met else why.get(node.course))
    below_choice = choice or node.kind in CHOICES  # a part of an option is optional too
    return NodeView(
        kind=node.kind, state=state, label=node.label, needed=node.needed,
        achieved=node.achieved, rest=max(0.0, node.needed - node.achieved),
        options=len(node.children),
        children=[_node(child, facts, starts, why, choice=below_choice,
                        settled=settled or node.met, short=short) for child in node.children])
