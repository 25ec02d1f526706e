"""Pure text processing behind catalogue search: folding, query parsing, Dutch compounds,
and query expansion.

Nothing here touches the database. The search layer calls, per request::

    parsed = parse_query(q)
    expansion = expand_terms(parsed, glossary, vocabulary)   # catalogue.search.expand

and evaluates the expansion's groups over the in-process index (``catalogue.search.match``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_TERMS", "STOPWORDS", "ParsedQuery", "Term", "decompound", "fold", "parse_query",
    "split_compound", "tokenize", "vocabulary_from_titles",
]

MAX_TERMS = 32  # bounds the groups (and exclusions) a single request makes the index evaluate
MIN_PREFIX = 3  # a shorter last word is matched whole: 'a':* would touch half the index
MAX_COMPOUND = 48

_STOPWORD_TEXT = """
    aan af al als bij binnen dan dat de der des die dit door een en er het hier hoe in is je
    met mijn na naar niet noch nu of om onder ook op over te tegen tot uit van vanuit via voor
    wat wie zij zijn zo
    a an and are as at be by for from how in into is it its of on or over the their this
    to via what when who with
    """
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_EXTRA_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (straight or typographic quotes; an unclosed one runs to the end) or a bare chunk.
_CHUNK = re.compile(r'(?P<neg>-?)["“”„](?P<quoted>[^"“”„]*)["“”„]?|(?P<bare>[^\s"“”„]+)')
# Inside a bare chunk, hyphens and apostrophes join words into one phrase ("front-end").
_JOINED = re.compile(r"[^\W_]+(?:[-‐‑'’][^\W_]+)*")
_LINKERS = ("s", "en", "e")  # Dutch linking elements between compound parts
_INFLECTIONS = ("en", "s", "e")  # tolerated on the last part of a compound


def fold(text: str) -> str:
    """Lowercase and strip accents (é→e, ï→i, ß→ss), close to PostgreSQL's lower(unaccent())."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.lower().translate(_EXTRA_FOLDS)


def tokenize(text: str) -> list[str]:
    """Folded words: runs of letters and digits; everything else separates."""
    return _WORD.findall(fold(text))


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One thing the user typed: a word, or a phrase (quoted, or joined by hyphens)."""

    words: tuple[str, ...]
    quoted: bool = False
    prefix: bool = False  # last word of the query, still being typed
    capitals: bool = False  # typed in capitals in a query that is not: an abbreviation ("IT")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """``groups`` are ANDed; the terms inside one group were joined by ``OR``."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.excluded

    def words(self) -> list[str]:
        """The positive words in order, e.g. for typo look-ups or ``did_you_mean``."""
        return [w for group in self.groups for term in group for w in term.words]


def _terms_of_chunk(chunk: str, shouting: bool = False) -> list[Term]:
    return [Term(tuple(words), capitals=not shouting and len(joined) > 1 and joined.isupper())
            for joined in _JOINED.findall(chunk) if (words := tokenize(joined))]


def parse_query(q: str) -> ParsedQuery:
    """Parse web-search syntax; never raises.

    Words and phrases are ANDed; ``"..."`` is an exact phrase (an unclosed quote runs to the
    end); ``-word`` or ``-"a phrase"`` excludes; an uppercase ``OR`` between two terms makes
    them alternatives. Anything else (``'``, ``&``, ``|``, ``!``, ``:*``, ``\\``, ``(``) only
    separates words. The last word gets prefix matching when the query does not end in a
    space or punctuation and the word has at least three characters.
    """
    items: list[Term | str] = []
    excluded: list[Term] = []
    last_bare_end = -1
    for m in _CHUNK.finditer(q):
        if m.group("quoted") is not None:
            words = tuple(tokenize(m.group("quoted")))
            if words:
                term = Term(words, quoted=True)
                (excluded.append(term) if m.group("neg") else items.append(term))
            continue
        bare = m.group("bare")
        if bare == "OR":
            items.append("OR")
            continue
        negative = bare.startswith("-")
        terms = _terms_of_chunk(bare.lstrip("-") if negative else bare, q.isupper())
        if negative:
            excluded.extend(terms)
        elif terms:
            items.extend(terms)
            last_bare_end = m.end()
    typing_on = bool(q) and unicodedata.category(q[-1])[0] in "LNM"
    if items and last_bare_end == len(q) and typing_on and isinstance(items[-1], Term):
        last = items[-1]
        if len(last.words[-1]) >= MIN_PREFIX:
            items[-1] = Term(last.words, prefix=True, capitals=last.capitals)
    return ParsedQuery(_group_or(items), tuple(dict.fromkeys(excluded))[:MAX_TERMS])


