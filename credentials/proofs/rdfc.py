"""RDFC-1.0 canonical N-Quads of JSON-LD documents (the pyld reference) and its escaping.

`canonicalize_reference(doc)` is pyld all the way (expansion with the bundled
contexts, toRdf, pyld's URDNA2015, which is RDFC-1.0 with SHA-256), with one
correction: **escaping**. RDFC-1.0 serialises quads in canonical N-Quads (the
RDF 1.2 canonical N-Triples rules): inside a literal `"` `\\` LF CR TAB BS FF
are written `\\"` `\\\\` `\\n` `\\r` `\\t` `\\b` `\\f`, every other code point
U+0000-U+001F and U+007F as `\\u00XX` with upper-case hex, everything else as
itself. pyld 3.3 escapes only the first five and leaves the others raw, so its
output and its blank-node hashes differ from the spec and from jsonld.js /
rdf-canonize (which a JavaScript verifier uses). We re-escape the serialised
quads pyld hashes (re-sorting them: the escape changes their order) and its
final output. Without such characters the result is byte-identical to
`pyld.jsonld.normalize(doc, {"algorithm": "URDNA2015", ...})`.

`canonicalize(doc)`, in `credentials.proofs.fastcanon`, is the fast path with the same
contract and bytes.
"""

from __future__ import annotations

import re
from typing import Any

from pyld.canon import URDNA2015

from credentials.proofs.jsonld import UnsafeDocument, inspect_to_rdf
from credentials.proofs.limits import MAX_BLANK_NODES, MAX_WORK_FACTOR, TooComplex, check_deadline

__all__ = [
    "CONTROL_MESSAGE",
    "canonicalize_reference",
    "escape_literal",
    "find_control_chars",
    "raise_if_unsafe",
    "rdfc_dataset",
    "sort_order_ambiguity",
]

CONTROL_MESSAGE = ("must not contain control characters (U+0000-U+001F other than tab, LF and "
                   "CR, or U+007F)")
"""What a refused text is told (`find_control_chars` finds them)."""

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"

_LITERAL_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F]} | {
    0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x08: "\\b", 0x0C: "\\f"
}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
# What pyld leaves raw; these only ever occur inside literals of its output.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ESCAPES = {c: e for c, e in _LITERAL_ESCAPES.items() if _RAW_CONTROL.match(chr(c))}


