"""The curated nl↔en glossary (``catalogue/search/data/nl-en.v<N>.json``) and its coverage.

Note: the data lives in the folder ``catalogue/search/data/``, which has no ``__init__.py`` on
purpose, so ``catalogue.search.glossary`` always resolves to this module.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated

import msgspec

from catalogue.search.text import STOPWORDS, split_compound, tokenize, vocabulary_from_titles
from catalogue.structs import OutStruct
from catalogue.wire import Struct

__all__ = [
    "GLOSSARY_PATH",
    "Coverage",
    "Entry",
    "Glossary",
    "glossary_coverage",
    "load_glossary",
]

GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "nl-en.v2.json"

_Phrases = Annotated[list[Annotated[str, msgspec.Meta(min_length=1)]], msgspec.Meta(min_length=1)]

# (suffix, replacement) tried on the last word when the exact form has no entry:
# palliatieve→palliatief, interreligieuze→interreligieus, stoornissen→stoornis, studies→study.
_VARIANTS = (
    ("ieve", "ief"), ("uze", "us"), ("ssen", "s"), ("ies", "y"), ("ies", "ie"),
    ("en", ""), ("es", ""), ("s", ""), ("e", ""), ("", "e"), ("", "en"), ("", "s"),
)


class Entry(Struct, frozen=True):
    """One concept in both languages; ``related`` are narrower or neighbouring subjects the
    catalogue offers instead (an abbreviation such as EHBO with no course of its own)."""

    nl: _Phrases
    en: _Phrases
    domain: str
    related: list[str] = []


class _File(Struct):
    version: str
    entries: list[Entry]
    compound_parts: list[str] = []
    generic: list[str] = []


class Glossary:
    """Entries indexed by their folded phrases (both languages).

    ``vocabulary`` holds the single folded words of all phrases plus the file's
    ``compound_parts`` (stems such as "verpleeg" that occur only inside compounds); it is
    what compound splitting uses next to the catalogue's own title words.
    """

    def __init__(
        self, version: str, entries: Sequence[Entry], compound_parts: Iterable[str] = (),
        generic: Iterable[str] = (),
    ) -> None:
        self.version = version
        self.generic = frozenset(k for k in map(_key, generic) if k)
        self.entries = tuple(entries)
        self._index: dict[tuple[str, ...], list[int]] = {}
        self._phrases: list[tuple[tuple[str, ...], ...]] = []
        for i, entry in enumerate(self.entries):
            keys = tuple(dict.fromkeys(k for k in map(_key, (*entry.nl, *entry.en)) if k))
            self._phrases.append(keys)
            for key in keys:
                self._index.setdefault(key, []).append(i)
        self.max_words = max((len(k) for k in self._index), default=1)
        self.words = frozenset(w for key in self._index for w in key)
        parts = {w for p in compound_parts for w in tokenize(p)}
        self.vocabulary = frozenset(
            w for w in self.words | parts if len(w) >= 3 and w.isalpha() and w not in STOPWORDS
        )
        self._singles = sorted(k[0] for k in self._index if len(k) == 1)
        self._heads = {k[:-1] for k in self._index if len(k) > 1}

    def __len__(self) -> int:
        return len(self.entries)

    def is_generic(self, words: Sequence[str]) -> bool:
        """A word or phrase that names a kind of offer or a search habit, not a subject
        ("opleiding", "postgraduate programme", "ik zoek"); inflections tolerated."""
        key = tuple(words)
        return any(k in self.generic for k in (key, *_variants(key))) if key else False

    def lookup(self, words: Sequence[str]) -> list[Entry]:
        """Entries holding this folded phrase, or else a variant inflection of its last word."""
        return [self.entries[i] for i in self._ids(tuple(words))]

    def translations(self, words: Sequence[str]) -> list[tuple[str, ...]]:
        """Every other phrase (either language) of the entries ``lookup`` finds, in file order."""
        key = tuple(words)
        ids = self._ids(key)
        found = (p for i in ids for p in self._phrases[i] if p != key)
        return list(dict.fromkeys(found))

    def related(self, words: Sequence[str]) -> list[tuple[str, ...]]:
        """The ``related`` phrases of the entries ``lookup`` finds (folded), in file order."""
        found = (k for i in self._ids(tuple(words)) for k in map(_key, self.entries[i].related) if k)
        return list(dict.fromkeys(found))

    def prefix_translations(self, prefix: str, limit: int = 3) -> list[tuple[str, ...]]:
        """Translations of the ``limit`` shortest single-word keys that ``prefix`` begins.

        Phrases that themselves start with ``prefix`` are left out: a prefix match on the
        typed word already finds them.
        """
        if len(prefix) < 4:
            return []
        start = bisect_left(self._singles, prefix)
        keys = []
        for word in self._singles[start:]:
            if not word.startswith(prefix):
                break
            keys.append(word)
        keys.sort(key=lambda w: (len(w), w))
        found = (
            p
            for word in keys[:limit]
            for i in self._index[(word,)]
            for p in self._phrases[i]
            if not p[0].startswith(prefix)
        )
        return list(dict.fromkeys(found))

    def _ids(self, key: tuple[str, ...]) -> list[int]:
        if not key or (len(key) > 1 and key[:-1] not in self._heads):
            return []
        for candidate in (key, *_variants(key)):
            if candidate in self._index:
                return self._index[candidate]
        return []


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase))


def _variants(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    last = key[-1]
    out = []
    for suffix, replacement in _VARIANTS:
        if last.endswith(suffix) and len(last) - len(suffix) >= 3:
            out.append((*key[:-1], last[: len(last) - len(suffix)] + replacement))
    return out


def load_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    """Read and validate a glossary file; build it once and share it."""
    data = msgspec.json.decode(path.read_bytes(), type=_File)
    return Glossary(data.version, data.entries, data.compound_parts, data.generic)


class Coverage(OutStruct, frozen=True):
    """How much of a title vocabulary the glossary can translate (distinct folded words).

    ``covered``: the word has an entry (inflections tolerated) or occurs in some phrase.
    ``covered_with_compounds`` adds compounds whose every part is covered.
    """

    words: int
    covered: int
    covered_with_compounds: int
    uncovered: tuple[str, ...]

    @property
    def fraction(self) -> float:
        return self.covered / self.words if self.words else 1.0

    @property
    def fraction_with_compounds(self) -> float:
        return self.covered_with_compounds / self.words if self.words else 1.0


def glossary_coverage(titles: Iterable[str], glossary: Glossary) -> Coverage:
    titles = list(titles)
    words = sorted(
        {w for t in titles for w in tokenize(t) if w.isalpha() and len(w) > 1} - STOPWORDS
    )
    vocabulary = vocabulary_from_titles(titles) | glossary.vocabulary

    def known(word: str) -> bool:
        return word in glossary.words or bool(glossary.lookup((word,)))

    direct = {w for w in words if known(w)}
    via_parts = {
        w
        for w in words
        if w not in direct and (parts := split_compound(w, vocabulary)) and all(map(known, parts))
    }
    uncovered = tuple(w for w in words if w not in direct and w not in via_parts)
    return Coverage(words=len(words), covered=len(direct),
                    covered_with_compounds=len(direct) + len(via_parts), uncovered=uncovered)
