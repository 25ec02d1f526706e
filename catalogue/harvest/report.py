"""What a harvest run says about invalid items, without repeating what the feed holds.

A push's validation messages quote the bad value back to the partner who sent it. A harvest
stores its messages in the run, shown by ``/run`` and ``/harvests``: were the feed not the
partner's (a server inside our network answering a URL a partner set), a quoted value would
carry that server's answer out. So a harvest error says *where* (the item's index and the
JSON pointer into it, cut before the first member name the schema does not define) and
*what kind* of rule was broken, in wording that holds no feed value: the validator's
message is kept only when it is one of the fixed templates below, shortened to its
schema-given part when it quotes a value, and otherwise replaced by a generic sentence.
"""

from __future__ import annotations

import json
import re
from typing import Any

from catalogue.validation import SCHEMA_DIR, Violation, check_code

__all__ = ["safe_code", "safe_violation"]


def _schema_names() -> frozenset[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                names.update(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((SCHEMA_DIR / "course.schema.json").read_text(encoding="utf-8")))
    return frozenset(names)


_NAMES = _schema_names()
_KIND = r"(?:an object|an array|a string|a boolean|null|a number|an integer|that)"
# Messages made only of schema-given words and numbers: kept as they are.
_FIXED = [re.compile(p) for p in (
    r"is required",
    rf"must be {_KIND}(?: or {_KIND})*, not {_KIND}",
    r"must not be empty",
    r"must be at (?:least|most) [0-9]+ characters long(?: \(got [0-9]+\))?",
    r"must have at (?:least|most) [0-9]+ items?(?:\(s\))?(?: \(got [0-9]+\))?",
    r"must hold text in at least one language \(nl or en\)",
    r"must not repeat items",
    r"duplicate code in this batch \(first at item [0-9]+\)",
    r"may only hold letters, digits, '\.', '_' and '-', and not only dots",
    r"(?:string|member name) holds NUL or an unpaired surrogate",
)]
# Messages that quote a value: the value goes, a fixed wording stays.
_BOUND = re.compile(r"^(must be at (?:least|most) -?[0-9.eE+]+), not ")
_SUFFIXES = (
    (" is not a valid date (YYYY-MM-DD)", "is not a valid date (YYYY-MM-DD)"),
    (" is not a valid absolute URI", "is not a valid absolute URI"),
)
_INFIXES = (
    (" is not one of: ", "is not one of the accepted values"),
    (" is not accepted: ", "is not an accepted value"),
    (" is not valid: ", "does not have the form the schema requires"),
    (" is not among the course's languages ", "is not among the course's languages"),
)
_SEMANTIC = (
    (re.compile(r"^ends \(.*\) before it starts \("), "ends before it starts"),
    (re.compile(r"^enrolment deadline \(.*\) is after the end date \("),
     "the enrolment deadline is after the end date"),
    (re.compile(r"^duplicate offering code .*, also at (/offerings/[0-9]+)$"),
     "duplicate offering code, also at {0}"),
)
GENERIC = "is not valid here (the value is not shown; see schemas/course.schema.json)"
UNKNOWN = "has a member the schema does not define (its name is not shown)"


def _message(message: str) -> str:
    if any(p.fullmatch(message) for p in _FIXED):
        return message
    if bound := _BOUND.match(message):
        return bound.group(1)
    for pattern, wording in _SEMANTIC:
        if found := pattern.match(message):
            return wording.format(*found.groups())
    for suffix, wording in _SUFFIXES:
        if message.endswith(suffix):
            return wording
    for infix, wording in _INFIXES:
        if infix in message:
            return wording
    return GENERIC


def safe_violation(index: int, violation: Violation) -> tuple[str, str]:
    """``(pointer, message)`` of a violation in item ``index``, holding nothing of the feed."""
    kept = [str(index)]
    for part in violation.pointer.split("/")[1:]:
        if not (part.isdigit() or part in _NAMES):
            return "/" + "/".join(kept), UNKNOWN
        kept.append(part)
    return "/" + "/".join(kept), _message(violation.message)


def safe_code(code: str | None) -> str | None:
    """An item's code when it is a well-formed course code (an identifier, not free text)."""
    return code if isinstance(code, str) and check_code(code) is None else None