def escape_literal(value: str) -> str:
    """A literal's lexical form as canonical N-Quads writes it between the quotes."""
    return value.translate(_LITERAL_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def find_control_chars(document: Any, path: str = "") -> list[str]:
    """JSON-pointer paths of keys/strings holding U+0000-U+001F (not TAB/LF/CR) or U+007F.

    Signing handles them per RDFC-1.0, but older verifiers (pyld, rdf-canonize
    before RDFC-1.0) do not; the API may prefer to refuse such input.
    """
    found: list[str] = []
    if isinstance(document, str):
        if _RAW_CONTROL.search(document):
            found.append(path or "/")
    elif isinstance(document, dict):
        for key, value in document.items():
            here = f"{path}/{key}"
            if _RAW_CONTROL.search(key):
                found.append(here)
            found.extend(find_control_chars(value, here))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found.extend(find_control_chars(value, f"{path}/{i}"))
    return found


def _fix_line(line: str) -> str:
    return line.translate(_CONTROL_ESCAPES) if _RAW_CONTROL.search(line) else line


class _Rdfc10(URDNA2015):
    """pyld's URDNA2015 hashing spec-escaped quads (see the module docstring), bounded.

    Hash N-Degree Quads (RDFC-1.0 §4.8) permutes related blank nodes and recurses: a few
    mutually linked blank nodes of equal first-degree hash cost minutes (a 5 KB document
    with a 7-clique took 14 s). As rdf-canonize's ``maxDeepIterations`` does (RDFC10.js),
    it may run at most (blank nodes that share a first-degree hash) ** ``MAX_WORK_FACTOR``
    times in all; then ``TooComplex``. The deadline is checked at each run too.

    Step numbers: RDFC-1.0 (W3C Recommendation 2024) §4.4.3 Canonicalization Algorithm;
    pyld's comments number the same steps after URDNA2015 (its "6)" is RDFC-1.0's 5).
    """

    def __init__(self) -> None:
        super().__init__()
        self.remaining_deep_iterations: int | None = None

    def hash_nquads(self, nquads: list[str]) -> str:
        # §4.6.3 step 5 and §4.8.3 step 6: the hash is of the sorted, *canonically
        # escaped* N-Quads (pyld leaves some control characters raw).
        return super().hash_nquads(sorted(_fix_line(q) for q in nquads))

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        if self.remaining_deep_iterations is None:
            # First call: §4.4.3 step 5 (for each hash with several blank nodes) is under
            # way, and hash to blank nodes map (step 3) holds exactly the blank nodes that
            # share a first-degree hash, which is what rdf-canonize counts.
            shared = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
            self.remaining_deep_iterations = self.max_deep_iterations = (
                shared ** MAX_WORK_FACTOR)
        if self.remaining_deep_iterations <= 0:
            raise TooComplex(f"RDFC-1.0 canonicalisation needs more than "
                             f"{self.max_deep_iterations} deep iterations (blank nodes too "
                             "entangled to tell apart); verifiers refuse such documents")
        # Every run counts, those of §4.4.3 step 5.2.4 and the recursive ones of §4.8.3
        # step 5.4.5.4, as rdf-canonize's remainingDeepIterations counts them.
        self.remaining_deep_iterations -= 1
        check_deadline()
        return super().hash_n_degree_quads(id_, issuer)


def _blank_nodes(dataset: dict[str, list[dict[str, Any]]]) -> int:
    found = {name for name in dataset if name.startswith("_:")}
    for triples in dataset.values():
        for triple in triples:
            for part in ("subject", "object"):
                if triple[part]["type"] == "blank node":
                    found.add(triple[part]["value"])
    return len(found)


def rdfc_dataset(dataset: dict[str, list[dict[str, Any]]]) -> str:
    """pyld's RDFC-1.0 of a pyld RDF dataset, spec-escaped. Mutates `dataset`.

    Raises `TooComplex` beyond `MAX_BLANK_NODES` blank nodes or RDFC-1.0's deep-iteration
    bound (see `_Rdfc10`).
    """
    if (count := _blank_nodes(dataset)) > MAX_BLANK_NODES:
        raise TooComplex(f"the document has {count} blank nodes; at most {MAX_BLANK_NODES} "
                         "are canonicalised")
    out = _Rdfc10().main(dataset, {"format": "application/n-quads"})
    if not _RAW_CONTROL.search(out):
        return out
    return "".join(sorted(_fix_line(line) + "\n" for line in out.split("\n")[:-1]))


def raise_if_unsafe(problems: list[str], fallbacks: list[str], allow_vocab_fallback: bool) -> None:
    """Raise `UnsafeDocument` for `problems`, and for `fallbacks` unless they are allowed."""
    found = problems if allow_vocab_fallback else problems + fallbacks
    if found:
        raise UnsafeDocument(found)


def canonicalize_reference(
    document: dict[str, Any], *, safe: bool = True, allow_vocab_fallback: bool = True
) -> str:
    """RDFC-1.0 N-Quads of `document` computed by pyld (escaping corrected).

    `safe` raises `UnsafeDocument` when expansion loses data (see
    `credentials.proofs.jsonld.safety_problems`); `allow_vocab_fallback=False` also
    refuses terms only a catch-all `@vocab` defines.
    """
    _, dataset, problems, fallbacks = inspect_to_rdf(document)
    if safe:
        raise_if_unsafe(problems, fallbacks, allow_vocab_fallback)
    return rdfc_dataset(dataset)


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_BLANK = re.compile(r"_:[A-Za-z0-9]+")


def _utf16(line: str) -> bytes:
    return line.encode("utf-16-be", "surrogatepass")


def sort_order_ambiguity(nquads: str) -> str | None:
    """Why RDFC-1.0 implementations could order these canonical N-Quads differently, or None.

    RDFC-1.0 sorts by code point; rdf-canonize (JavaScript) and Java implementations sort
    by UTF-16 code unit. The orders differ only where two quads first differ at a
    character above U+FFFF (emoji, ...) against one in U+E000..U+FFFF (fullwidth forms,
    ...). We check the final order and the order of the quads as blank-node hashing sees
    them (labels blanked); if either differs, the signature would not verify everywhere.
    """
    if not _ASTRAL.search(nquads):
        return None
    lines = nquads.splitlines()
    blanked = sorted(_BLANK.sub("_:x", line) for line in lines)
    if lines != sorted(lines, key=_utf16) or blanked != sorted(blanked, key=_utf16):
        return ("text orders differently by code point and by UTF-16 code unit (an emoji "
                "against a fullwidth or private-use character in the same field); other "
                "RDFC-1.0 implementations would compute another signature")
    return None
