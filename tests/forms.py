"""A learner's browser in tests: the CSRF token a form carries, the sign-in mail, signing in."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

__all__ = ["AN", "ask_on_the_page", "csrf_of", "link_in", "mails_to", "signed_in"]

AN = "an.peeters@example.org"  # the example issuance request's learner

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
_LINK = re.compile(r"https?://\S+/me/sign-in/(sgn_[A-Za-z0-9_\-]+)")


async def csrf_of(client: Any, path: str = "/me") -> str:
    """The CSRF token of the first form on ``path`` (the client keeps the nonce cookie)."""
    r = await client.get(path)
    found = _CSRF.search(r.text)
    assert found, f"no form with a CSRF token on {path} ({r.status_code})"
    return found.group(1)


def link_in(text: str) -> str:
    """The sign-in link token in a mail's text."""
    found = _LINK.search(text)
    assert found, text
    return found.group(1)


async def mails_to(session_factory: Any, address: str) -> list[Any]:
    async with session_factory() as s:
        rows = await s.execute(text(
            "SELECT kind, subject, body_text, language, sensitive, expires_at, created_at "
            "FROM mail_outbox WHERE recipient = :a AND kind = 'sign_in' ORDER BY id"),
            {"a": address})
        return list(rows)


async def ask_on_the_page(client: Any, email: str = AN, **headers: str) -> Any:
    csrf = await csrf_of(client)
    return await client.post("/me/sign-in", data={"email": email, "csrf_token": csrf},
                             headers=headers)


async def signed_in(client: Any, session_factory: Any, email: str = AN) -> str:
    """Sign ``client`` in through the pages; the session cookie's value."""
    r = await ask_on_the_page(client, email)
    assert r.status_code == 202, r.text
    token = link_in((await mails_to(session_factory, email))[-1].body_text)
    csrf = await csrf_of(client, f"/me/sign-in/{token}")
    r = await client.post(f"/me/sign-in/{token}", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me", r.text
    return str(client.cookies.get("academy_session"))
