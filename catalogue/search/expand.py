"""Query expansion: each term of a parsed query becomes a group of alternatives.

An alternative is one way a group may match: the term as typed (a prefix on the last
word), its compound parts, its glossary translations and related phrases, a typo
correction, a derived form. Each carries its ``source``, which ``catalogue.search.match``
discounts; how groups combine is ``catalogue.search.soft``'s rule. Pure: nothing here
touches the database.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from catalogue.search.text import (
    STOPWORDS,
    ParsedQuery,
    Term,
    split_compound,
    tokenize,
)

if TYPE_CHECKING:
    from catalogue.search.glossary import Glossary

__all__ = ["MAX_ALTERNATIVES", "Alternative", "Expansion", "Group", "Source", "expand_terms"]

MAX_ALTERNATIVES = 12

Source = Literal["query", "compound", "glossary", "typo", "related"]


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way to match a group: all ``words`` (adjacent, in order, when ``adjacent``)."""

    words: tuple[str, ...]
    adjacent: bool = False
    prefix: bool = False  # the last word matches as a prefix
    source: Source = "query"
    loose: bool = False  # some of ``words`` suffice, scored by the share met (compound parts)


@dataclass(frozen=True, slots=True)
class Group:
    """What one user term (or OR-list, or multiword glossary phrase) may match.

    ``strict``: the user marked it (a quoted phrase, an ``OR`` list), so a course must match
    it; other groups are soft (see ``catalogue.search.match``). ``generic``: a word that
    names a kind of offer rather than a subject ("opleiding", "course"), from the glossary.
    """

    text: str
    alternatives: tuple[Alternative, ...]
    strict: bool = False
    generic: bool = False


@dataclass(frozen=True, slots=True)
class Expansion:
    """A document must match none of ``excluded``; how ``groups`` combine is the search's
    rule (strict groups all, soft ones ranked by how many and how telling)."""

    groups: tuple[Group, ...] = ()
    excluded: tuple[Alternative, ...] = ()

    def key(self) -> tuple[object, ...]:
        """The expansion as nested tuples of strings and booleans, for cache keys: such
        tuples leave the cyclic collector's walk, where 2,048 cached expansions (a dozen
        dataclass objects each) made a full collection walk ~28,000 objects more."""
        return (tuple((g.text, g.strict, g.generic, tuple(map(_alternative_key, g.alternatives)))
                      for g in self.groups), tuple(map(_alternative_key, self.excluded)))


def _alternative_key(alt: Alternative) -> tuple[object, ...]:
    return alt.words, alt.adjacent, alt.prefix, alt.source, alt.loose


class _Splitter:
    """Membership in the catalogue's vocabulary ∪ the glossary's, and memoised splits."""

    def __init__(self, vocabulary: Container[str], glossary_vocabulary: Container[str]) -> None:
        self.first, self.second = vocabulary, glossary_vocabulary
        self.memo: dict[str, tuple[str, ...]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self.first or word in self.second

    def split(self, word: str) -> tuple[str, ...]:
        parts = self.memo.get(word)
        if parts is None:
            if len(self.memo) >= 100_000:
                self.memo.clear()
            parts = self.memo[word] = tuple(split_compound(word, self))
        return parts


_shared: tuple[frozenset[str], Glossary, _Splitter] | None = None


def _splitter(vocabulary: Collection[str], glossary: Glossary) -> _Splitter:
    # The memo is kept across calls only for a frozenset: a mutable set could change under it.
    global _shared
    if _shared and _shared[0] is vocabulary and _shared[1] is glossary:
        return _shared[2]
    splitter = _Splitter(vocabulary, glossary.vocabulary)
    if isinstance(vocabulary, frozenset):
        _shared = (vocabulary, glossary, splitter)
    return splitter


def expand_terms(
    parsed: ParsedQuery,
    glossary: Glossary,
    vocabulary: Collection[str] = frozenset(),
    *,
    corrections: Mapping[str, Sequence[str]] | None = None,
    keep_apart: Collection[tuple[str, ...]] = (),
    loose: Collection[str] = (),
) -> Expansion:
    """Alternatives per user term, so the search can match ``(term | alt1 | alt2)``.

    Rules, in the order alternatives are listed:
    - the term itself (a phrase stays adjacent, the last word keeps its prefix flag);
    - consecutive plain words that form a glossary phrase ("wound care") become one group
      whose own alternative is those words ANDed (stopwords dropped);
    - a hyphenated term also matches its words written together ("wond-zorg" → "wondzorg");
    - compound parts, ANDed ("wondzorg" → wond & zorg), split with ``vocabulary`` ∪ the
      glossary's words; the search documents must be decompounded the same way;
    - the Dutch -ie/-isch(e) counterpart when the vocabulary knows it (filosofie →
      filosofische);
    - glossary translations and synonyms of the term (inflected forms tolerated); their
      words are ANDed, not a phrase, as titles split them ("kerkelijk straf- en
      procesrecht" for canon law); each single-word one is also split into compound parts
      and given its -ie/-isch counterpart;
      for a prefix term without an exact entry, those of up to three entries it begins;
    - ``corrections`` (e.g. trigram matches from the database) and their translations.
    Quoted phrases are literal: no alternatives. Phrases in ``keep_apart`` are not merged
    into one glossary group, and the compound parts of words in ``loose`` match loosely
    (some parts suffice): both for a retry after they met nothing as a whole. A group made only of stopwords is dropped
    unless every group is. Each group keeps at most ``MAX_ALTERNATIVES`` alternatives.
    """
    vocab = _splitter(vocabulary, glossary)
    fixes = corrections or {}
    groups, content = [], []
    for terms, merged in _merge_glossary_phrases(parsed.groups, glossary, keep_apart):
        alternatives: dict[Alternative, None] = {}
        for term in terms:
            for alt in _alternatives(term, merged, glossary, vocab, fixes, loose):
                alternatives.setdefault(alt)
        text = " OR ".join(" ".join(t.words) for t in terms)
        strict = len(terms) > 1 or any(t.quoted for t in terms)
        generic = not strict and all(_generic(t, glossary, fixes) for t in terms)
        groups.append(Group(text, tuple(alternatives)[:MAX_ALTERNATIVES], strict, generic))
        if not all(_is_stopword(t, glossary) for t in terms):
            content.append(groups[-1])
    excluded = tuple(Alternative(t.words, adjacent=len(t.words) > 1) for t in parsed.excluded)
    return Expansion(tuple(content or groups), excluded)


def _generic(term: Term, glossary: Glossary, fixes: Mapping[str, Sequence[str]]) -> bool:
    """A filler, as typed or as every typo correction of it reads ("opleidnig")."""
    if glossary.is_generic(term.words):
        return True
    found = fixes.get(term.words[0], ()) if len(term.words) == 1 else ()
    return bool(found) and all(glossary.is_generic(tuple(tokenize(f))) for f in found)


def _is_stopword(term: Term, glossary: Glossary | None = None) -> bool:
    """Only stop words; "IT" in capitals with a glossary entry is an abbreviation instead."""
    if term.capitals and glossary is not None and glossary.lookup(term.words):
        return False
    return not term.quoted and all(w in STOPWORDS for w in term.words)


def _merge_glossary_phrases(
    groups: Sequence[tuple[Term, ...]], glossary: Glossary,
    keep_apart: Collection[tuple[str, ...]] = (),
) -> list[tuple[tuple[Term, ...], bool]]:
    """Greedy longest match of glossary phrases over runs of plain single-word groups."""
    out: list[tuple[tuple[Term, ...], bool]] = []
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + glossary.max_words), i + 1, -1):
            run = groups[i:j]
            if all(len(g) == 1 and not g[0].quoted and len(g[0].words) == 1 for g in run):
                words = tuple(g[0].words[0] for g in run)
                if words not in keep_apart and glossary.lookup(words):
                    out.append(((Term(words, prefix=run[-1][0].prefix),), True))
                    i = j
                    break
        else:
            out.append((groups[i], False))
            i += 1
    return out


