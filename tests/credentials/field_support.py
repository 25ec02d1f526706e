"""The live server and the field verifiers (``bench/node/field-verify.mjs``) as fixtures.

Shared by the field-verifier and wallet tests; not a test module. Test modules import the
fixtures by name (``server``, ``client``, ``keys``, ``node_modules``) to make them theirs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credentials.builder import OB3_SCHEMA_URL
from credentials.validation import validate_ob3
from tests.api.live import LiveServer, live_server
from tests.conftest import bearer
from tests.credentials.pathway_support import publish_courses
from tests.credentials.support import request_body

__all__ = ["FIELD_VERIFY", "LEARNER", "ROOT", "change", "client", "issue", "judge", "keys",
           "node_modules", "server", "verdicts"]

ROOT = Path(__file__).resolve().parents[2]
FIELD_VERIFY = ROOT / "bench" / "node" / "field-verify.mjs"
LEARNER = {"email": "field.tester@example.org", "name": "Field Tester"}


@pytest.fixture(scope="module")
def node_modules() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` (>= 20) is needed to run the field verifiers", pytrace=False)
    if not (ROOT / "bench/node/node_modules/@digitalcredentials/verifier-core").is_dir():
        subprocess.run(["npm", "ci", "--prefix", str(ROOT / "bench/node"), "--no-audit",
                        "--no-fund"], check=True, capture_output=True, timeout=600)
    return node


@pytest.fixture(scope="module")
async def server(database_url: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[LiveServer]:
    async with live_server(database_url, tmp_path_factory.mktemp("field"), demo=False,
                           public_scheme="https") as live:
        for slug in ("kuleuven", "thomasmore", "ucll"):
            live.keys[slug] = live.key(slug, "publish,issue")
        yield live


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as c:
        yield c


@pytest.fixture
async def keys(server: LiveServer, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    found = {slug: bearer(key) for slug, key in server.keys.items()}
    await publish_courses(client, found)
    return found


def judge(node: str, server: LiveServer, credentials: list[dict[str, Any]],
          allow: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Both verifiers' verdicts on each credential; asserts what they fetched."""
    done = subprocess.run(
        [node, str(FIELD_VERIFY), "--rewrite", f"{server.public}={server.base}", "-"],
        input=json.dumps(credentials), capture_output=True, text=True, timeout=300,
        cwd=ROOT / "bench" / "node", check=False)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line]
    fetched = lines.pop()["fetched"]
    for url in fetched:  # of ours, only the issuer's DID document and the status lists
        if url == OB3_SCHEMA_URL or url in allow:  # verifier-core's check of credentialSchema
            continue
        path = url.removeprefix(server.public)
        assert path != url and (path.endswith("/did.json") or "/status/" in path), url
    return lines


def verdicts(node: str, server: LiveServer, credentials: list[dict[str, Any]],
             allow: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(line["dcc"]["verdict"], line["digitalbazaar"]["verdict"])
            for line in judge(node, server, credentials, allow)]


async def issue(client: httpx.AsyncClient, keys: dict[str, dict[str, str]], slug: str = "ucll",
                code: str = "MC-UDL", learner: dict[str, str] = LEARNER) -> dict[str, Any]:
    assessment = {"type": "portfolio", "grade": 15,
                  "grade_scale": {"type": "numeric", "min": 0, "max": 20, "pass": 10}}
    body = request_body(course=code, learner=learner, issued_on="2026-06-30",
                        assessment=assessment)
    r = await client.post(f"/api/v1/institutions/{slug}/credentials", json=body,
                          headers=keys[slug])
    assert r.status_code == 201, r.text
    credential = r.json()
    assert validate_ob3(credential) == []  # the official OB 3.0 schema
    return credential


async def change(client: httpx.AsyncClient, keys: dict[str, dict[str, str]],
                 credential: dict[str, Any], action: str) -> None:
    slug = credential["issuer"]["id"].rsplit(":", 1)[1]
    cid = credential["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/institutions/{slug}/credentials/{cid}/{action}",
                          json={"reason": "field test"}, headers=keys[slug])
    assert r.status_code == 200, r.text
