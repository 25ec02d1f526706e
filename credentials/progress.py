"""A learner's standing on pathways: evaluation helpers, and the progress view.

Pathway versions are immutable, so each is parsed once per process (:class:`Compiled`,
keyed by version id and pathway UUID, which no other database shares).
:func:`standing` evaluates one version on the credentials of its partners only;
:func:`could_satisfy` is a necessary condition, far cheaper, that lets re-evaluation
skip most versions.

The progress view covers every pathway the learner's credentials touch.

A pathway is *touched* when its active version names a course the learner holds a
credential for (whatever that credential's status), or when the learner holds an award
of it. The version shown is the awarded one when there is an award, else the active one.
Per pathway: the rule tree with each node met or not (and its label), the missing units
with their ECTS and the catalogue's upcoming offerings (start date after today, not
cancelled, soonest first), and the ECTS earned against the ECTS required.

(A little over 400 lines: the evaluation helpers and the view share ``Compiled`` and the
held-credential maps; ``credentials.rules`` holds the pure rule engine under both.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.structs import OutStruct
from credentials.records import course_facts, public_url
from credentials.rules import (
    EPS,
    Evaluation,
    Held,
    Limits,
    NodeResult,
    evaluate,
    referenced_courses,
)

__all__ = [
    "OFFERINGS_PER_UNIT",
    "Best",
    "ByCourse",
    "Compiled",
    "MissingUnit",
    "PathwayProgress",
    "RuleProgress",
    "UpcomingOffering",
    "best_ects",
    "by_course",
    "compile_document",
    "compiled",
    "could_satisfy",
    "held_credentials",
    "learner_progress",
    "min_units",
    "standing",
]

OFFERINGS_PER_UNIT = 5


class Compiled(OutStruct, frozen=True, gc=False):
    """A pathway version, parsed once.

    Not tracked by the garbage collector (nothing in it refers back to it): the cache
    holds one per active version, which every full collection would otherwise traverse.
    ``follow_limits`` judge an award already made: without ``max_age_years``, since the
    parts were recent enough when they were combined (their expiry is ignored likewise).
    """

    version: int
    owner: str
    code: str
    document: dict[str, Any]
    rules: dict[str, Any]
    limits: Limits
    follow_limits: Limits
    issuers: frozenset[str]
    courses: tuple[str, ...]
    course_set: frozenset[str]
    min_units: int


_COMPILED: dict[int, tuple[str, Compiled]] = {}
"""Version id -> (pathway id as text, the version parsed); the pathway id tells databases
apart that number their versions alike (tests, benchmarks)."""

ByCourse = dict[str, list[tuple[str, Held]]]
"""A learner's credentials by ``slug/CODE``, each with its issuer's slug."""


def min_units(node: dict[str, Any]) -> int:
    """The fewest distinct units whose credentials can meet ``node`` (a lower bound)."""
    if "course" in node:
        return 1
    children = sorted(min_units(child) for child in node.get("all") or node["of"])
    if "all" in node:
        return sum(children)
    if "at_least" in node:
        return sum(children[:node["at_least"]])
    return children[0]  # min_ects: at least one met child


def compile_document(document: dict[str, Any], owner: str, version: int) -> Compiled:
    limits = Limits.from_pathway(document)
    courses = tuple(sorted(referenced_courses(document["rules"])))
    return Compiled(
        version=version, owner=owner, code=document["code"], document=document,
        rules=document["rules"], limits=limits,
        follow_limits=msgspec.structs.replace(limits, max_age_years=None),
        issuers=frozenset([*document["partners"], owner]), courses=courses,
        course_set=frozenset(courses), min_units=min_units(document["rules"]),
    )


async def compiled(
    session: AsyncSession, versions: Iterable[tuple[int, str]]
) -> dict[int, Compiled]:
    """Each (version id, pathway id as text) parsed, read from the database the first time."""
    found: dict[int, Compiled] = {}
    missing: list[int] = []
    for vid, pid in versions:
        hit = _COMPILED.get(vid)
        if hit is not None and hit[0] == pid:
            found[vid] = hit[1]
        else:
            missing.append(vid)
    if missing:
        rows = await session.execute(
            text("SELECT v.id, v.pathway_id, v.version, v.document, i.slug FROM pathway_version v "
                 "JOIN pathway p ON p.id = v.pathway_id JOIN institution i "
                 "ON i.id = p.institution_id WHERE v.id = ANY(CAST(:ids AS bigint[]))"),
            {"ids": missing},
        )
        for vid, pid, version, document, owner in rows:
            body = compile_document(document, owner, version)
            _COMPILED[vid] = (str(pid), body)
            found[vid] = body
    return found


async def held_credentials(
    session: AsyncSession, email: str, issuer_id: int | None = None
) -> list[tuple[str, Held]]:
    """The learner's credentials (stacked ones excepted) as (issuer slug, Held); only those
    ``issuer_id`` issued when given (a learner token's scope)."""
    rows = await session.execute(
        text("SELECT c.id, o.slug || '/' || c.course_code, c.ects, c.grade, c.issued_on, "
             "c.status, c.valid_until, i.slug FROM credential c "
             "JOIN institution o ON o.id = c.course_institution_id "
             "JOIN institution i ON i.id = c.institution_id "
             "WHERE c.learner_email = :e AND c.course_code NOT LIKE 'pathway:%'" + _ISSUER),
        {"e": email, "issuer": issuer_id},
    )
    return [(r[7], Held(str(r[0]), r[1], float(r[2]), r[3], r[4], r[5], r[6])) for r in rows]


def by_course(held: Iterable[tuple[str, Held]]) -> ByCourse:
    found: ByCourse = {}
    for issuer, credential in held:
        found.setdefault(credential.course, []).append((issuer, credential))
    return found


class Best(OutStruct, frozen=True, gc=False):
    """Per course, the most ECTS of a credential that could count (:func:`best_ects`)."""

    ects: dict[str, float]
    courses: frozenset[str]


def best_ects(held: ByCourse, limits: Limits, today: date) -> Best:
    """Per course, the most ECTS of a credential that counts under ``limits`` on ``today``
    whatever its issuer: what :func:`could_satisfy` assumes."""
    oldest = None if limits.max_age_years is None else _years_before(today, limits.max_age_years)
    grade = limits.min_grade
    best: dict[str, float] = {}
    for course, found in held.items():
        for _, h in found:
            if (h.status != "valid" or h.ects is None or h.issued_on > today
                    or h.valid_until is not None and h.valid_until < today
                    or oldest is not None and h.issued_on < oldest
                    or grade is not None and (h.grade is None or h.grade + EPS < grade)):
                continue
            if h.ects > best.get(course, -1.0):
                best[course] = h.ects
    return Best(best, frozenset(best))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _could(node: dict[str, Any], best: dict[str, float]) -> tuple[bool, float]:
    """Whether ``node`` could be met, and the most ECTS below it (one loop: hot path)."""
    if "course" in node:
        ects = best.get(node["course"])
        return ects is not None, ects or 0.0
    children = node.get("all") or node["of"]
    met, ects, met_ects = 0, 0.0, 0.0
    for child in children:
        ok, child_ects = _could(child, best)
        ects += child_ects
        if ok:
            met += 1
            met_ects += child_ects
    if "all" in node:
        return met == len(children), ects
    if "at_least" in node:
        return met >= node["at_least"], ects
    return met_ects + EPS >= node["min_ects"], ects


def could_satisfy(pathway: Compiled, best: Best) -> bool:
    """False only when ``pathway`` is surely not satisfied: even if every credential in
    ``best`` counted, whatever its issuer, grade or age."""
    hits = pathway.course_set & best.courses
    if len(hits) < pathway.min_units:
        return False
    total = pathway.limits.min_total_ects
    if total is not None and sum(map(best.ects.__getitem__, hits)) + EPS < total:
        return False
    return _could(pathway.rules, best.ects)[0]


def standing(pathway: Compiled, held: ByCourse, today: date, *, follow: bool = False) -> Evaluation:
    """The learner's evaluation on one version, counting only its partners' credentials.

    With ``follow``, as an award already made is judged (``Compiled.follow_limits``).
    """
    mine = [h for course in pathway.courses for issuer, h in held.get(course, ())
            if issuer in pathway.issuers]
    if follow:
        mine = [msgspec.structs.replace(h, valid_until=None) for h in mine]
    return evaluate(pathway.rules, pathway.follow_limits if follow else pathway.limits, mine,
                    today)


class RuleProgress(OutStruct, kw_only=True):
    """One node of the rule tree: ``needed``/``achieved`` count children, or ECTS for min_ects."""

    path: str
    kind: str
    met: bool
    needed: float
    achieved: float
    ects: float
    label: dict[str, str] | None = None
    course: str | None = None
    credential: str | None = None
    children: list[RuleProgress] = []


class UpcomingOffering(OutStruct, kw_only=True):
    start_date: date
    end_date: date | None
    city: str | None
    campus: str | None
    mode: str | None
    language: str | None
    status: str | None
    price_eur: float | None


class MissingUnit(OutStruct, kw_only=True):
    course: str
    title: dict[str, str] | None
    ects: float | None
    url: str
    upcoming_offerings: list[UpcomingOffering]


class Award(OutStruct, kw_only=True):
    credential_id: uuid.UUID
    url: str
    status: str


class PathwayProgress(OutStruct, kw_only=True):
    pathway_id: uuid.UUID
    url: str
    institution: str
    code: str
    version: int
    state: str
    title: dict[str, str]
    satisfied: bool
    award: Award | None
    ects_earned: float
    ects_required: float | None
    """The pathway's ``min_total_ects``, or null when it sets none."""
    rules: RuleProgress
    missing: list[MissingUnit]


def _labels(node: dict[str, Any], path: str, out: dict[str, dict[str, str]]) -> None:
    if "label" in node:
        out[path] = node["label"]
    key = "all" if "all" in node else "of"
    for i, child in enumerate(node.get(key) or ()):
        _labels(child, f"{path}/{key}/{i}", out)


def _tree(node: NodeResult, labels: dict[str, dict[str, str]]) -> RuleProgress:
    return RuleProgress(
        path=node.path, kind=node.kind, met=node.met, needed=node.needed, achieved=node.achieved,
        ects=node.ects, label=labels.get(node.path), course=node.course,
        credential=node.credential, children=[_tree(c, labels) for c in node.children],
    )


_ISSUER = " AND (CAST(:issuer AS integer) IS NULL OR c.institution_id = :issuer)"


async def _touched(
    session: AsyncSession, email: str, after: uuid.UUID | None, limit: int,
    issuer_id: int | None = None,
) -> list[tuple[Any, ...]]:
    """(version id, pathway id, version, state, owner, code, award id, award status)."""
    rows = await session.execute(
        text("WITH mine AS (SELECT DISTINCT o.slug || '/' || c.course_code AS course "
             "FROM credential c JOIN institution o ON o.id = c.course_institution_id "
             "WHERE c.learner_email = :e" + _ISSUER + "), "
             "awarded AS (SELECT DISTINCT ON (s.pathway_id) s.pathway_id, s.version_id, "
             "s.credential_id, c.status FROM stacked_credential s JOIN credential c "
             "ON c.id = s.credential_id WHERE s.learner_email = :e" + _ISSUER +
             " ORDER BY s.pathway_id, c.status = 'revoked', s.created_at DESC), "
             "touched AS (SELECT v.pathway_id FROM pathway_version v JOIN pathway_unit u "
             "ON u.version_id = v.id JOIN mine ON mine.course = u.course "
             "WHERE v.state = 'active' UNION SELECT pathway_id FROM awarded) "
             "SELECT v.id, v.pathway_id, v.version, v.state, i.slug, p.code, "
             "a.credential_id, a.status FROM touched t JOIN pathway p ON p.id = t.pathway_id "
             "JOIN institution i ON i.id = p.institution_id LEFT JOIN awarded a "
             "ON a.pathway_id = t.pathway_id JOIN pathway_version v ON v.pathway_id = t.pathway_id "
             "AND v.id = COALESCE(CASE WHEN a.status <> 'revoked' THEN a.version_id END, "
             "(SELECT id FROM pathway_version WHERE pathway_id = t.pathway_id "
             "AND state = 'active')) "
             "WHERE CAST(:after AS uuid) IS NULL OR t.pathway_id > CAST(:after AS uuid) "
             "ORDER BY t.pathway_id LIMIT :n"),
        {"e": email, "after": after, "n": limit, "issuer": issuer_id},
    )
    return [tuple(r) for r in rows]


async def _offerings(
    session: AsyncSession, courses: Iterable[str], today: date
) -> dict[str, list[UpcomingOffering]]:
    pairs = sorted({tuple(c.split("/", 1)) for c in courses})
    if not pairs:
        return {}
    rows = await session.execute(
        text("SELECT r.slug || '/' || r.code, o.start_date, o.end_date, o.city, o.campus, o.mode, "
             "o.language, o.status, o.price_eur FROM unnest(CAST(:s AS text[]), "
             "CAST(:c AS text[])) AS r(slug, code) JOIN institution i ON i.slug = r.slug "
             "JOIN course c ON c.institution_id = i.id AND c.code = r.code AND NOT c.withdrawn "
             "JOIN offering o ON o.course_id = c.id WHERE o.start_date > :today "
             "AND o.status IS DISTINCT FROM 'cancelled' ORDER BY 1, o.start_date, o.position"),
        {"s": [p[0] for p in pairs], "c": [p[1] for p in pairs], "today": today},
    )
    found: dict[str, list[UpcomingOffering]] = {}
    for course, start, end, city, campus, mode, language, status, price in rows:
        listed = found.setdefault(course, [])
        if len(listed) < OFFERINGS_PER_UNIT:
            listed.append(UpcomingOffering(
                start_date=start, end_date=end, city=city, campus=campus, mode=mode,
                language=language, status=status,
                price_eur=None if price is None else float(Decimal(price))))
    return found


async def learner_progress(
    session: AsyncSession, email: str, today: date, *, after: uuid.UUID | None = None,
    limit: int = 50, issuer_id: int | None = None,
) -> tuple[list[PathwayProgress], uuid.UUID | None]:
    """A page of the learner's pathways, keyset on pathway id; the next page's key or None.

    With ``issuer_id`` (a learner token's institution) only that institution's credentials
    count, and only pathways they touch are shown: a partner never learns through a
    pathway what another partner issued to the learner."""
    rows = await _touched(session, email, after, limit + 1, issuer_id)
    page = rows[:limit]
    if not page:
        return [], None
    held = by_course(await held_credentials(session, email, issuer_id))
    bodies = await compiled(session, [(r[0], str(r[1])) for r in page])
    # An award is judged as awarding judges it (no age limit on parts already combined).
    evaluations = {r[0]: standing(bodies[r[0]], held, today,
                                  follow=r[6] is not None and r[7] != "revoked") for r in page}
    missing = {u.course for e in evaluations.values() for u in e.missing}
    facts = await course_facts(session, missing)
    offerings = await _offerings(session, missing, today)
    out = []
    for vid, pid, version, state, owner, code, award_id, award_status in page:
        body, evaluation = bodies[vid], evaluations[vid]
        labels: dict[str, dict[str, str]] = {}
        _labels(body.rules, "/rules", labels)
        out.append(PathwayProgress(
            pathway_id=pid, url=public_url(pid), institution=owner, code=code, version=version,
            state=state, title=body.document["title"], satisfied=evaluation.satisfied,
            award=None if award_id is None else Award(
                credential_id=award_id, url=f"/api/v1/credentials/{award_id}",
                status=award_status),
            ects_earned=evaluation.ects_earned, ects_required=evaluation.ects_required,
            rules=_tree(evaluation.tree, labels),
            missing=[MissingUnit(
                course=u.course, title=facts.get(u.course, (None, None))[1],
                ects=facts.get(u.course, (None, None))[0],
                url="/api/v1/institutions/{}/courses/{}".format(*u.course.split("/", 1)),
                upcoming_offerings=offerings.get(u.course, []),
            ) for u in evaluation.missing],
        ))
    return out, (page[-1][1] if len(rows) > limit else None)
