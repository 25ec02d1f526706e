"""Fixtures of the browser tests (tests/web)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bench._harness import Server
from tests.credentials.support import example, request_body
from tests.web.site import Site
from tests.web.site import site as populated_site
from tests.web.support import serving


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Server, str, dict[str, str], str]]:
    """The server with the demo catalogue, UCLL's key, and one credential UCLL issued."""
    with serving() as srv:
        srv.academy("demo", "load")
        headers = {"Authorization": f"Bearer {srv.key('ucll', 'publish,issue')}"}
        course = example("course-ucll-microcredential.json")
        course.pop("code")
        with httpx.Client(base_url=srv.base, headers=headers, timeout=30) as http:
            r = http.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=course)
            assert r.status_code in (200, 201), r.text
            r = http.post("/api/v1/institutions/ucll/credentials/", json=request_body())
            assert r.status_code == 201, r.text
        yield srv, srv.base, headers, r.json()["id"].rsplit("/", 1)[-1]


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """One populated server for the page-wide checks (tests/web/site.py), built once."""
    with populated_site() as found:
        yield found
