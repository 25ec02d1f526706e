"""Why a credential the learner holds does not count for a pathway's unit.

A unit the progress view shows as not met may be one the learner *holds* a credential
for: revoked, suspended, expired, graded below the pathway's ``min_grade``, older than its
``max_age_years``, or issued by an institution that is not one of its partners (the rules
of ``credentials.rules``, checked in the same order). Saying which keeps the page from
telling a learner to take a course they already took.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.progress import (
    ByCourse,
    Compiled,
    PathwayProgress,
    by_course,
    compiled,
    held_credentials,
)
from credentials.rules import EPS, Held

__all__ = ["Reason", "not_counted", "reason_for"]

Reason = tuple[str, dict[str, object]]
"""A reason's kind (revoked, suspended, expired, grade, age, issuer) and its values."""


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _why(issuer: str, held: Held, pathway: Compiled, today: date) -> Reason | None:
    limits = pathway.limits
    if held.status in ("revoked", "suspended"):
        return held.status, {}
    if held.issued_on > today:
        return None  # not issued yet: nothing the learner can act on
    if held.valid_until is not None and held.valid_until < today:
        return "expired", {"date": held.valid_until}
    if limits.min_grade is not None and (held.grade is None
                                         or held.grade + EPS < limits.min_grade):
        return "grade", {"minimum": limits.min_grade}
    if limits.max_age_years is not None and held.issued_on < _years_before(
            today, limits.max_age_years):
        return "age", {"years": limits.max_age_years}
    if issuer not in pathway.issuers:
        return "issuer", {}
    return None


def reason_for(course: str, held: ByCourse, pathway: Compiled, today: date) -> Reason | None:
    """Why none of the learner's credentials for ``course`` counts (None when they hold none,
    or one would count). Of several, the reason of the newest one."""
    found = sorted(held.get(course, ()), key=lambda pair: pair[1].issued_on, reverse=True)
    reasons = [_why(issuer, h, pathway, today) for issuer, h in found]
    if not reasons or any(r is None for r in reasons):
        return None
    return reasons[0]


async def not_counted(
    session: AsyncSession, email: str, progress: Iterable[PathwayProgress], today: date,
    issuer_id: int | None = None,
) -> dict[tuple[uuid.UUID, str], Reason]:
    """(pathway id, ``slug/CODE``) -> why the learner's credential for that unmet unit does not
    count, for the pathways shown; only credentials ``issuer_id`` issued when given."""
    shown = [(p.pathway_id, p.version, p.missing) for p in progress]
    if not any(missing for _, _, missing in shown):
        return {}
    rows = (await session.execute(
        text("SELECT v.id, v.pathway_id FROM pathway_version v JOIN unnest("
             "CAST(:p AS uuid[]), CAST(:n AS integer[])) AS r(pathway_id, version) "
             "ON v.pathway_id = r.pathway_id AND v.version = r.version"),
        {"p": [s[0] for s in shown], "n": [s[1] for s in shown]},
    )).all()
    version_of = {pid: vid for vid, pid in rows}
    bodies = await compiled(session, [(vid, str(pid)) for vid, pid in rows])
    held = by_course(await held_credentials(session, email, issuer_id))
    found: dict[tuple[uuid.UUID, str], Reason] = {}
    for pathway_id, _, missing in shown:
        body = bodies.get(version_of.get(pathway_id, -1))
        if body is None:
            continue
        for unit in missing:
            reason = reason_for(unit.course, held, body, today)
            if reason is not None:
                found[(pathway_id, unit.course)] = reason
    return found