def _group_or(items: Sequence[Term | str]) -> tuple[tuple[Term, ...], ...]:
    groups: list[tuple[Term, ...]] = []
    joining = False
    for item in items:
        if item == "OR":
            joining = bool(groups)
        elif isinstance(item, Term):
            if joining and item not in groups[-1]:
                groups[-1] = (*groups[-1], item)
            elif not joining:
                groups.append((item,))
            joining = False
    return tuple(dict.fromkeys(groups))[:MAX_TERMS]


# --- Dutch compounds -------------------------------------------------------------------------


def split_compound(word: str, vocabulary: Container[str], min_part: int = 3) -> list[str]:
    """Split a compound into known parts, or return ``[]``.

    Every part must be in ``vocabulary`` and have at least ``min_part`` letters. Between parts
    a linking ``s``, ``e`` or ``en`` may be dropped (bedrijf-s-beheer), and the last part may
    carry an inflection (godsdienst-en). The split with the fewest parts wins, then the one
    with the longest parts (largest sum of squared lengths). A part equal to a vocabulary
    word is kept as written, except that a trailing linking ``s`` is dropped when the base is
    known too ("huwelijks" → "huwelijk").
    """
    word = fold(word)
    n = len(word)
    if n < 2 * min_part or n > MAX_COMPOUND or not word.isalpha():
        return []
    # best[i]: (parts count, -sum of squares, parts) for the best split of word[i:]
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[n] = (0, 0, ())
    for i in range(n - min_part, -1, -1):
        for j in range(i + min_part, n + 1):
            rest = best[j]
            if rest is None or (i == 0 and j == n):  # the word itself is not a split
                continue
            part = _part(word[i:j], vocabulary, min_part, last=j == n)
            if part is None:
                continue
            candidate = (rest[0] + 1, rest[1] - (j - i) ** 2, (part, *rest[2]))
            current = best[i]
            if current is None or candidate[:2] < current[:2]:
                best[i] = candidate
    found = best[0]
    return list(found[2]) if found is not None else []


def _part(span: str, vocabulary: Container[str], min_part: int, *, last: bool) -> str | None:
    if span in vocabulary:
        linked = not last and span[-1] == "s" and len(span) > min_part and span[:-1] in vocabulary
        return span[:-1] if linked else span
    for suffix in _INFLECTIONS if last else _LINKERS:
        if span.endswith(suffix) and len(span) - len(suffix) >= min_part:
            base = span[: -len(suffix)]
            if base in vocabulary:
                return base
    return None


def decompound(text: str, vocabulary: Container[str]) -> list[str]:
    """The parts of every compound in ``text``, and of compound parts in turn, for indexing
    next to the text itself ("systeempsychotherapie" → systeem, psychotherapie, psycho,
    therapie)."""
    found: dict[str, None] = {}
    pending = tokenize(text)
    while pending:
        parts = split_compound(pending.pop(0), vocabulary)
        pending += [p for p in parts if p not in found]
        found.update(dict.fromkeys(parts))
    return list(found)


def vocabulary_from_titles(titles: Iterable[str], min_length: int = 3) -> set[str]:
    """Folded words of the titles that can act as compound parts (no stopwords, no digits)."""
    return {
        word
        for title in titles
        for word in tokenize(title)
        if len(word) >= min_length and word.isalpha() and word not in STOPWORDS
    }
