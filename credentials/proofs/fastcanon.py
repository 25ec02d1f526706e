"""The fast path to RDFC-1.0: one pyld run per document *shape*, then templates.

`canonicalize(doc)` returns exactly what `credentials.proofs.rdfc.canonicalize_reference`
returns (property-tested over randomised credentials in tests/credentials/
test_signing.py), some 40 times faster once the shape is known: ~0.2 ms instead
of ~7 ms for a microcredential of 70 quads (bench/signing.py).

**Shape.** The document's JSON with every string leaf and every integer below
2^53 abstracted. Kept verbatim: keys, array lengths, `@context`, `type`/`@type`
and other keywords' values (they choose the active context), floats, booleans,
nulls, `_:` identifiers, and the IRI scheme of a string (`did:`, `https://`),
since a scheme that is also a defined prefix would expand differently.

**Learning a shape.** pyld expands and converts the document with every
abstracted leaf replaced by a unique probe (private-use characters, or a large
integer), and we look for each probe in the quads. A leaf is a *slot* when its
probe is exactly one plain literal (not `xsd:double`, whose lexical form pyld
recomputes, nor `rdf:JSON`), or an IRI used only as whole subjects/objects. Then
its value can only change those terms' text. Every other leaf (dropped, an
`@vocab` IRI, part of a language tag, ...) becomes structural: its real value
joins the cache key and pyld runs again until the slots are stable. The active
context at any point depends only on keys, `@context`, and type values, all of
which are in the key or structural, so the slots proven on one document hold
for every document that agrees on the key and the structural values.

**Filling.** Slots are substituted (literals escaped, IRIs checked to be plain
absolute IRIs), quads that became equal are merged (pyld's node map keeps one of
equal values, and nodes sharing an IRI merge), and RDFC-1.0 runs: when every
blank node's first-degree hash is distinct, canonical labels follow hash order,
as RDFC-1.0 issues them before any n-degree hashing. Otherwise pyld's full
algorithm runs on the filled quads (`collisions`); anything unexpected goes to
the reference (`reference`).

(Over 400 lines on purpose: shaping a document, learning a template and filling it
rely on the same invariants, stated above, and on the same template layout; apart,
none of them could be read or changed without the others.)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec
from cachetools import FIFOCache, LRUCache

from credentials.proofs.jsonld import inspect_to_rdf
from credentials.proofs.limits import MAX_BLANK_NODES, TooComplex
from credentials.proofs.rdfc import (
    RDF_JSON,
    RDF_LANGSTRING,
    XSD_DOUBLE,
    XSD_STRING,
    canonicalize_reference,
    escape_literal,
    raise_if_unsafe,
    rdfc_dataset,
)

__all__ = ["SHAPES", "ShapeCache", "canonicalize"]

_MAX_INT = 2**53
_WALKED_KEYWORDS = frozenset({"@value", "@list", "@set", "@graph", "@included", "@id"})
_FROZEN_KEYS = frozenset({"type"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+-.]*):(//)?")  # pyld's notion of an absolute IRI
_PLAIN_IRI_TAIL = re.compile(r'[^\s<>"{}|^`\\\x00-\x1f\x7f]*\Z')
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
_PROBE_INT = 7_340_000_000_000
_POSITIONS = ("subject", "object")
# Token markers: objects, so that no JSON-derived token can ever equal them.
_FROZEN, _FROZEN_LIST, _FROZEN_JSON, _SCHEMED, _LIST, _STR, _INT = (object() for _ in range(7))
# A plain dict, emptied when full, not a cachetools cache: it is read for every object of
# every document signed or verified, where an LRU lookup (a Python call that reorders)
# costs more than computing the mask; the bound is all it needs.
_MASKS: dict[tuple[str, ...], tuple[bool, ...]] = {}
_MASKED_KEYS = 32  # objects with more keys are not memoised (bounds _MASKS by bytes)
_NEVER = itertools.repeat(False)


_SORTED = msgspec.json.Encoder(order="sorted")


def _freeze(value: Any) -> Any:
    if type(value) is str:
        return (_FROZEN, value)
    if type(value) is list and all(type(v) is str for v in value):
        return (_FROZEN_LIST, *value)
    # Sorted JSON text: an embedded @context (every credential has one) costs ~3 µs here,
    # json.dumps(sort_keys=True) ~25 µs.
    try:
        return (_FROZEN_JSON, _SORTED.encode(value).decode())
    except (OverflowError, TypeError):  # integers beyond 64 bits
        return (_FROZEN_JSON, json.dumps(value, sort_keys=True))


def _frozen_key(key: str) -> bool:
    return key in _FROZEN_KEYS or (key[:1] == "@" and key not in _WALKED_KEYWORDS)


def _is_leaf(value: Any) -> bool:
    kind = type(value)
    return (kind is str and value[:2] != "_:") or (kind is int and -_MAX_INT < value < _MAX_INT)


def _shape(node: Any, tokens: list[Any], leaves: list[Any]) -> None:
    """Append `node`'s shape to `tokens` and its abstracted leaves to `leaves`."""
    if type(node) is dict:
        keys = tuple(node)
        mask = _MASKS.get(keys)
        if mask is None:
            mask = tuple(_frozen_key(k) for k in keys)
            if len(keys) <= _MASKED_KEYS:  # credentials' objects; not any JSON sent to /verify
                if len(_MASKS) > 65536:
                    _MASKS.clear()
                _MASKS[keys] = mask
        tokens.append(keys)
        pairs = zip(mask, node.values(), strict=True)
    else:
        tokens.append((_LIST, len(node)))
        pairs = zip(_NEVER, node, strict=False)
    for frozen, value in pairs:
        if frozen:
            tokens.append(_freeze(value))
            continue
        kind = type(value)
        if kind is str:
            if ":" not in value:
                tokens.append(_STR)
                leaves.append(value)
            elif value[:2] == "_:":
                tokens.append((_FROZEN, value))
            else:
                scheme = _SCHEME.match(value)
                tokens.append((_SCHEMED, scheme.group(0)) if scheme else _STR)
                leaves.append(value)
        elif kind is dict or kind is list:
            _shape(value, tokens, leaves)
        elif kind is int and -_MAX_INT < value < _MAX_INT:
            tokens.append(_INT)
            leaves.append(value)
        else:
            tokens.append(_freeze(value))


