"""No plaintext API key, learner token or private key material in logs or in the database.

Keys are made with the CLI, signing keys by issuing and by ``academy keys rotate-signing``,
learner tokens through the API; every log record at DEBUG (SQL statements included), the
CLI's output and a ``pg_dump`` of the database are then searched for them.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text

from api.cli.backup import libpq_url
from api.embedded import pg_binary
from credentials.keys import KeyRing
from tests.client import AppClient
from tests.conftest import TEST_SECRET, bearer
from tests.conftest_secrets import LogCapture, leaks

ACADEMY = str(Path(sys.executable).parent / "academy")
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
PRIVATE_MARKERS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    # A Multikey-encoded Ed25519 private key (multicodec 0x1300, base58btc): "z3u2...".
    re.compile(r"\bz3u2[1-9A-HJ-NP-Za-km-z]{40,}"),
]


@pytest.fixture
def debug_logs() -> Iterator[LogCapture]:
    """Every record of every logger at DEBUG, SQLAlchemy's statements and parameters too."""
    capture = LogCapture()
    root = logging.getLogger()
    names = ["", "academy", "sqlalchemy.engine", "litestar", "httpx", "uvicorn"]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


class Cli:
    def __init__(self, url: str, data_dir: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": url, "ACADEMY_DATA_DIR": str(data_dir),
                    "ACADEMY_SECRET_KEY": TEST_SECRET, "ACADEMY_LOG_LEVEL": "DEBUG"}
        self.outputs: list[tuple[str, str]] = []

    def __call__(self, *args: str) -> str:
        result = subprocess.run([ACADEMY, *args], env=self.env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        stdout = result.stdout
        if args[:2] == ("keys", "create"):
            # The key is shown once, on its last line, by design; nowhere else.
            *rest, key = stdout.strip().splitlines()
            assert key not in "\n".join(rest)
            stdout = "\n".join(rest)
        self.outputs += [(f"academy {' '.join(args)} stdout", stdout),
                         (f"academy {' '.join(args)} stderr", result.stderr)]
        return result.stdout.strip().splitlines()[-1]


def dump(url: str) -> str:
    result = subprocess.run([str(pg_binary("pg_dump")), "--no-owner", f"--dbname={libpq_url(url)}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def seeds(app: Litestar, url: str) -> list[bytes]:
    """Every signing key's private seed, decrypted as the server does."""
    keyring = KeyRing(TEST_SECRET, app.state.settings.base_url)
    async with app.state.session_factory() as session:
        rows = (await session.execute(text(
            "SELECT i.slug, k.key_id, k.private_encrypted FROM issuer_key k "
            "JOIN institution i ON i.id = k.institution_id"))).all()
    from cryptography.hazmat.primitives.serialization import (
        Encoding, NoEncryption, PrivateFormat)

    return [keyring.decrypt(blob, f"{slug}/{key_id}").private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()) for slug, key_id, blob in rows]


def seed_forms(seed: bytes) -> list[str]:
    return [seed.hex(), seed.hex().upper(), base64.b64encode(seed).decode().rstrip("="),
            base64.urlsafe_b64encode(seed).decode().rstrip("=")]


def private_material(texts: list[tuple[str, str]], private: list[bytes]) -> list[tuple[str, str]]:
    forms = [form for seed in private for form in seed_forms(seed)] + [TEST_SECRET]
    found = [(where, form[:8] + "...") for where, body in texts for form in forms if form in body]
    found += [(where, m.pattern) for where, body in texts for m in PRIVATE_MARKERS
              if m.search(body)]
    return found


async def test_logs_cli_output_and_database_dump_hold_no_secrets(  # type: ignore[no-untyped-def]
        committed_app: Litestar, debug_logs: LogCapture, tmp_path: Path) -> None:
    from api.routes.learners import resolve_learner

    app = committed_app
    url = app.state.settings.database_url
    cli = Cli(url, tmp_path)
    app.state.learner_resolver = resolve_learner  # until create_app wires learners itself
    secrets: list[str] = []
    async with AppClient(app) as client:
        publisher = cli("keys", "create", "--institution", "ucll", "--scopes", "publish,issue")
        admin = cli("keys", "create", "--institution", "vives", "--scopes", "admin")
        secrets += [publisher, admin]
        course = _example("course-ucll-microcredential.json")
        course.pop("code")
        r = await client.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=course,
                             headers=bearer(publisher))
        assert r.status_code in (200, 201), r.text
        issued = await client.post("/api/v1/institutions/ucll/credentials",
                                   json=_example("microcredential-request.json"),
                                   headers=bearer(publisher))
        assert issued.status_code == 201, issued.text
        cli("keys", "rotate-signing", "--institution", "ucll")
        made = await client.post("/api/v1/institutions/ucll/learners/tokens",
                                 json={"email": "an.peeters@example.org"},
                                 headers=bearer(publisher))
        assert made.status_code == 201, made.text
        token = made.json()["token"]
        secrets.append(token)
        mine = await client.get("/api/v1/me/credentials", headers=bearer(token))
        assert mine.status_code == 200 and mine.json()["items"], mine.text
        # Wrong and revoked secrets are handled (and logged) too.
        for wrong in (publisher[:-4] + "AAAA", token[:-4] + "AAAA", "acad_x_" + token):
            assert (await client.get("/api/v1/me/credentials",
                                     headers=bearer(wrong))).status_code == 401
            assert (await client.get("/api/v1/institutions/ucll/courses",
                                     headers=bearer(wrong))).status_code == 401
        public_id = publisher.split("_")[1]
        cli("keys", "revoke", public_id)
        assert (await client.get("/api/v1/institutions/ucll/courses",
                                 headers=bearer(publisher))).status_code == 401

    private = await seeds(app, url)
    assert len(private) >= 2  # the first issuance's key and the rotated one
    assert debug_logs.texts, "nothing was logged: the capture is not working"
    texts = debug_logs.texts + cli.outputs
    assert leaks(secrets, texts) == []
    assert private_material(texts, private) == []

    database = dump(url)
    assert "CREATE TABLE public.api_key" in database
    assert leaks(secrets, [("pg_dump", database)]) == []
    assert private_material([("pg_dump", database)], private) == []


def _example(name: str) -> Any:
    import json

    return json.loads((EXAMPLES / name).read_text())
