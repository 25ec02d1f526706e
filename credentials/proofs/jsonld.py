"""Offline JSON-LD for credentials: the bundled contexts and a strict expansion.

pyld never touches the network here. `LOADER` serves the files of
`schemas/contexts/` (mapping in `CONTEXT_FILES`) and raises for every other URL.
Its results are tagged `static`, so pyld keeps each resolved context in its
process-wide cache instead of re-resolving it per document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyld import jsonld

__all__ = [
    "CONTEXTS_DIR",
    "CONTEXT_FILES",
    "LOADER",
    "MICROCREDENTIAL_CONTEXT_URL",
    "VOCAB_FALLBACK_PREFIXES",
    "ContextNotBundled",
    "UnsafeDocument",
    "context_document",
    "expand_strict",
    "json_ld_options",
    "inspect_expansion",
    "inspect_to_rdf",
    "safety_problems",
]

MICROCREDENTIAL_CONTEXT_URL = "https://academy.kuleuven.be/contexts/microcredential/v1"

CONTEXTS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "contexts"

CONTEXT_FILES: dict[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "bitstring-status-list-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    MICROCREDENTIAL_CONTEXT_URL: "microcredential-v1.jsonld",
}

# Namespaces that only a catch-all `@vocab` produces: a term landing there was
# never defined by a real vocabulary.
VOCAB_FALLBACK_PREFIXES = (
    "https://www.w3.org/ns/credentials/issuer-dependent#",
    "https://www.w3.org/ns/credentials/undefined-term#",
    "https://www.w3.org/ns/credentials/examples#",
)


class ContextNotBundled(LookupError):
    """A document referenced a context URL we do not serve offline."""


class UnsafeDocument(ValueError):
    """Expansion would drop or leave undefined some of the document's data.

    Such data would not be covered by a signature. `problems` names each one.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _BundledLoader:
    def __init__(self, directory: Path, files: dict[str, str]) -> None:
        self._texts = {url: (directory / name).read_bytes() for url, name in files.items()}

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        text = self._texts.get(url)
        if text is None:
            # Raised as pyld's own error type so pyld wraps it the usual way.
            raise jsonld.JsonLdError(
                f"context {url!r} is not bundled; refusing to fetch it",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading document failed",
            ) from ContextNotBundled(url)
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            # A fresh parse each time: pyld may rewrite context URLs in place.
            "document": json.loads(text),
            "tag": "static",
        }

    def text(self, url: str) -> bytes:
        try:
            return self._texts[url]
        except KeyError:
            raise ContextNotBundled(url) from None


LOADER = _BundledLoader(CONTEXTS_DIR, CONTEXT_FILES)


def context_document(url: str) -> bytes:
    """The exact bytes of a bundled context (to serve it over HTTP)."""
    return LOADER.text(url)


def json_ld_options(**extra: Any) -> dict[str, Any]:
    return {"documentLoader": LOADER, "base": None, **extra}


def _is_absolute_iri(value: str) -> bool:
    scheme, colon, _ = value.partition(":")
    return bool(colon) and scheme[:1].isalpha() and all(
        c.isalnum() or c in "+-." for c in scheme
    ) and not any(c.isspace() or c in _NOT_IN_IRI for c in value)


_NOT_IN_IRI = frozenset('<>"{}|^`\\\x7f') | {chr(c) for c in range(0x20)}


def _check_iri(value: str, what: str, problems: list[str], fallbacks: list[str] | None) -> None:
    if value.startswith("_:"):
        return
    if not _is_absolute_iri(value):
        problems.append(f"{what} {value!r} is not an absolute IRI")
    elif fallbacks is not None and value.startswith(VOCAB_FALLBACK_PREFIXES):
        fallbacks.append(f"{what} {value!r} is only defined by a catch-all @vocab")


def _walk(node: Any, problems: list[str], fallbacks: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, problems, fallbacks)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if isinstance(datatype, str) and datatype != "@json":
            _check_iri(datatype, "datatype", problems, fallbacks)
        return
    for key, value in node.items():
        if key == "@id":
            _check_iri(value, "@id", problems, None)  # any IRI may name a node
        elif key == "@type":
            for type_ in value if isinstance(value, list) else [value]:
                _check_iri(type_, "type", problems, fallbacks)
        elif key.startswith("@"):
            _walk(value, problems, fallbacks)
        else:
            _check_iri(key, "property", problems, fallbacks)
            _walk(value, problems, fallbacks)


def _json_problems(node: Any, path: str, problems: list[str]) -> None:
    if node is None:
        problems.append(f"{path or '/'} is null and would be dropped")
    elif type(node) is int and abs(node) > 2**53:
        problems.append(f"{path or '/'} is an integer beyond 2^53 (JavaScript reads a double)")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "@context":
                _json_problems(value, f"{path}/{key}", problems)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _json_problems(value, f"{path}/{i}", problems)


def safety_problems(
    document: dict[str, Any], *, allow_vocab_fallback: bool = False
) -> tuple[list[Any], list[str]]:
    """Expand `document`; return the expansion and everything it lost or left undefined.

    Mirrors jsonld.js "safe mode": a property whose term no context defines
    (pyld drops it silently), a null value, a relative `@id`, `@type` or
    property IRI; and an integer beyond 2^53, which JavaScript would sign as a
    different number. Unless `allow_vocab_fallback`, an IRI minted by a catch-all
    `@vocab` (the W3C examples context, VC "issuer-dependent"/"undefined-term")
    counts as undefined too.
    """
    expanded, problems, fallbacks = inspect_expansion(document)
    return expanded, problems if allow_vocab_fallback else problems + fallbacks


def inspect_expansion(document: Any) -> tuple[list[Any], list[str], list[str]]:
    """Expand `document`: (expansion, losses, IRIs minted by a catch-all `@vocab`)."""
    expanded, problems, fallbacks, _ = _inspect(document, to_rdf=False)
    return expanded, problems, fallbacks


def inspect_to_rdf(
    document: Any,
) -> tuple[list[Any], dict[str, list[Any]], list[str], list[str]]:
    """Expansion and pyld RDF dataset of `document` (one expansion), losses, catch-all IRIs."""
    expanded, problems, fallbacks, dataset = _inspect(document, to_rdf=True)
    return expanded, dataset, problems, fallbacks


class _Processor(jsonld.JsonLdProcessor):
    """Keeps the expansion that `to_rdf` computes internally, so it runs only once."""

    expanded: list[Any]

    def expand(self, input_: Any, options: dict[str, Any]) -> list[Any]:
        self.expanded = super().expand(input_, options)
        return self.expanded


def _inspect(document: Any, to_rdf: bool) -> tuple[list[Any], list[str], list[str], Any]:
    problems: list[str] = []
    fallbacks: list[str] = []

    def dropped(term: str | None) -> None:
        problems.append(f"term {term!r} is not defined by any context")

    _json_problems(document, "", problems)
    processor = _Processor(on_property_dropped=dropped)
    dataset = None
    if to_rdf:
        dataset = processor.to_rdf(document, json_ld_options())
    else:
        processor.expand(document, json_ld_options())
    _walk(processor.expanded, problems, fallbacks)
    return processor.expanded, problems, fallbacks, dataset


def expand_strict(
    document: dict[str, Any], *, allow_vocab_fallback: bool = False
) -> list[Any]:
    """Expand `document` with the bundled contexts; raise `UnsafeDocument` on any loss."""
    expanded, problems = safety_problems(document, allow_vocab_fallback=allow_vocab_fallback)
    if problems:
        raise UnsafeDocument(problems)
    return expanded

