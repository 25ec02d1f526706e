"""Our JSON Schemas (``schemas/*.schema.json``, Draft 2020-12) as OpenAPI 3.1 components.

Each file's ``$defs`` entry X becomes the component ``<root>_X`` and its root ``<root>``;
``$ref``s are rewritten to point there (``$id``-relative resolution is not something every
OpenAPI tool does). Patterns are made to mean what the server's validator (Python's
``re``) means, in any regex dialect, and rules the server applies to every string of a
schema are spelled out on each.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["EMAIL", "JSON_SCHEMAS", "PYTHON_NON_SPACE", "REF", "SPACE", "json_schema_components"]

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
REF = "#/components/schemas/"
# Our JSON Schemas (Draft 2020-12) and the component each root becomes; a ``$defs`` entry X
# of one becomes ``<root>_X``.
JSON_SCHEMAS = {
    "course.schema.json": "CourseDocument",
    "microcredential.schema.json": "MicrocredentialRequest",
    "pathway.schema.json": "PathwayDocument",
}
_NOT_ONLY_DOTS: dict[str, Any] = {"not": {"type": "string", "pattern": r"^\.+$"}}
# Patterns with lookaheads that generators and ECMA-only validators read differently, and
# equivalents without them.
PATTERN_REWRITES: dict[str, tuple[str, dict[str, Any]]] = {
    r"^(?!\.+$)[A-Za-z0-9._-]+(?![\s\S])": (r"^[A-Za-z0-9._-]+$", _NOT_ONLY_DOTS),
    r"^(?!\.+$)[A-Za-z0-9._-]+$": (r"^[A-Za-z0-9._-]+$", _NOT_ONLY_DOTS),
    r"^(?:(?:kuleuven|luca|odisee|thomasmore|ucll|vives)/)?(?!\.+$)[A-Za-z0-9._-]{1,128}$": (
        r"^(?:(?:kuleuven|luca|odisee|thomasmore|ucll|vives)/)?[A-Za-z0-9._-]{1,128}$",
        {"not": {"type": "string",
                 "pattern": r"^(?:(?:kuleuven|luca|odisee|thomasmore|ucll|vives)/)?\.+$"}}),
}
# Python's whitespace; the server checks patterns with Python's ``re``, whose ``\s`` is not
# ECMA-262's (it has U+001C-U+001F and U+0085, not U+FEFF): spelled out, it means the same
# to every client.
SPACE = r"\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
EMAIL = rf"^[^@{SPACE}]+@[^@{SPACE}]+\.[^@{SPACE}]+$"
PYTHON_NON_SPACE = rf"[^{SPACE}]"


def _rewrite(node: Any, root: str) -> Any:
    """Copy ``node`` with ``$ref``s pointing into components instead of the files' ``$defs``."""
    if isinstance(node, list):
        return [_rewrite(v, root) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("$id", "$schema", "$defs"):
            continue
        if key == "$ref":
            value = _ref(value, root)
        elif key == "pattern" and isinstance(value, str):
            if value in PATTERN_REWRITES:
                value, extra = PATTERN_REWRITES[value]
                out.update(extra)
            value = value.replace("\\S", PYTHON_NON_SPACE)
        else:
            value = _rewrite(value, root)
        out[key] = value
    return out


def _ref(ref: str, root: str) -> str:
    target, _, pointer = ref.partition("#")
    if target:
        target = target.rsplit("/", 1)[-1]
        root = JSON_SCHEMAS[target]
    match = re.match(r"^/\$defs/([^/]+)(.*)$", pointer)
    if match:
        return f"{REF}{root}_{match.group(1)}{match.group(2)}"
    return f"{REF}{root}{pointer}"


NO_CONTROL = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"


def _without_control_characters(node: Any) -> None:
    """Issuance refuses control characters in every string (they canonicalise differently
    across JSON-LD libraries); the schema says so on its text only: say it everywhere."""
    if isinstance(node, list):
        for item in node:
            _without_control_characters(item)
        return
    if not isinstance(node, dict):
        return
    types = node.get("type")
    is_string = types == "string" or isinstance(types, list) and "string" in types
    if is_string and not ({"pattern", "enum", "const", "format"} & node.keys()):
        node["pattern"] = NO_CONTROL
    for value in node.values():
        _without_control_characters(value)


@cache
def _json_schema_components() -> str:
    out: dict[str, Any] = {}
    for filename, root in JSON_SCHEMAS.items():
        schema = json.loads((SCHEMAS / filename).read_text())
        for name, definition in schema.get("$defs", {}).items():
            out[f"{root}_{name}"] = _rewrite(definition, root)
        out[root] = _rewrite(schema, root)
    for name, schema in out.items():
        if name.startswith("MicrocredentialRequest"):
            _without_control_characters(schema)
    # PUT takes the code from the URL: the body is a course without one.
    upsert = copy.deepcopy(out["CourseDocument_course"])
    upsert["properties"].pop("code", None)
    out["CourseUpsert"] = upsert
    out["CourseBatch"] = {"type": "array", "minItems": 1, "maxItems": 10_000,
                          "items": {"$ref": REF + "CourseDocument_batchItem"}}
    return json.dumps(out)


def json_schema_components() -> dict[str, Any]:
    """``schemas/*.schema.json`` as OpenAPI 3.1 components (a fresh copy each call)."""
    return json.loads(_json_schema_components())