def _rebuild(node: Any, values: list[Any], position: list[int]) -> Any:
    """`node` with its leaves (in `_shape` order) replaced by `values`."""
    kind = type(node)
    if kind is dict:
        return {
            k: v if _frozen_key(k) else _rebuild(v, values, position) for k, v in node.items()
        }
    if kind is list:
        return [_rebuild(v, values, position) for v in node]
    if _is_leaf(node):
        position[0] += 1
        return values[position[0] - 1]
    return node


@dataclass(slots=True)
class _Template:
    structural: tuple[int, ...]  # leaves whose real value is part of the key
    slots: tuple[int, ...]  # leaf index of each slot k
    iri_slots: tuple[int, ...]  # the slots k that are IRIs
    lines: list[list[Any]]  # per quad, pieces: text, blank node b (>= 0), slot ~k (< 0)
    bnode_lines: list[list[int]]  # per blank node, the quads it occurs in
    mergeable: list[list[tuple[int, tuple[Any, ...]]]]  # (quad, identity): may fill equal
    text: str  # all lines as one str.format template: {b} labels, then {n_bnodes + k} slots
    hashed: list[str]  # per blank node, its lines with _:a/_:z in place, {k} slots
    quads: list[tuple[Any, ...]]  # (graph, s, p, o, s slot, o slot), pyld's: for collisions
    problems: list[str]
    fallbacks: list[str]


@dataclass(slots=True)
class _Entry:
    structural: tuple[int, ...]
    variants: dict[tuple[Any, ...], _Template | None]
    weight: int  # estimated bytes of the key and the templates


# Estimated bytes held, measured on microcredentials (deep sizes): ~100 per shape token
# (the key tuple and its tokens) and ~1,300 per quad of a template (its lines, format
# strings and pyld's quad dicts), i.e. ~80 KB for a 60-quad microcredential.
_BYTES_PER_TOKEN = 100
_BYTES_PER_QUAD = 1400


def _key_weight(key: tuple[Any, ...]) -> int:
    """A shape key's size: its tokens, plus the text of frozen values (``@context``, types)."""
    text = 0
    for token in key:
        if type(token) is tuple:
            text += sum(len(part) for part in token if type(part) is str)
    return _BYTES_PER_TOKEN * len(key) + text


def _template_weight(template: _Template | None) -> int:
    if template is None:
        return 64
    text = len(template.text) + sum(map(len, template.hashed))
    return _BYTES_PER_QUAD * len(template.quads) + text


