"""Two constituents issued at the same moment give one stacked credential, never two (or none).

Real committing transactions (``committed_app``), requests sent concurrently. The unique
key of ``stacked_credential`` is the guarantee; the per-learner lock is what makes the
award happen at all when each transaction holds only half of the parts (without it, a
trial run of ``test_both_halves_at_once_award_once`` left 2 of 8 learners unawarded).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.access import create_key
from credentials import awarding, issuing, records
from tests.client import AppClient
from tests.conftest import bearer
from tests.credentials.support import ISSUE, request_body
from tests.credentials.pathway_support import pathway_body, publish_courses, with_pathways

COURSES = {"ucll/MC-A": 3, "ucll/MC-B": 3}
LEARNERS = 8


async def _issue_key(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with app.state.session_factory() as s:
        _, key = await create_key(s, "ucll", ["publish", "issue"])
        await s.commit()
    return bearer(key)


async def _race(app, monkeypatch, rules, *, lock: bool = True) -> list[int]:  # type: ignore[no-untyped-def]
    """Issue MC-A and MC-B to each learner at once; the number of awards per learner."""
    with_pathways(app)
    if not lock:
        async def no_lock(session, emails):  # type: ignore[no-untyped-def]
            return None
        for module in (awarding, issuing, records):
            monkeypatch.setattr(module, "lock_learners", no_lock)
    async with AppClient(app) as client:
        headers = await _issue_key(app)
        await publish_courses(client, {"ucll": headers}, COURSES)
        body = pathway_body(code="PG-RACE", partners=["ucll"], rules=rules)
        body.pop("min_total_ects")
        body.pop("min_grade")
        r = await client.post("/api/v1/institutions/ucll/pathways", json=body, headers=headers)
        assert r.status_code == 201, r.text

        def issuance(n: int, code: str):  # type: ignore[no-untyped-def]
            learner = {"email": f"learner{n}@example.org", "name": f"Learner {n}"}
            return client.post(ISSUE.format(slug="ucll"), headers=headers,
                               json=request_body(course=code, learner=learner))

        responses = await asyncio.gather(*(issuance(n, code) for n in range(LEARNERS)
                                           for code in ("MC-A", "MC-B")))
        assert [r.status_code for r in responses] == [201] * 2 * LEARNERS, \
            [r.text for r in responses if r.status_code != 201][:2]
        async with app.state.session_factory() as s:
            rows = dict((await s.execute(text(
                "SELECT c.learner_email, count(*) FROM credential c "
                "WHERE c.course_code LIKE 'pathway:%' GROUP BY 1"))).all())
            awards = await s.scalar(text("SELECT count(*) FROM stacked_credential"))
        assert awards == sum(rows.values())
        return [rows.get(f"learner{n}@example.org", 0) for n in range(LEARNERS)]


async def test_either_constituent_at_once_awards_once(committed_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rules = {"at_least": 1, "of": [{"course": "ucll/MC-A"}, {"course": "ucll/MC-B"}]}
    assert await _race(committed_app, monkeypatch, rules) == [1] * LEARNERS


async def test_both_halves_at_once_award_once(committed_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rules = {"all": [{"course": "ucll/MC-A"}, {"course": "ucll/MC-B"}]}
    assert await _race(committed_app, monkeypatch, rules) == [1] * LEARNERS


async def test_the_database_refuses_a_second_award_even_without_the_lock(committed_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rules = {"at_least": 1, "of": [{"course": "ucll/MC-A"}, {"course": "ucll/MC-B"}]}
    counts = await _race(committed_app, monkeypatch, rules, lock=False)
    assert max(counts) == 1  # without the lock an award may be missed, never doubled
    async with committed_app.state.session_factory() as s:
        row = (await s.execute(text(
            "SELECT version_id, learner_email, pathway_id, credential_id, parts, total_ects "
            "FROM stacked_credential LIMIT 1"))).one()
        with pytest.raises(IntegrityError):
            await s.execute(text(
                "INSERT INTO stacked_credential (version_id, learner_email, pathway_id, "
                "credential_id, parts, total_ects) VALUES (:v, :e, :p, gen_random_uuid(), "
                ":parts, :t)"),
                {"v": row[0], "e": row[1], "p": row[2], "parts": row[4], "t": row[5]})
            await s.commit()


async def test_batches_naming_the_same_learners_in_other_orders_do_not_deadlock(
        committed_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with_pathways(committed_app)
    async with AppClient(committed_app) as client:
        headers = await _issue_key(committed_app)
        await publish_courses(client, {"ucll": headers}, COURSES)
        body = pathway_body(code="PG-BATCH", partners=["ucll"],
                            rules={"all": [{"course": "ucll/MC-A"}, {"course": "ucll/MC-B"}]})
        body.pop("min_total_ects")
        body.pop("min_grade")
        r = await client.post("/api/v1/institutions/ucll/pathways", json=body, headers=headers)
        assert r.status_code == 201, r.text
        learners = [{"email": f"batch{n}@example.org", "name": f"Batch {n}"} for n in range(6)]

        def batch(order: list[dict[str, str]]):  # type: ignore[no-untyped-def]
            return client.post(ISSUE.format(slug="ucll") + "/batch", headers=headers,
                               json=[request_body(course="MC-A", learner=x) for x in order])

        responses = await asyncio.gather(*(batch(learners if k % 2 else learners[::-1])
                                           for k in range(8)))
        assert all(r.status_code < 500 for r in responses), [r.text for r in responses][:2]


async def test_activation_batches_and_revocations_at_once_do_not_deadlock(
        committed_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An activation awards every learner who already qualifies while batches re-issue a
    constituent and revocations suspend awards: each takes learners' locks, and the
    revocations a status list's row too. One global lock order keeps them out of a cycle."""
    with_pathways(committed_app)
    async with AppClient(committed_app) as client:
        headers = await _issue_key(committed_app)
        async with committed_app.state.session_factory() as s:
            _, owner_key = await create_key(s, "odisee", ["issue"])
            await s.commit()
        await publish_courses(client, {"ucll": headers}, COURSES)
        body = pathway_body(code="PG-MIXED", partners=["ucll"],
                            rules={"all": [{"course": "ucll/MC-A"}, {"course": "ucll/MC-B"}]})
        body.pop("min_total_ects")
        body.pop("min_grade")
        r = await client.post("/api/v1/institutions/odisee/pathways", json=body,
                              headers=bearer(owner_key))
        assert r.status_code == 201, r.text  # pending until ucll approves
        learners = [{"email": f"mixed{n}@example.org", "name": f"Mixed {n}"} for n in range(6)]

        def batch(code: str, order: list[dict[str, str]]):  # type: ignore[no-untyped-def]
            return client.post(ISSUE.format(slug="ucll") + "/batch", headers=headers,
                               json=[request_body(course=code, learner=x) for x in order])

        r = await batch("MC-A", learners)
        first = [item["id"] for item in r.json()["items"]]
        assert (await batch("MC-B", learners)).status_code == 200
        revoked = first[:3]
        responses = await asyncio.gather(
            client.post("/api/v1/institutions/odisee/pathways/PG-MIXED/approve", json={},
                        headers=headers),
            *(batch("MC-B", learners if k % 2 else learners[::-1]) for k in range(4)),
            *(client.post(f"{ISSUE.format(slug='ucll')}/{cid}/revoke", headers=headers,
                          json={"reason": "Issued in error."}) for cid in revoked),
        )
        assert [r.status_code for r in responses] == [200] * len(responses), \
            [r.text for r in responses if r.status_code != 200][:2]
        async with committed_app.state.session_factory() as s:
            valid = dict((await s.execute(text(
                "SELECT s.learner_email, count(*) FILTER (WHERE c.status = 'valid') "
                "FROM stacked_credential s JOIN credential c ON c.id = s.credential_id "
                "GROUP BY 1"))).all())
    # A learner whose MC-A was revoked holds no valid award (none, or one suspended);
    # every other learner holds exactly one.
    assert [valid.get(x["email"], 0) for x in learners] == [0, 0, 0, 1, 1, 1]
