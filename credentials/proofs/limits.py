"""Bounds on what verifying a credential from anyone may cost.

``POST /api/v1/verify`` takes JSON from anyone without a key, so every step whose cost grows
with the input is bounded before it runs, cheapest check first:

1. the body: ``MAX_BODY_BYTES`` in all (the route refuses more with 413);
2. the items of a batch, counted on the raw bytes (``split_items``: msgspec slices the
   top-level array without building its items) before any item is parsed;
3. per document (``document_problem``): nesting depth, JSON values, array lengths, inline
   context definitions and proofs, counted in one walk before JSON-LD expansion (pyld's
   toRdf is quadratic in the values of one property, and it applies a scoped context anew
   at each node, so arrays and contexts are bounded on their own);
4. canonicalisation: blank nodes per document, and RDFC-1.0's deep iterations, bounded as
   Digital Bazaar's rdf-canonize bounds them (``maxWorkFactor`` 1: Hash N-Degree Quads may
   run as many times as there are blank nodes that share a first-degree hash), so a
   document other verifiers would refuse is refused here too, quickly;
5. a deadline, checked between documents and inside canonicalisation (``deadline``).

A bound that trips is a verdict (``TooComplex``, a ``ValueError``), never a 500.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any

import msgspec

__all__ = [
    "MAX_ARRAY_ITEMS",
    "MAX_BLANK_NODES",
    "MAX_BODY_BYTES",
    "MAX_CONTEXT_VALUES",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_PROOFS",
    "MAX_PROOF_VALUE_CHARS",
    "MAX_STATUS_ENTRIES",
    "MAX_VALUES",
    "MAX_WORK_FACTOR",
    "DeadlinePassed",
    "TooComplex",
    "TooManyItems",
    "check_deadline",
    "deadline",
    "document_problem",
    "split_items",
]

MAX_BODY_BYTES = 1024 * 1024
"""A verify request in all (ours are 3-6 KB each: some 250 fit)."""
MAX_ITEMS = 1000
"""Credentials in one verify request."""
MAX_DEPTH = 32
"""Nesting of one credential (ours: 6)."""
MAX_VALUES = 10_000
"""JSON values (objects, arrays, strings, numbers...) of one credential (ours: ~200)."""
MAX_ARRAY_ITEMS = 256
"""Items of one array (ours: at most 100 outcomes, 200 parts of a stacked award). pyld's
toRdf compares each value of a property with the ones before it: 4,000 cost 8.6 s."""
MAX_CONTEXT_VALUES = 256
"""JSON values in a credential's own (inline) context definitions (ours: none, only URLs).
pyld applies a scoped context anew at every node it covers: 2,000 terms over 250 nodes took
1.8 s."""
MAX_PROOFS = 4
"""Proofs on one credential (ours: 1; a suite per proof would be 2)."""
MAX_STATUS_ENTRIES = 4
"""Status entries read for one credential (ours: 1)."""
MAX_PROOF_VALUE_CHARS = 100
"""A base58btc Ed25519 signature is 86-88 characters (``z`` included)."""
MAX_BLANK_NODES = 1000
"""Blank nodes in one canonicalised document (ours: ~10)."""
MAX_WORK_FACTOR = 1
"""rdf-canonize's default: deep iterations <= (blank nodes sharing a hash) ** this."""


class TooComplex(ValueError):
    """The document exceeds a bound of canonicalisation; other verifiers would refuse it too."""


class DeadlinePassed(TimeoutError):
    """The verification deadline passed before the work was done."""


class TooManyItems(ValueError):
    """A batch with more than ``MAX_ITEMS`` credentials."""


_DEADLINE: ContextVar[float | None] = ContextVar("verify_deadline", default=None)


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Within the block, ``check_deadline`` raises ``DeadlinePassed`` once ``time.time() > at``.

    Wall-clock time (not monotonic): the deadline is set in the server and checked in a
    worker process.
    """
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    at = _DEADLINE.get()
    if at is not None and time.time() > at:
        raise DeadlinePassed("the verification deadline passed")


_ITEMS = msgspec.json.Decoder(Annotated[list[msgspec.Raw], msgspec.Meta(max_length=MAX_ITEMS)])
_ANY_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])


def split_items(raw: bytes) -> list[bytes] | None:
    """The raw items of a top-level JSON array, or None when ``raw`` is not an array.

    msgspec checks the syntax and slices the array in C without building any item, so a
    body of 300,000 ``{}`` costs milliseconds, not the object per item that parsing makes.
    Raises ``TooManyItems`` (more than ``MAX_ITEMS``) and ``msgspec.DecodeError``.
    """
    if raw.lstrip()[:1] != b"[":
        return None
    try:
        return [bytes(item) for item in _ITEMS.decode(raw)]
    except msgspec.ValidationError:
        count = len(_ANY_ITEMS.decode(raw))
        raise TooManyItems(f"at most {MAX_ITEMS} credentials per request, not {count}") from None


def _flat_len(items: list[Any]) -> int:
    """Items of an array with the arrays inside it flattened, as JSON-LD expansion does."""
    count, stack = 0, [items]
    while stack:
        for item in stack.pop():
            if type(item) is list:
                stack.append(item)
            else:
                count += 1
    return count


def document_problem(document: Any) -> str | None:
    """Why ``document`` is too big to verify (depth, values, arrays, proofs), or None. One walk."""
    if isinstance(document, dict):
        proofs = document.get("proof")
        if isinstance(proofs, list) and len(proofs) > MAX_PROOFS:
            return f"the credential has {len(proofs)} proofs; at most {MAX_PROOFS} are verified"
    values = in_contexts = 0
    # node, depth, inside an array, inside an @context
    stack: list[tuple[Any, int, bool, bool]] = [(document, 1, False, False)]
    while stack:
        node, depth, inside, context = stack.pop()
        values += 1
        in_contexts += context
        if values > MAX_VALUES:
            return f"the credential has more than {MAX_VALUES} JSON values"
        if in_contexts > MAX_CONTEXT_VALUES:
            return (f"the credential's own @context definitions have more than "
                    f"{MAX_CONTEXT_VALUES} JSON values")
        if depth > MAX_DEPTH:
            return f"the credential nests deeper than {MAX_DEPTH} levels"
        kind = type(node)
        if kind is dict:
            stack.extend((v, depth + 1, False, context or k == "@context")
                         for k, v in node.items())
            values += len(node)  # the keys
            in_contexts += len(node) if context else 0
        elif kind is list:
            if not inside and _flat_len(node) > MAX_ARRAY_ITEMS:
                return f"the credential has an array of more than {MAX_ARRAY_ITEMS} items"
            stack.extend((v, depth + 1, True, context) for v in node)
    return None