def _entry_weight(entry: _Entry) -> int:
    return entry.weight


def _itself(weight: int) -> int:
    return weight


class ShapeCache:
    """Templates per document shape, least recently used out first.

    Bounded by count (`max_shapes` shapes, 256 variants of one shape) and by estimated
    bytes (`max_bytes`, keys and templates together): `/verify` takes documents from anyone,
    and a template costs ~1.4 KB per quad. A shape weighing more than an eighth of the budget
    is never learnt: its documents always take the reference path.
    A shape is learnt (2 to 4 pyld runs) the second time it is seen, so a stream of
    one-off shapes, as `/verify` may receive, costs one reference run each.

    Two `cachetools.LRUCache`s sized in estimated bytes hold the tiers (keys seen once,
    learnt shapes). The admission policy around them is our own, because no cachetools
    policy has it: learn at second sight, never learn an oversized shape (`_big`), and one
    byte budget shared by both tiers in which the keys seen once are dropped first, so a
    stream of one-off shapes never evicts a learnt one (`_shrink`).
    One per process and not for sharing between threads (cachetools is not thread-safe):
    the server signs on its event loop, verification runs in worker processes.
    Counters: `hits` (served from a template), `misses` (pyld ran, to learn or on a
    first sighting), `collisions` (pyld's RDFC-1.0 on filled quads), `reference`
    (a template gave up: pyld from scratch).
    """

    def __init__(self, max_shapes: int = 4096, learn_at_first_sight: bool = False,
                 max_bytes: int = 32 * 2**20) -> None:
        self.max_shapes = max_shapes
        self.max_bytes = max_bytes
        self.learn_at_first_sight = learn_at_first_sight
        self._entries: LRUCache[tuple[Any, ...], _Entry] = LRUCache(
            max_bytes, getsizeof=_entry_weight)
        self._seen: LRUCache[tuple[Any, ...], int] = LRUCache(  # key: its weight
            max_bytes, getsizeof=_itself)
        self._big: FIFOCache[int, None] = FIFOCache(max_shapes)  # hashes of too-big shapes
        self._nonce = secrets.token_hex(4)
        self.hits = self.misses = self.collisions = self.reference = 0

    @property
    def weight(self) -> int:
        """Estimated bytes held (keys of shapes seen once, keys and templates of learnt ones)."""
        return int(self._seen.currsize + self._entries.currsize)

    def clear(self) -> None:
        self._entries.clear()
        self._seen.clear()
        self._big.clear()
        self.hits = self.misses = self.collisions = self.reference = 0

    def canonicalize(
        self, document: dict[str, Any], *, safe: bool = True, allow_vocab_fallback: bool = True
    ) -> str:
        """Same contract and same bytes as `canonicalize_reference`."""
        tokens: list[Any] = []
        leaves: list[Any] = []
        _shape(document, tokens, leaves)
        key = tuple(tokens)
        entry = self._entries.get(key)  # most recently used now
        template: _Template | None | bool = False
        if entry is not None:
            template = entry.variants.get(tuple([leaves[i] for i in entry.structural]), False)
        if template is False:
            self.misses += 1
            if entry is None and (hash(key) in self._big or (
                    not self.learn_at_first_sight and key not in self._seen)):
                self._see(key)
                return canonicalize_reference(
                    document, safe=safe, allow_vocab_fallback=allow_vocab_fallback
                )
            template = self._learn(key, entry, document, leaves)
        else:
            self.hits += 1
        if template is not None:
            if len(template.hashed) > MAX_BLANK_NODES:  # as the reference path refuses them
                raise TooComplex(f"the document has {len(template.hashed)} blank nodes; at most "
                                 f"{MAX_BLANK_NODES} are canonicalised")
            if safe:
                raise_if_unsafe(template.problems, template.fallbacks, allow_vocab_fallback)
            out = self._fill(template, leaves)
            if out is not None:
                return out
        self.reference += 1
        return canonicalize_reference(
            document, safe=safe, allow_vocab_fallback=allow_vocab_fallback
        )

    # -- keeping within bounds -----------------------------------------------------------

    def _see(self, key: tuple[Any, ...]) -> None:
        if hash(key) in self._big:
            return
        weight = _key_weight(key)
        if weight > self.max_bytes // 8:
            self._too_big(key)
            return
        self._seen[key] = weight
        self._shrink()

    def _too_big(self, key: tuple[Any, ...]) -> None:
        """Never learn this shape: its documents always take the reference path.

        Only its hash is kept; another shape with the same hash merely loses the fast path."""
        self._big[hash(key)] = None  # the oldest out beyond max_shapes

    def _shrink(self) -> None:
        """Drop the least recently used: shapes seen once first, then learnt ones (each
        LRUCache bounds its own bytes; the budget they share is kept here)."""
        while len(self._seen) > self.max_shapes or (
                self._seen and self.weight > self.max_bytes):
            self._seen.popitem()
        while len(self._entries) > self.max_shapes or (
                self._entries and self.weight > self.max_bytes):
            self._entries.popitem()

    # -- learning a shape --------------------------------------------------------------

    def _learn(
        self, key: tuple[Any, ...], entry: _Entry | None, document: Any, leaves: list[Any]
    ) -> _Template | None:
        template = self._build(document, leaves)
        weight = _template_weight(template)
        # A shape we cannot template goes to the reference from now on.
        structural = template.structural if template else ()
        if entry is None:
            seen = self._seen.pop(key, None)  # learnt now: the entry holds the key
            key_weight = seen if seen is not None else _key_weight(key)
            if key_weight + weight > self.max_bytes // 8:
                self._too_big(key)
                return template
            entry = self._entries[key] = _Entry(structural, {}, key_weight)
        elif entry.structural != structural:
            return template  # right for this document, keyed differently: not cached
        variant = tuple([leaves[i] for i in structural])
        if len(entry.variants) < 256 and variant not in entry.variants:
            entry.variants[variant] = template
            entry.weight += weight
            self._resize(key, entry)
        self._shrink()
        return template

    def _resize(self, key: tuple[Any, ...], entry: _Entry) -> None:
        """Store ``entry`` again so that its cache counts the bytes its new variant added."""
        try:
            self._entries[key] = entry
        except ValueError:  # grown past the whole budget: its documents go to the reference
            self._entries.pop(key, None)

    def _probe(self, i: int, value: Any) -> Any:
        if type(value) is not str:
            return _PROBE_INT + i
        scheme = _SCHEME.match(value)
        return f"{scheme.group(0) if scheme else ''}\ue000{self._nonce}.{i}\ue001"

    def _build(self, document: Any, leaves: list[Any]) -> _Template | None:
        probes = [self._probe(i, v) for i, v in enumerate(leaves)]
        slots = set(range(len(leaves)))
        for _ in range(4):
            values = [probes[i] if i in slots else leaves[i] for i in range(len(leaves))]
            expanded, dataset, problems, fallbacks = inspect_to_rdf(
                _rebuild(document, values, [0])
            )
            if '"@index"' in json.dumps(expanded):
                return None  # pyld keeps equal values with distinct @index: no set semantics
            found, bad = self._locate(dataset, probes, slots)
            if not bad:
                structural = tuple(i for i in range(len(leaves)) if i not in found)
                return _compile(dataset, found, structural, problems, fallbacks)
            slots -= bad
        return None

    def _locate(
        self, dataset: dict[str, list[dict[str, Any]]], probes: list[Any], slots: set[int]
    ) -> tuple[dict[int, list[tuple[str, int, str]]], set[int]]:
        """Where each probe landed: (graph, quad, position), and the probes that misbehaved."""
        pattern = re.compile(re.escape(f"\ue000{self._nonce}.") + r"(\d+)")
        lookup = {p if type(p) is str else str(p): i for i, p in enumerate(probes) if i in slots}
        found: dict[int, list[tuple[str, int, str]]] = {}
        kinds: dict[int, set[str]] = {}
        bad = {int(m) for m in pattern.findall(" ".join(dataset))}
        for graph, triples in dataset.items():
            for n, triple in enumerate(triples):
                for part in ("subject", "predicate", "object"):
                    component = triple[part]
                    i = lookup.get(component["value"])
                    if i is None:
                        bad.update(int(m) for m in pattern.findall(component["value"]))
                        bad.update(int(m) for m in pattern.findall(component.get("language", "")))
                        continue
                    if component["type"] == "literal" and part == "object" and (
                        component["datatype"] not in (XSD_DOUBLE, RDF_JSON)
                    ):
                        kinds.setdefault(i, set()).add("literal")
                    elif component["type"] == "IRI" and part in _POSITIONS and (
                        type(probes[i]) is str
                    ):
                        kinds.setdefault(i, set()).add("IRI")
                    else:
                        bad.add(i)
                    found.setdefault(i, []).append((graph, n, part))
        for i in slots:
            places, kind = found.get(i, []), kinds.get(i, set())
            if not places or len(kind) != 1 or (kind == {"literal"} and len(places) != 1):
                bad.add(i)
        return found, bad

    # -- filling a template ------------------------------------------------------------

    def _fill(self, template: _Template, leaves: list[Any]) -> str | None:
        """The canonical N-Quads, or None when only the reference can be trusted."""
        values = [leaves[i] for i in template.slots]
        if _NEEDS_ESCAPE.search("".join([v for v in values if type(v) is str])):
            rendered = [escape_literal(v) if type(v) is str else str(v) for v in values]
        else:
            rendered = [v if type(v) is str else str(v) for v in values]
        for k in template.iri_slots:
            scheme = _SCHEME.match(values[k])
            if scheme is None or not _PLAIN_IRI_TAIL.match(values[k], scheme.end(1) + 1):
                return None  # pyld would drop or mangle it; let the reference decide
            rendered[k] = values[k]
        text, hashed = template.text, template.hashed
        drop = _filled_equal(template.mergeable, rendered) if template.mergeable else None
        if drop:  # pyld's node map keeps one of equal values, and merges nodes sharing an IRI
            text, hashed = _formats(template.lines, template.bnode_lines, drop)
        n = len(hashed)
        labels = ["_:c14n0"] * n
        if n > 1:
            hashes = []
            for b, lines_b in enumerate(hashed):
                lines = lines_b.format(*rendered).split("\n")
                lines[-1:] = []
                lines.sort()
                lines.append("")
                hashes.append((hashlib.sha256("\n".join(lines).encode()).hexdigest(), b))
            hashes.sort()
            if any(hashes[k][0] == hashes[k + 1][0] for k in range(n - 1)):
                return self._collision(template, values)
            for rank, (_, b) in enumerate(hashes):
                labels[b] = f"_:c14n{rank}"
        lines = text.format(*labels, *rendered).split("\n")
        lines[-1:] = []
        if len(set(lines)) != len(lines):
            return None  # two quads filled equal in a way _filled_equal did not foresee
        lines.sort()
        lines.append("")
        return "\n".join(lines)

    def _collision(self, template: _Template, values: list[Any]) -> str:
        """pyld's full RDFC-1.0 over the filled quads (no JSON-LD expansion)."""
        self.collisions += 1
        dataset: dict[str, list[dict[str, Any]]] = {}
        seen: set[tuple[Any, ...]] = set()
        for graph, s, p, o, s_slot, o_slot in template.quads:
            if s_slot is not None:
                s = dict(s, value=values[s_slot])
            if o_slot is not None:
                value = values[o_slot]
                o = dict(o, value=value if type(value) is str else str(value))
            identity = (graph, s["value"], p["value"], o["type"], o["value"],
                        o.get("datatype"), o.get("language"))
            if identity not in seen:  # as in pyld's node map
                seen.add(identity)
                dataset.setdefault(graph, []).append(
                    {"subject": dict(s), "predicate": dict(p), "object": dict(o)}
                )
        return rdfc_dataset(dataset)