def _alternatives(
    term: Term,
    merged: bool,
    glossary: Glossary,
    vocabulary: _Splitter,
    corrections: Mapping[str, Sequence[str]],
    loose: Collection[str] = (),
) -> list[Alternative]:
    words = term.words
    if term.quoted:
        return [Alternative(words, adjacent=len(words) > 1)]
    if merged:
        content = tuple(w for w in words if w not in STOPWORDS) or words
        out = [Alternative(content, prefix=term.prefix and content[-1] == words[-1])]
    else:
        out = [Alternative(words, adjacent=len(words) > 1, prefix=term.prefix)]
    if len(words) > 1 and not merged:
        out.append(Alternative(("".join(words),), prefix=term.prefix, source="compound"))
    if len(words) == 1:
        parts = vocabulary.split(words[0])
        if parts:
            out.append(Alternative(tuple(parts), prefix=term.prefix, source="compound",
                                   loose=words[0] in loose))
        out += [Alternative((d,), source="compound") for d in _derived(words[0], vocabulary)]
    translations = _translations(words, term.prefix, glossary, vocabulary)
    out += translations
    for alt in translations:
        if len(alt.words) == 1:
            derived = _derived(alt.words[0], vocabulary)
            out += [Alternative((d,), source="glossary") for d in derived]
    if len(words) == 1:
        for fixed in corrections.get(words[0], ()):
            fixed_words = tuple(tokenize(fixed))
            if fixed_words:
                out.append(Alternative(fixed_words, adjacent=len(fixed_words) > 1, source="typo"))
                out += _translations(fixed_words, False, glossary, vocabulary)
    return out


def _translations(
    words: tuple[str, ...], prefix: bool, glossary: Glossary, vocabulary: _Splitter
) -> list[Alternative]:
    phrases = glossary.translations(words)
    if not phrases and prefix and len(words) == 1:
        phrases = glossary.prefix_translations(words[0], limit=3)
    out = []
    # Stop words are not indexed: "dieren in de hulpverlening" must match dieren & hulpverlening.
    phrases = [tuple(w for w in p if w not in STOPWORDS) or p for p in phrases]
    for phrase in phrases:
        out.append(Alternative(phrase, source="glossary"))
        if len(phrase) == 1:
            parts = vocabulary.split(phrase[0])
            if parts:
                out.append(Alternative(tuple(parts), source="glossary"))
    for phrase in glossary.related(words):
        for variant in (phrase, *glossary.translations(phrase)):
            kept = tuple(w for w in variant if w not in STOPWORDS) or variant
            out.append(Alternative(kept, source="related"))
    return out


def _derived(word: str, vocabulary: Container[str]) -> list[str]:
    """Dutch noun in -ie ↔ adjective in -isch(e) (seksuologie ↔ seksuologische), if known."""
    if word.endswith("ie"):
        candidates = [word[:-2] + "isch", word[:-2] + "ische"]
    elif word.endswith(("isch", "ische")):
        candidates = [word[: word.rindex("isch")] + "ie"]
    else:
        return []
    return [c for c in candidates if len(c) >= 6 and c in vocabulary]
