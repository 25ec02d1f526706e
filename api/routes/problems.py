"""``GET /problems/{name}``: the page a problem document's ``type`` URL points to.

Every error answer is an RFC 9457 problem whose ``type`` is
``{ACADEMY_BASE_URL}/problems/{slug of its title}``. This module knows every such title (the
HTTP status phrases, the titles of the domain errors, and the ones the edge writes itself),
and serves a short page for each: what it means and what to do. An unknown name is a 404.
"""

from __future__ import annotations

import html
from functools import cache
from http import HTTPStatus

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from api.access import PUBLIC, access
from api.errors import problem_slug
from catalogue.errors import DomainError

__all__ = ["EXPLAINED", "known_problems", "problem_page"]

# What to do, for the problems a client meets most; the others get the general advice.
EXPLAINED: dict[str, str] = {
    "Malformed JSON": "The body is not JSON we can read. Check it with a JSON linter; a batch "
                      "of one document a line is NDJSON: send it as application/x-ndjson.",
    "Invalid request": "The body is JSON but breaks a rule of its schema. Each item of "
                       "`errors` has a JSON `pointer` to the field and a `message` saying what "
                       "it accepts. The schemas are in /schema and in the repository's schemas/.",
    "Invalid query parameter": "A query parameter has a value this route cannot read. The "
                               "error's pointer (`?name`) names it and says what it accepts.",
    "Unknown query parameter": "The route has no such query parameter (a typo, or one of "
                               "another route). The message lists the ones it knows.",
    "Unsupported Media Type": "The body was sent with a Content-Type this route does not read. "
                              "Send JSON with `Content-Type: application/json` (a course batch "
                              "also takes `application/x-ndjson`).",
    "Precondition failed": "`If-Match` named a version that is no longer current: somebody "
                           "changed the record. GET it again, take its ETag, and retry; or "
                           "leave `If-Match` out to overwrite.",
    "Idempotency key reused": "An `Idempotency-Key` was sent again with a different body. Use "
                              "a new key for a new request.",
    "Harvest already running": "A source runs one harvest at a time. Follow the run named in "
                               "`Location`, then start another.",
    "Unauthorized": "The request needs a key: `Authorization: Bearer <key>`. A partner key "
                    "comes from `academy keys create`; a learner signs in at /me.",
    "Forbidden": "The key is valid but may not do this: another institution's data, or a "
                 "scope it lacks (publish, issue).",
    "Too Many Requests": "Slow down: `Retry-After` says how many seconds to wait.",
    "Service Unavailable": "The database or a worker is unavailable. Retry after the seconds "
                           "in `Retry-After`.",
}


@cache
def known_problems() -> dict[str, str]:
    """slug -> title, for every problem title the API can answer with."""
    titles = {status.phrase for status in HTTPStatus if status >= 400}
    titles |= set(EXPLAINED)
    titles |= {"Bad request", "Not found", "Conflict", "Service unavailable"}
    pending: list[type] = [DomainError]
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        title = getattr(kind, "title", None)
        if isinstance(title, str) and title:
            titles.add(title)
    return {problem_slug(title): title for title in sorted(titles)}


@get("/problems/{name:str}", opt=access(PUBLIC), include_in_schema=False, sync_to_thread=False)
def problem_page(name: FromPath[str]) -> Response[bytes]:
    title = known_problems().get(name)
    if title is None:
        raise NotFoundException(f"No problem type {name!r}; the API answers with the ones "
                                "listed in its OpenAPI document's error responses.")
    advice = EXPLAINED.get(title, "The answer's `detail` says what was wrong, and `errors` "
                                  "(when present) points at each field with what it accepts.")
    body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}: Academy API problem</title>"
            f"<link rel='stylesheet' href='/static/app.css'></head><body><main>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(advice)}</p>"
            f"<p>Every error of the Academy API is an RFC 9457 problem document "
            f"(<code>application/problem+json</code>) with <code>type</code>, "
            f"<code>title</code>, <code>status</code> and <code>detail</code>. "
            f"<a href='/schema'>The API documentation</a>.</p></main></body></html>")
    return Response(body.encode(), media_type="text/html; charset=utf-8")