def _filled_equal(mergeable: list[list[tuple[int, tuple[Any, ...]]]], rendered: list[str]
                  ) -> set[int]:
    """The quads that filled equal to an earlier quad."""
    drop: set[int] = set()
    for group in mergeable:
        seen: set[tuple[Any, ...]] = set()
        for quad, ident in group:
            filled = tuple([x if type(x) is str else rendered[~x] for x in ident])
            if filled in seen:
                drop.add(quad)
            seen.add(filled)
    return drop


def _formats(
    lines: list[list[Any]], bnode_lines: list[list[int]], drop: set[int] = frozenset()
) -> tuple[str, list[str]]:
    """str.format templates of the whole document and of each blank node's quads."""
    n = len(bnode_lines)

    def fmt(pieces: list[Any], bnode: Any, first_slot: int) -> str:
        return "".join(
            p.replace("{", "{{").replace("}", "}}") if type(p) is str
            else bnode(p) if p >= 0 else f"{{{first_slot + ~p}}}"
            for p in pieces
        )

    text = "".join(fmt(q, "{{{}}}".format, n) for i, q in enumerate(lines) if i not in drop)
    hashed = [
        "".join(fmt(lines[i], lambda x, b=b: "_:a" if x == b else "_:z", 0)
                for i in quads if i not in drop)
        for b, quads in enumerate(bnode_lines)
    ]
    return text, hashed


