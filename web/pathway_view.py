"""A pathway's stacking rules in words, for its page: "Complete all of these", "2 of these 3",
"At least 4 ECTS from these", each unit a course with its title, partner and ECTS.

The rule kinds are ``credentials.rules``' (``course``, ``all``, ``at_least``/``of``,
``min_ects``/``of``) and its pathway-wide limits (``min_total_ects``, ``max_age_years``,
``min_grade``); the words are ``web.i18n_pro``'s, numbers and durations the page locale's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from babel.units import format_unit

from credentials.public_pathways import PublicPathway, UnitOut
from web.locale import Formatter

__all__ = ["RuleView", "UnitView", "describe_limits", "describe_rules", "years"]

Translate = Callable[..., str]
Localised = Callable[[dict[str, str] | None], str]


class UnitView(msgspec.Struct, frozen=True, kw_only=True):
    institution: str
    code: str
    title: str
    ects: float | None
    href: str | None  # the course page; None when the course is no longer in the catalogue


class RuleView(msgspec.Struct, frozen=True, kw_only=True):
    sentence: str  # what the group asks, e.g. "2 of these 3:"; empty for a unit
    label: str  # the pathway's own name for the rule, if it gave one
    unit: UnitView | None = None
    children: tuple[RuleView, ...] = ()


def describe_rules(rules: Mapping[str, Any], units: Mapping[str, UnitOut], t: Translate,
                   fmt: Formatter, tx: Localised) -> RuleView:
    """The rule tree in words; the root ``all`` reads "Complete all of these:"."""
    root = _describe(rules, units, t, fmt, tx, root=True)
    if root.unit is not None:  # a pathway of one course
        return RuleView(sentence=t("pathway.rule.unit"), label="", children=(root,))
    return root


def _describe(node: Mapping[str, Any], units: Mapping[str, UnitOut], t: Translate,
              fmt: Formatter, tx: Localised, *, root: bool = False) -> RuleView:
    label = tx(node.get("label"))
    if "course" in node:
        return RuleView(sentence="", label=label, unit=_unit(node["course"], units, tx))
    children = tuple(_describe(child, units, t, fmt, tx)
                     for child in node.get("all") or node.get("of") or ())
    m = len(children)
    if "min_ects" in node:
        sentence = t("pathway.rule.ects", x=fmt.number(node["min_ects"]))
    elif "at_least" in node and node["at_least"] < m:
        n = node["at_least"]
        sentence = (t("pathway.rule.one", m=fmt.number(m)) if n == 1
                    else t("pathway.rule.some", n=fmt.number(n), m=fmt.number(m)))
    else:  # "all", or "at_least" every option
        sentence = t("pathway.rule.all_root") if root else t("pathway.rule.all", n=fmt.number(m))
    return RuleView(sentence=sentence, label=label, children=children)


def _unit(course: str, units: Mapping[str, UnitOut], tx: Localised) -> UnitView:
    slug, code = course.split("/", 1)
    found = units.get(course)
    listed = found is not None and found.title is not None  # published and not withdrawn
    title = (tx(found.title) if listed and found else "") or (tx(found.label) if found else "")
    return UnitView(institution=slug, code=code, title=title or code,
                    ects=found.ects if found else None,
                    href=f"/courses/{slug}/{code}" if listed else None)


def describe_limits(pathway: PublicPathway, t: Translate, fmt: Formatter) -> list[str]:
    """The pathway-wide limits, one sentence each."""
    said = []
    if pathway.min_total_ects is not None:
        said.append(t("pathway.limit.total", x=fmt.number(pathway.min_total_ects)))
    if pathway.max_age_years is not None:
        said.append(t("pathway.limit.age", years=years(pathway.max_age_years, fmt)))
    if pathway.min_grade is not None:
        said.append(t("pathway.limit.grade", g=fmt.number(pathway.min_grade)))
    return said


def years(n: int, fmt: Formatter) -> str:
    """"5 jaar" / "5 years", "1 year": CLDR's plural rules."""
    return format_unit(n, "duration-year", length="long", locale=fmt.locale)
