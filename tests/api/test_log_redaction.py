"""Logs keep no secrets (issue #13, Low): access lines without share or learner tokens,
SQL errors without their parameters."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.db import make_engine
from api.security import redact_path
from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import issue

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


async def test_access_log_lines_hold_no_tokens(client, ucll, caplog) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    cid = r.json()["id"].rsplit("/", 1)[1]
    minted = await client.post("/api/v1/institutions/ucll/learners/tokens",
                               json={"email": "an.peeters@example.org"}, headers=ucll)
    learner = minted.json()["token"]
    share = (await client.post(f"/api/v1/me/credentials/{cid}/shares",
                               headers=bearer(learner))).json()["token"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="academy.access"):
        assert (await client.get(f"/api/v1/shares/{share}")).status_code == 200
        await client.delete(f"/api/v1/me/shares/{share}", headers=bearer(learner))
    lines = [r for r in caplog.records if r.name == "academy.access"]
    paths = [r.fields["path"] for r in lines]  # type: ignore[attr-defined]
    assert paths == ["/api/v1/shares/[redacted]", "/api/v1/me/shares/[redacted]"]
    ours = " ".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records
                    if r.name.startswith("academy"))  # the server's, not the test client's
    assert share not in ours and learner not in ours


def test_redact_path() -> None:
    """A learner or key token pasted into a path (the test client would log it itself)."""
    assert redact_path("/me/lrn_abc-DEF_1/x") == "/me/lrn_[redacted]/x"
    assert redact_path("/api/v1/x/acad_0a1b_secret") == "/api/v1/x/acad_[redacted]"
    assert redact_path("/api/v1/institutions/ucll/courses/MC-1") == \
        "/api/v1/institutions/ucll/courses/MC-1"


async def test_sql_errors_do_not_log_their_parameters(database_url) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(text("SELECT CAST(:v AS text), 1 / 0"),
                                   {"v": "an.peeters@example.org"})
    finally:
        await engine.dispose()
    assert "an.peeters@example.org" not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)
