"""Reading what a page's form carries (the CSRF token), as a browser would submit it."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["csrf_of", "link_in"]

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
