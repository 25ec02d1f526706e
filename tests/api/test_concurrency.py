"""Concurrent writers on real, committing transactions."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from api.access import create_key
from tests.client import AppClient
from tests.conftest import bearer


async def test_fifty_concurrent_upserts_of_one_course(committed_app) -> None:  # type: ignore[no-untyped-def]
    async with AppClient(committed_app) as client:
        async with committed_app.state.session_factory() as s:
            _, key = await create_key(s, "ucll", ["publish"])
            await s.commit()
        url = "/api/v1/institutions/ucll/courses/RACE-1"
        docs = [{"type": "short_course", "title": {"nl": f"Versie {i % 5}"}, "ects": i % 5,
                 "offerings": [{"city": "Leuven", "start_date": f"2027-0{k + 1}-01"}
                               for k in range(i % 4)]}
                for i in range(50)]
        responses = await asyncio.gather(*(client.put(url, json=d, headers=bearer(key)) for d in docs))
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {200, 201} and statuses.count(201) == 1, statuses
        async with committed_app.state.session_factory() as s:
            rows = (await s.execute(text(
                "SELECT c.version, c.content_hash, c.document, count(o.*) "
                "FROM course c LEFT JOIN offering o ON o.course_id = c.id "
                "WHERE c.code = 'RACE-1' GROUP BY c.id"))).all()
        assert len(rows) == 1
        version, hash_, document, offerings = rows[0]
        assert any(document["title"] == d["title"] and document.get("ects") == d["ects"]
                   and len(document.get("offerings", [])) == len(d["offerings"]) for d in docs)
        assert offerings == len(document.get("offerings", []))  # projection matches the document
        assert 1 <= version <= 50
        final = (await client.get(url, headers=bearer(key))).json()
        assert final["content_hash"] == hash_