def _compile(
    dataset: dict[str, list[dict[str, Any]]],
    found: dict[int, list[tuple[str, int, str]]],
    structural: tuple[int, ...],
    problems: list[str],
    fallbacks: list[str],
) -> _Template:
    slots = tuple(sorted(found))
    slot_at = {place: ~k for k, leaf in enumerate(slots) for place in found[leaf]}
    bnodes: dict[str, int] = {}
    iri_slots: set[int] = set()

    def term(component: dict[str, Any], place: tuple[str, int, str]) -> tuple[list[Any], Any]:
        """Pieces and identity of one quad position: text, ("b", blank node), or slot ~k."""
        slot = slot_at.get(place)
        if component["type"] == "blank node":
            b = bnodes.setdefault(component["value"], len(bnodes))
            return [b], ("b", b)
        if component["type"] == "IRI":
            if slot is not None:
                iri_slots.add(~slot)
                return ["<", slot, ">"], slot
            return [f"<{component['value']}>"], component["value"]
        suffix = _literal_suffix(component)
        if slot is not None:
            return ['"', slot, '"' + suffix], slot
        text = escape_literal(component["value"])
        return [f'"{text}"{suffix}'], text

    lines: list[list[Any]] = []
    quads: list[tuple[Any, ...]] = []
    groups: dict[tuple[Any, ...], list[tuple[int, tuple[Any, ...], bool]]] = {}
    for graph, triples in dataset.items():
        g: list[Any] = []
        if graph != "@default":
            kind = "blank node" if graph.startswith("_:") else "IRI"
            g = [" ", *term({"type": kind, "value": graph}, (graph, -1, "graph"))[0]]
        for n, triple in enumerate(triples):
            s, p, o = triple["subject"], triple["predicate"], triple["object"]
            s_pieces, s_id = term(s, (graph, n, "subject"))
            o_pieces, o_id = term(o, (graph, n, "object"))
            # Quads can only fill equal within a group: same graph, predicate, blank nodes,
            # datatype and language; then it is up to the filled text.
            group = (graph, p["value"], s_id if type(s_id) is tuple else "",
                     o_id if type(o_id) is tuple else "", o.get("datatype"), o.get("language"))
            ident = tuple(x for x in (s_id, o_id) if type(x) is not tuple)
            groups.setdefault(group, []).append((len(lines), ident, any(
                type(x) is int for x in ident)))
            lines.append(_merge([*s_pieces, f" <{p['value']}> ", *o_pieces, *g, " .\n"]))
            s_slot, o_slot = slot_at.get((graph, n, "subject")), slot_at.get((graph, n, "object"))
            quads.append((graph, s, p, o, None if s_slot is None else ~s_slot,
                          None if o_slot is None else ~o_slot))
    mergeable = [
        [(index, ident) for index, ident, _ in members]
        for members in groups.values()
        if len(members) > 1 and any(has_slot for _, _, has_slot in members)
    ]
    bnode_lines: list[list[int]] = [[] for _ in bnodes]
    for i, pieces in enumerate(lines):
        for b in sorted({p for p in pieces if type(p) is int and p >= 0}):
            bnode_lines[b].append(i)
    text, hashed = _formats(lines, bnode_lines)
    return _Template(
        structural, slots, tuple(sorted(iri_slots)), lines, bnode_lines, mergeable, text,
        hashed, quads, problems, fallbacks,
    )


def _literal_suffix(o: dict[str, Any]) -> str:
    if o["datatype"] == RDF_LANGSTRING:
        return f"@{o['language']}" if o.get("language") else ""
    return "" if o["datatype"] == XSD_STRING else f"^^<{o['datatype']}>"


def _merge(pieces: list[Any]) -> list[Any]:
    out: list[Any] = []
    for p in pieces:
        if type(p) is str and out and type(out[-1]) is str:
            out[-1] += p
        else:
            out.append(p)
    return out


SHAPES = ShapeCache()


def canonicalize(
    document: dict[str, Any], *, safe: bool = True, allow_vocab_fallback: bool = True
) -> str:
    """RDFC-1.0 N-Quads of `document`: the fast path, byte-identical to the reference."""
    return SHAPES.canonicalize(document, safe=safe, allow_vocab_fallback=allow_vocab_fallback)
