"""The README's example files work on what `make run` serves: the demo catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.api.live import live_server

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


async def test_the_example_issuance_request_works_on_the_demo_catalogue(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with live_server(database_url, tmp_path) as server:
        key = server.key("ucll", "publish,issue")
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
            body = json.loads((EXAMPLES / "microcredential-request.json").read_text())
            r = await client.post("/api/v1/institutions/ucll/credentials", json=body,
                                  headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 201, r.text
            achievement = r.json()["credentialSubject"]["achievement"]
            assert achievement["name"] == "Inclusief toetsen en evalueren"
            assert achievement["criteria"]["narrative"].count("\n- ") == 2
            r = await client.post("/api/v1/verify", content=r.content,
                                  headers={"content-type": "application/json"})
            assert r.json()["verified"] is True, r.text
