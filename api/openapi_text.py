"""The words of the OpenAPI document that belong to names rather than to one handler.

Parameters mean the same under the same name on every route (``slug`` is a partner,
``cursor`` a ``next_cursor`` we returned), so they are described once here, by the path
segment before them where one name means two things (``courses/{code}``,
``pathways/{code}``); a handler's ``Doc(params=...)`` says more where it must. Headers,
the text of each access rule and the examples in ``schemas/examples/`` live here too.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from api.access import Rule
from api.pagination import MAX_LIMIT

__all__ = ["HEADERS", "access_text", "load_example", "parameter_text"]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "schemas" / "examples"

_ID = "an id we returned (a UUID)"

# "segment/{name}" first, then the bare name.
PARAMETERS: dict[str, str] = {
    "slug": "The partner institution: kuleuven, luca, odisee, thomasmore, ucll or vives. "
            "With a partner key, the institution the key belongs to.",
    "courses/{code}": "The course's code, the partner's own identifier: letters, digits, "
                      "'.', '_' or '-'.",
    "pathways/{code}": "The pathway's code, the partner's own identifier.",
    "sources/{name}": "The harvest source's name, chosen by the partner: lowercase letters, "
                      "digits, '_' or '-', up to 64 characters.",
    "status/{name}": "The status list, message-N as a credential's credentialStatus names it.",
    "credentials/{id}": f"The credential: {_ID}, as in its urn:uuid: id.",
    "pathways/{id}": f"The pathway: {_ID}.",
    "harvests/{run_id}": "The harvest run's number, as POST .../run and the run list return it.",
    "tokens/{token_id}": f"The learner token's record: {_ID} (token_id), not the token itself.",
    "shares/{token}": "The share link's token, the last part of its URL.",
    "offers/{token}": "The offer's token, from the credential_offer_uri.",
    "courses/{courseId}": "The OOAPI course id (a UUID from /ooapi/v5/courses).",
    "offerings/{offeringId}": "The OOAPI offering id (a UUID from a course's offerings).",
    "limit": f"How many items a page holds (1 to {MAX_LIMIT}).",
    "cursor": "Where the page starts: the next_cursor of the previous page, as returned "
              "(opaque). Leave out for the first page.",
    "pageNumber": "The page to return, from 1.",
    "pageSize": "Items a page holds: 10, 20, 50, 100 or 250.",
}

_VISIBLE = "[\\x21-\\x7e\\xa1-\\xac\\xae-\\xff]"
_PRINTABLE = "[\\x20-\\x7e\\xa1-\\xac\\xae-\\xff]"
HEADERS: dict[str, dict[str, Any]] = {
    "If-Match": {
        "description": "The ETag of the version you read: the change is made only if the "
                       "resource is still that version (412 otherwise: read it again). Leave "
                       "out to create, or to overwrite whatever is there.",
        "schema": {"type": "string"},
    },
    "Idempotency-Key": {
        "description": "Any 1-200 printable characters naming this request: sent again "
                       "with the same key and body, it answers with what the first one made "
                       "(200) instead of issuing twice; with another body, 409.",
        # What the server takes (str.isprintable over the latin-1 value), around the
        # spaces and tabs HTTP trims from a header value.
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern":
                   f"^[\\t ]*{_VISIBLE}({_PRINTABLE}*{_VISIBLE})?[\\t ]*$"},
    },
    "ETag": {
        "description": "The version of the resource: send it as If-Match to change exactly "
                       "this version.",
        "schema": {"type": "string"},
    },
    "Location": {"description": "Where the resource (or the run to follow) is.",
                 "schema": {"type": "string", "format": "uri-reference"}},
    "Retry-After": {"description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 0}},
}


def parameter_text(path: str, name: str, where: str | None) -> str | None:
    """The description of parameter ``name`` of the operation at ``path``, if known."""
    if where == "path":
        segments = path.strip("/").split("/")
        marker = "{" + name + "}"
        if marker in segments:
            index = segments.index(marker)
            if index and (text := PARAMETERS.get(f"{segments[index - 1]}/{marker}")):
                return text
    return PARAMETERS.get(name)


def access_text(rule: Rule | None) -> str:
    """Who may call an operation with ``rule``, as the access guard enforces it."""
    if rule is None or rule.kind == "public":
        return "**Access**: public, no credentials."
    if rule.kind == "partner":
        return (f"**Access**: a partner API key with the `{rule.scope}` (or `admin`) scope, "
                "of the institution in the path (403 otherwise).")
    if rule.kind == "any_partner":
        return (f"**Access**: a partner API key with the `{rule.scope}` (or `admin`) scope, "
                "of an institution the operation concerns.")
    if rule.kind == "learner":
        return ("**Access**: the learner: a learner token (Bearer lrn_...) from their "
                "institution (its credentials only), or the session a sign-in link started "
                "(state-changing calls also send X-CSRF-Token); only the learner's own records.")
    if rule.kind == "admin":
        return "**Access**: a partner API key with the `admin` scope."
    return "**Access**: an OpenID4VCI access token from this institution's token endpoint."


@cache
def load_example(name: str) -> Any:
    """``schemas/examples/<name>``: parsed JSON, or the text of other formats (NDJSON, CSV)."""
    text = (EXAMPLES_DIR / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text
